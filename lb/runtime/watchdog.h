// One deadline per connection phase instead of one timer per operation.
// Moving the deadline is a store; a single timer per connection wakes at most
// every `granularity` (and at the deadline), and when the deadline has passed
// it cancels the pending operations of the sockets it watches. The cancelled
// operation then reports beast::error::timeout through translate().
//
// Threading: the owner's strand (a worker's io_context thread) only.
#pragma once

#include <array>
#include <chrono>

#include <boost/beast/core/error.hpp>

#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

class Watchdog {
 public:
  // GRANULARITY must not exceed the shortest limit passed to arm(); a shorter
  // limit still works but costs a timer re-arm.
  Watchdog(asio::any_io_executor executor, std::chrono::milliseconds granularity)
      : timer_(std::move(executor)), granularity_(granularity) {}

  // Watches A and B (either may be null or closed): their pending operations
  // are cancelled when the deadline passes.
  void watch(tcp::socket* a, tcp::socket* b) { sockets_ = {a, b}; }

  // The next waits must complete within LIMIT from now.
  void arm(std::chrono::milliseconds limit) {
    deadline_ = Clock::now() + limit;
    expired_ = false;
    if (deadline_ < wake_) timer_.cancel();  // sleeping past the new deadline: wake up to re-arm
  }
  // No deadline: the caller waits on something with its own (connect, queue).
  void disarm() {
    deadline_ = Clock::time_point::max();
    expired_ = false;
  }

  // True once the current deadline has cut the watched operations.
  bool expired() const { return expired_; }
  // EC as the session should see it: an operation the watchdog cancelled timed out.
  boost::system::error_code translate(boost::system::error_code ec) const {
    return ec && expired_ ? boost::system::error_code(beast::error::timeout) : ec;
  }

  // Runs until cancelled (the owner ends it with awaitable operators' ||).
  awaitable<void> run() {
    for (;;) {
      const auto now = Clock::now();
      if (now >= deadline_ && !expired_) {
        expired_ = true;
        boost::system::error_code ignored;
        for (auto* s : sockets_) {
          if (s && s->is_open()) s->cancel(ignored);
        }
      }
      wake_ = now >= deadline_ ? now + granularity_ : std::min(deadline_, now + granularity_);
      timer_.expires_at(wake_);
      auto [ec] = co_await timer_.async_wait(use_nothrow);
      if (ec && (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
        co_return;
      }
    }
  }

 private:
  asio::steady_timer timer_;
  const std::chrono::milliseconds granularity_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point wake_ = Clock::time_point::max();
  bool expired_ = false;
  std::array<tcp::socket*, 2> sockets_{};
};

}  // namespace tandem::lb
