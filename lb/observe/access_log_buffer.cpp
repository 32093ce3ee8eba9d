#include "lb/observe/access_log_buffer.h"

namespace tandem::lb::observe {

AccessLogBuffer::AccessLogBuffer(boost::asio::io_context& io, std::shared_ptr<AccessLogWriter> writer)
    : writer_(std::move(writer)), timer_(io) {}

AccessLogBuffer::~AccessLogBuffer() { flush(); }

void AccessLogBuffer::record(const AccessRecord& r) {
  sampler_.set(writer_->sample());
  if (!sampler_.keep(always_logged(r))) return;
  append_access_line(buffer_, r, seconds_, {.max_path_bytes = writer_->max_path_bytes()});
  ++lines_;
  if (buffer_.size() >= writer_->buffer_bytes()) {
    flush();
  } else if (!timer_armed_) {
    // The first line of a buffer starts the clock: a quiet proxy's lines
    // reach the file within flush_ms.
    timer_armed_ = true;
    timer_.expires_after(std::chrono::milliseconds(writer_->flush_ms()));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the buffer went out full, or the worker is stopping
      timer_armed_ = false;
      flush();
    });
  }
}

void AccessLogBuffer::flush() {
  if (timer_armed_) {
    timer_armed_ = false;
    timer_.cancel();
  }
  if (lines_ == 0) return;
  writer_->submit(std::move(buffer_), lines_);
  buffer_ = std::string();
  buffer_.reserve(writer_->buffer_bytes() + 1024);  // one allocation per buffer, not a doubling series
  lines_ = 0;
}

}  // namespace tandem::lb::observe
