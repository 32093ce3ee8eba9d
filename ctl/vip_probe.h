// The client-visible gap of a failover, measured from lbctl's machine: a TCP
// connect to the VIP every 5 ms (each with its own 250 ms deadline), on a
// thread of its own while the switchover runs. The gap is the longest
// stretch from a failed attempt's start to the next successful attempt's
// start (pure: gap_of below).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tandem::ctl {

// One connect attempt: when it started (ms since the probe began) and whether it succeeded.
struct Attempt {
  double start_ms = 0;
  bool ok = false;
};

struct Gap {
  double gap_ms = 0;         // 0: no failed attempt
  std::size_t failed = 0;    // attempts that failed
  std::size_t attempts = 0;
  double gap_start_ms = -1;  // when the longest gap began (ms since the probe began)
};

// The longest gap in ATTEMPTS (any order). A run of failures with no later
// success counts until the last attempt's start.
Gap gap_of(std::vector<Attempt> attempts);

class VipProbe {
 public:
  static constexpr std::chrono::milliseconds kInterval{5};
  static constexpr std::chrono::milliseconds kConnectTimeout{250};

  // One connect to IP:PORT within TIMEOUT (to decide whether to probe at all).
  static bool reachable(const std::string& ip, std::uint16_t port, std::chrono::milliseconds timeout);

  VipProbe(std::string ip, std::uint16_t port);
  ~VipProbe();

  void start();
  // Stops, waits for attempts in flight, and returns them.
  std::vector<Attempt> stop();

 private:
  void run();

  std::string ip_;
  std::uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Attempt> attempts_;
};

}  // namespace tandem::ctl
