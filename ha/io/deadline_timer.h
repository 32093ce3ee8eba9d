// A steady timer that is set to an absolute deadline and calls back once,
// with no stale call after it was set again or cancelled (a wait that had
// already completed when it was re-armed is recognised by its generation).
// The Asio side of a driver's set_timer port (ha/failover/instance_driver.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "ha/io/asio_aliases.h"

namespace tandem::ha {

class DeadlineTimer {
 public:
  explicit DeadlineTimer(asio::io_context& io) : timer_(io) {}

  // ON_FIRE runs at DEADLINE unless set again or cancelled first; nullopt
  // cancels.
  void set(std::optional<asio::steady_timer::time_point> deadline, std::function<void()> on_fire) {
    const std::uint64_t generation = ++generation_;
    if (!deadline) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(*deadline);
    timer_.async_wait([this, generation, on_fire = std::move(on_fire)](const boost::system::error_code& ec) {
      if (ec || generation != generation_) return;
      on_fire();
    });
  }

  void cancel() { set(std::nullopt, {}); }

 private:
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
};

}  // namespace tandem::ha
