// Notify hooks: ha.notify is run on every transition (never blocking the
// agent, killed after ha.notify_timeout_ms). It is executed directly (no
// shell) as `NOTIFY INSTANCE OLD_STATE NEW_STATE`, with the environment
// described by notify_environment(). Hooks run one at a time, in transition
// order, so a script sees the edges in the order they happened.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "ha/io/asio_aliases.h"
#include "ha/io/child_process.h"

namespace tandem::ha {

// One transition to report.
struct NotifyEvent {
  std::string instance;
  std::string old_state;
  std::string new_state;
  std::string reason;
  std::string node;
};

// TANDEM_INSTANCE, TANDEM_OLD_STATE, TANDEM_NEW_STATE, TANDEM_REASON,
// TANDEM_NODE (in that order). Pure.
std::vector<std::pair<std::string, std::string>> notify_environment(const NotifyEvent& event);

// The program's argv for EVENT. Pure.
std::vector<std::string> notify_argv(const std::string& program, const NotifyEvent& event);

// Runs the hook for each queued event, one at a time.
class Notifier {
 public:
  // PROGRAM "" disables hooks.
  Notifier(asio::io_context& io, std::string program, std::chrono::milliseconds timeout);

  // Queues EVENT (at most kMaxQueued waiting; older ones are dropped and logged).
  void notify(NotifyEvent event);

  static constexpr std::size_t kMaxQueued = 64;

 private:
  void run_next();

  asio::io_context& io_;
  std::string program_;
  std::chrono::milliseconds timeout_;
  std::deque<NotifyEvent> queue_;
  bool running_ = false;
};

}  // namespace tandem::ha
