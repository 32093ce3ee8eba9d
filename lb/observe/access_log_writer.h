// The access log's writer: a thread of its own that writes the workers'
// filled buffers to the file, so a worker never waits for the disk. The
// queue between them is bounded in bytes: when the disk is slower than the
// traffic, whole buffers are dropped and their lines counted, and the
// workers carry on. reopen() (SIGUSR1, as nginx does) closes and reopens
// the file by name, for logrotate. Thread-safe: workers submit, the
// control thread configures and reopens, the writer thread writes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace tandem::lb::observe {

// What the cluster file's access_log says (config/proto/cluster.proto),
// with defaults applied.
struct AccessLogSettings {
  bool enabled = false;
  std::string path;  // a file, or "-" for stdout
  std::uint32_t sample = 1;
  std::uint32_t max_path_bytes = 1024;
  std::uint32_t buffer_bytes = 64 * 1024;
  std::uint32_t flush_ms = 500;
  std::uint64_t queue_bytes = 8ull << 20;
};

// The counters /metrics shows (tandem_access_log_*).
struct AccessLogCounters {
  std::uint64_t lines_written = 0;
  std::uint64_t lines_dropped = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t reopens = 0;
};

class AccessLogWriter {
 public:
  AccessLogWriter() = default;
  ~AccessLogWriter();  // writes what is queued, then stops
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // Applies SETTINGS (at start and at each reload; control thread). A new
  // path is opened before the old file is let go; false with ERROR (the
  // path and the system's reason) when it cannot be, and the old settings
  // stay.
  bool configure(const AccessLogSettings& settings, std::string& error);

  // Hands a buffer of LINES complete lines to the writer thread; drops it
  // (and counts its lines) when the queue is full. Any thread; never blocks
  // on the disk.
  void submit(std::string&& chunk, std::uint64_t lines);

  // Reopens the file by its name before the next write (SIGUSR1).
  void reopen();

  // Read by the workers on every request: relaxed loads.
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  std::uint32_t sample() const { return sample_.load(std::memory_order_relaxed); }
  std::uint32_t max_path_bytes() const { return max_path_.load(std::memory_order_relaxed); }
  std::uint32_t buffer_bytes() const { return buffer_bytes_.load(std::memory_order_relaxed); }
  std::uint32_t flush_ms() const { return flush_ms_.load(std::memory_order_relaxed); }

  AccessLogCounters counters() const;

  // Blocks until everything submitted so far is written (tests, exit).
  void flush_and_wait();

 private:
  void run();
  void write_all(const std::string& chunk, std::uint64_t lines);
  int open_path(const std::string& path, std::string& error) const;
  void reopen_now();

  std::atomic<bool> enabled_{false};
  std::atomic<std::uint32_t> sample_{1};
  std::atomic<std::uint32_t> max_path_{1024};
  std::atomic<std::uint32_t> buffer_bytes_{64 * 1024};
  std::atomic<std::uint32_t> flush_ms_{500};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  struct Chunk {
    std::string bytes;
    std::uint64_t lines;
  };
  std::deque<Chunk> queue_;     // under mutex_
  std::uint64_t queued_bytes_ = 0;
  std::uint64_t queue_limit_ = 8ull << 20;
  bool writing_ = false;        // the thread holds chunks outside the queue
  bool stop_ = false;
  bool reopen_ = false;
  std::string path_;            // the file's name, for reopen (under mutex_)
  int next_fd_ = -1;            // opened by configure(), adopted by the thread (under mutex_)
  int fd_ = -1;                 // the writer thread's
  AccessLogCounters counters_;  // under mutex_
  std::thread thread_;
};

}  // namespace tandem::lb::observe
