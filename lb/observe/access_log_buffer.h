// A worker's share of the access log: finished requests are sampled,
// formatted into this worker's buffer, and the buffer is handed to the
// writer thread (access_log_writer.h) when it is full or flush_ms after its
// first line, whichever comes first. Worker thread only; the only shared
// step is the writer's queue, once per buffer, not once per line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "lb/observe/access_format.h"
#include "lb/observe/access_log_writer.h"
#include "lb/observe/access_record.h"
#include "lb/observe/access_sampler.h"

namespace tandem::lb::observe {

class AccessLogBuffer {
 public:
  AccessLogBuffer(boost::asio::io_context& io, std::shared_ptr<AccessLogWriter> writer);
  ~AccessLogBuffer();  // hands over what is left

  // False when the log is off: the session need not build a record.
  bool enabled() const { return writer_->enabled(); }

  // Samples R and, if kept, appends its line.
  void record(const AccessRecord& r);

  // Hands the buffer to the writer now.
  void flush();

 private:
  std::shared_ptr<AccessLogWriter> writer_;
  boost::asio::steady_timer timer_;
  std::string buffer_;
  std::uint64_t lines_ = 0;
  bool timer_armed_ = false;
  AccessSampler sampler_;
  SecondText seconds_;
};

}  // namespace tandem::lb::observe
