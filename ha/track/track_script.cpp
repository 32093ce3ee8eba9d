#include "ha/track/track_script.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ha/io/child_process.h"

namespace tandem::ha {

RiseFall::RiseFall(unsigned rise, unsigned fall) : rise_(std::max(1u, rise)), fall_(std::max(1u, fall)) {}

std::optional<bool> RiseFall::observe(bool success) {
  if (unproven_) {
    unproven_ = false;
    streak_ = 0;
    if (success == healthy_) return std::nullopt;
    healthy_ = success;
    return healthy_;
  }
  if (success == healthy_) {
    streak_ = 0;
    return std::nullopt;
  }
  ++streak_;
  if (streak_ < (healthy_ ? fall_ : rise_)) return std::nullopt;
  healthy_ = success;
  streak_ = 0;
  return healthy_;
}

TrackScript::TrackScript(asio::io_context& io, TrackScriptSettings settings, OnChange on_change)
    : io_(io),
      settings_(std::move(settings)),
      on_change_(std::move(on_change)),
      state_(settings_.rise, settings_.fall),
      timer_(io) {}

void TrackScript::start() { run_once(); }

void TrackScript::stop() {
  *alive_ = false;
  timer_.cancel();
}

void TrackScript::schedule() {
  timer_.expires_after(settings_.interval);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    run_once();
  });
}

void TrackScript::run_once() {
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", settings_.command};
  spec.timeout = settings_.timeout;
  spec.quiet = true;
  run_child(io_, std::move(spec), [this, alive = alive_](const ChildResult& result) {
    if (!*alive) return;
    spdlog::debug("track_script name={} result=\"{}\"", settings_.name, result.describe());
    if (auto flipped = state_.observe(result.ok())) on_change_(*flipped, result.describe());
    schedule();
  });
}

}  // namespace tandem::ha
