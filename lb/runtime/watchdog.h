// One deadline per connection phase instead of one timer per operation.
// Moving the deadline is a store; a single timer per connection wakes at most
// every `granularity` (and at the deadline), and when the deadline has passed
// it cancels the pending operations of the sockets it watches. The cancelled
// operation then reports beast::error::timeout through translate().
//
// The timer runs on a plain completion handler, not a coroutine: a
// coroutine would have to run beside the session's (awaitable operators'
// ||), and that parallel group costs every idle connection two more
// coroutine stacks and their cancellation state. The handler shares a small
// state block with the Watchdog, so a wake-up already queued when the
// Watchdog is destroyed finds it detached and does nothing.
//
// Threading: the owner's strand (a worker's io_context thread) only.
#pragma once

#include <array>
#include <chrono>
#include <memory>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/exact_allocator.h"

namespace tandem::lb {

class Watchdog {
 public:
  // GRANULARITY must not exceed the shortest limit passed to arm(); a shorter
  // limit still works but costs a timer re-arm.
  Watchdog(asio::io_context::executor_type executor, std::chrono::milliseconds granularity)
      : state_(std::make_shared<State>(std::move(executor), granularity)) {}

  // Detaches the watched sockets; a queued wake-up does nothing.
  ~Watchdog() {
    state_->sockets = {};
    state_->stopped = true;
    state_->timer.cancel();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Watches A and B (either may be null or closed): their pending operations
  // are cancelled when the deadline passes.
  void watch(tcp::socket* a, tcp::socket* b) { state_->sockets = {a, b}; }

  // The next waits must complete within LIMIT from now.
  void arm(std::chrono::milliseconds limit) {
    auto& s = *state_;
    s.deadline = Clock::now() + limit;
    s.expired = false;
    // Sleeping past the new deadline (or not at all): wake up in time.
    if (s.deadline < s.wake) schedule(state_);
  }
  // No deadline: the caller waits on something with its own (connect, queue).
  // The timer stops at its next wake-up instead of ticking for nothing.
  void disarm() {
    state_->deadline = Clock::time_point::max();
    state_->expired = false;
  }

  // True once the current deadline has cut the watched operations.
  bool expired() const { return state_->expired; }
  // EC as the session should see it: an operation the watchdog cancelled timed out.
  boost::system::error_code translate(boost::system::error_code ec) const {
    return ec && state_->expired ? boost::system::error_code(beast::error::timeout) : ec;
  }

 private:
  // A timer bound to the io_context's own executor type: a polymorphic
  // executor would add 48 bytes to it and to its pending wait, per connection.
  using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, asio::io_context::executor_type>;

  struct State {
    State(asio::io_context::executor_type executor, std::chrono::milliseconds g)
        : timer(std::move(executor)), granularity(g) {}
    Timer timer;
    const std::chrono::milliseconds granularity;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point wake = Clock::time_point::max();  // max: no wait pending
    bool expired = false;
    bool stopped = false;
    std::array<tcp::socket*, 2> sockets{};
  };

  // (Re)starts the timer for the earlier of the deadline and one granularity
  // from now. Setting the expiry aborts a pending wait, whose handler then
  // does nothing: exactly one wait counts at a time.
  static void schedule(const std::shared_ptr<State>& state) {
    auto& s = *state;
    const auto now = Clock::now();
    s.wake = std::min(s.deadline, now + s.granularity);
    s.timer.expires_at(s.wake);
    // The wait lasts while the connection idles: its own allocation, not a
    // recycled block (exact_allocator.h).
    s.timer.async_wait(asio::bind_allocator(ExactAllocator<void>(), [state](boost::system::error_code ec) {
      if (ec != asio::error::operation_aborted && !state->stopped) on_wake(state);
    }));
  }

  // The timer fired: cut the watched operations once the deadline has
  // passed, then sleep again while a deadline is set.
  static void on_wake(const std::shared_ptr<State>& state) {
    auto& s = *state;
    const auto now = Clock::now();
    if (now >= s.deadline && !s.expired) {
      s.expired = true;
      boost::system::error_code ignored;
      for (auto* socket : s.sockets) {
        if (socket && socket->is_open()) socket->cancel(ignored);
      }
    }
    if (s.deadline == Clock::time_point::max() || s.expired) {
      s.wake = Clock::time_point::max();  // the next arm() starts the timer again
      return;
    }
    schedule(state);
  }

  std::shared_ptr<State> state_;
};

}  // namespace tandem::lb
