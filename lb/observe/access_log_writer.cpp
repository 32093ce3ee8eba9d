#include "lb/observe/access_log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace tandem::lb::observe {

namespace {

constexpr int kStdout = 1;

void close_fd(int fd) {
  if (fd >= 0 && fd != kStdout) ::close(fd);
}

}  // namespace

AccessLogWriter::~AccessLogWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  close_fd(next_fd_);
  close_fd(fd_);
}

int AccessLogWriter::open_path(const std::string& path, std::string& error) const {
  if (path == "-") return kStdout;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "access_log: cannot open " + path + ": " + std::strerror(errno) +
            " (does the directory exist, and may lb-proxy's user write to it?)";
  }
  return fd;
}

bool AccessLogWriter::configure(const AccessLogSettings& settings, std::string& error) {
  if (!settings.enabled) {
    enabled_.store(false, std::memory_order_relaxed);  // the workers stop formatting; the queue drains
    return true;
  }
  int fd = -1;
  {
    std::lock_guard lock(mutex_);
    if (settings.path != path_ || fd_ < 0) {
      fd = open_path(settings.path, error);
      if (fd < 0) return false;
    }
  }
  sample_.store(settings.sample == 0 ? 1 : settings.sample, std::memory_order_relaxed);
  max_path_.store(settings.max_path_bytes, std::memory_order_relaxed);
  buffer_bytes_.store(settings.buffer_bytes, std::memory_order_relaxed);
  flush_ms_.store(settings.flush_ms, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    if (fd >= 0) {
      close_fd(next_fd_);
      next_fd_ = fd;
      path_ = settings.path;
    }
    queue_limit_ = settings.queue_bytes;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
  enabled_.store(true, std::memory_order_relaxed);
  return true;
}

void AccessLogWriter::submit(std::string&& chunk, std::uint64_t lines) {
  {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + chunk.size() > queue_limit_ || stop_) {
      counters_.lines_dropped += lines;
      return;
    }
    queued_bytes_ += chunk.size();
    queue_.push_back({std::move(chunk), lines});
  }
  wake_.notify_one();
}

void AccessLogWriter::reopen() {
  {
    std::lock_guard lock(mutex_);
    reopen_ = true;
  }
  wake_.notify_one();
}

AccessLogCounters AccessLogWriter::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void AccessLogWriter::flush_and_wait() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) return;
  idle_.wait(lock, [this] { return (queue_.empty() && !writing_ && !reopen_ && next_fd_ < 0) || stop_; });
}

void AccessLogWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || reopen_ || next_fd_ >= 0 || !queue_.empty(); });
    if (next_fd_ >= 0) {
      close_fd(fd_);
      fd_ = next_fd_;
      next_fd_ = -1;
    }
    if (reopen_) {
      reopen_ = false;
      const std::string path = path_;
      lock.unlock();
      std::string error;
      const int fd = path.empty() ? -1 : open_path(path, error);
      lock.lock();
      if (fd >= 0) {
        close_fd(fd_);
        fd_ = fd;
        ++counters_.reopens;
        spdlog::info("access_log_reopened path={}", path);
      } else if (!path.empty()) {
        ++counters_.write_errors;
        spdlog::error("access_log_reopen_failed {} keeping=the open file", error);
      }
    }
    std::deque<Chunk> batch;
    batch.swap(queue_);
    queued_bytes_ = 0;
    writing_ = true;
    const bool stopping = stop_;
    lock.unlock();
    for (const auto& chunk : batch) write_all(chunk.bytes, chunk.lines);
    lock.lock();
    writing_ = false;
    idle_.notify_all();
    if (stopping && queue_.empty()) return;
  }
}

// Writes CHUNK to the file; a failed write counts its lines as dropped (the
// disk is full, the file system gone): the log must not stop the proxy.
void AccessLogWriter::write_all(const std::string& chunk, std::uint64_t lines) {
  std::size_t done = 0;
  bool failed = fd_ < 0;
  while (!failed && done < chunk.size()) {
    const auto n = ::write(fd_, chunk.data() + done, chunk.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed = true;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  std::lock_guard lock(mutex_);
  counters_.bytes_written += done;
  if (failed) {
    ++counters_.write_errors;
    counters_.lines_dropped += lines;
  } else {
    counters_.lines_written += lines;
  }
}

}  // namespace tandem::lb::observe
