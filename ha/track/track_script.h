// Track scripts (keepalived's vrrp_script): `/bin/sh -c COMMAND` run every
// interval with a timeout; exit 0 is a success. RiseFall turns the results
// into a health verdict; TrackScript runs the command and reports flips.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "ha/io/asio_aliases.h"
#include "ha/track/track_script_settings.h"

namespace tandem::ha {

// Health from consecutive results. Initial state, chosen explicitly: healthy
// and "unproven"; the FIRST result decides at once (so a failing script
// takes effect after one run, not FALL runs, and a good one is not held
// back by RISE). After that, FALL consecutive failures make it unhealthy and
// RISE consecutive successes healthy again. Pure.
class RiseFall {
 public:
  RiseFall(unsigned rise, unsigned fall);

  // Records one result; returns the new verdict when it changed.
  std::optional<bool> observe(bool success);

  bool healthy() const { return healthy_; }
  // No result yet.
  bool unproven() const { return unproven_; }

 private:
  unsigned rise_;
  unsigned fall_;
  bool healthy_ = true;
  bool unproven_ = true;
  unsigned streak_ = 0;  // consecutive results against the current verdict
};

// Runs one track script periodically; calls ON_CHANGE(healthy) on flips.
class TrackScript {
 public:
  using OnChange = std::function<void(bool healthy, const std::string& detail)>;

  TrackScript(asio::io_context& io, TrackScriptSettings settings, OnChange on_change);

  // First run now, then every interval (measured from the end of a run, so
  // runs never overlap).
  void start();
  // No further runs (a running child still finishes and is reaped).
  void stop();

  const TrackScriptSettings& settings() const { return settings_; }
  bool healthy() const { return state_.healthy(); }

 private:
  void run_once();
  void schedule();

  asio::io_context& io_;
  TrackScriptSettings settings_;
  OnChange on_change_;
  RiseFall state_;
  asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tandem::ha
