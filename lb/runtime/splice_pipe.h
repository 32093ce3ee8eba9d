// A pipe that splice(2) moves a body through, socket to socket, without
// copying it to user space. Borrowed from a per-thread free list (two
// descriptors each) and given back only when empty; a relay that stops with
// bytes in the pipe closes it.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <utility>
#include <vector>

namespace tandem::lb {

class SplicePipe {
 public:
  SplicePipe() {
    auto& spare = spares();
    if (!spare.empty()) {
      fds_ = spare.back();
      spare.pop_back();
    } else if (::pipe2(fds_.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
      fds_ = {-1, -1};
    }
  }
  ~SplicePipe() {
    if (!ok()) return;
    auto& spare = spares();
    if (pending == 0 && spare.size() < kMaxSpares) {
      spare.push_back(fds_);
    } else {
      ::close(fds_[0]);
      ::close(fds_[1]);
    }
  }
  SplicePipe(const SplicePipe&) = delete;
  SplicePipe& operator=(const SplicePipe&) = delete;

  // False when no pipe could be made (descriptor limit): copy instead.
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  // What a pipe holds at most (the kernel's default size).
  static constexpr std::size_t kCapacity = 65536;
  // Bytes spliced in and not yet out.
  std::size_t pending = 0;

 private:
  static constexpr std::size_t kMaxSpares = 16;
  static std::vector<std::array<int, 2>>& spares() {
    static thread_local std::vector<std::array<int, 2>> list;
    return list;
  }
  std::array<int, 2> fds_{-1, -1};
};

}  // namespace tandem::lb
