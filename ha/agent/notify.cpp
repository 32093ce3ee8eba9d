#include "ha/agent/notify.h"

#include <spdlog/spdlog.h>

namespace tandem::ha {

std::vector<std::pair<std::string, std::string>> notify_environment(const NotifyEvent& e) {
  return {{"TANDEM_INSTANCE", e.instance},
          {"TANDEM_OLD_STATE", e.old_state},
          {"TANDEM_NEW_STATE", e.new_state},
          {"TANDEM_REASON", e.reason},
          {"TANDEM_NODE", e.node}};
}

std::vector<std::string> notify_argv(const std::string& program, const NotifyEvent& e) {
  return {program, e.instance, e.old_state, e.new_state};
}

Notifier::Notifier(asio::io_context& io, std::string program, std::chrono::milliseconds timeout)
    : io_(io), program_(std::move(program)), timeout_(timeout) {}

void Notifier::notify(NotifyEvent event) {
  if (program_.empty()) return;
  if (queue_.size() >= kMaxQueued) {
    spdlog::warn("notify_dropped instance={} to={} reason=\"queue full ({} hooks waiting)\"",
                 queue_.front().instance, queue_.front().new_state, queue_.size());
    queue_.pop_front();
  }
  queue_.push_back(std::move(event));
  if (!running_) run_next();
}

void Notifier::run_next() {
  if (queue_.empty()) {
    running_ = false;
    return;
  }
  running_ = true;
  NotifyEvent event = std::move(queue_.front());
  queue_.pop_front();
  ChildSpec spec;
  spec.argv = notify_argv(program_, event);
  spec.extra_env = notify_environment(event);
  spec.timeout = timeout_;
  run_child(io_, std::move(spec), [this, event](const ChildResult& result) {
    if (result.ok()) {
      spdlog::debug("notify instance={} to={} result=\"{}\"", event.instance, event.new_state, result.describe());
    } else {
      spdlog::warn("notify_failed instance={} to={} program={} result=\"{}\"", event.instance, event.new_state,
                   program_, result.describe());
    }
    run_next();
  });
}

}  // namespace tandem::ha
