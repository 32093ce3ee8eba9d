// One server's health as the runtime sees it: admin state, active checks,
// passive ejection and slow start, combined. Pure: no clock reads.
//
// Threading: not synchronised; one owner serialises the calls (the pool's
// health task), and publishes the results in the pool snapshot it swaps in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/proto/cluster.pb.h"
#include "lb/health/eligibility.h"
#include "lb/health/health_state.h"
#include "lb/health/passive_ejector.h"

namespace tandem::lb {

// Admin state + active checks (optional) + passive ejection + slow start.
class ServerHealth {
 public:
  // ACTIVE is absent when the pool has no health check (then the server counts
  // as healthy). A server that starts in service is not slow-started: the
  // ramp runs only after it comes back (check up, reintroduced, or admin
  // state out of MAINTENANCE).
  ServerHealth(config::ServerState admin, std::optional<HealthState> active,
               PassiveEjector passive, std::chrono::milliseconds slow_start);

  // An active check's result; returns the flip, if any.
  std::optional<Transition> on_check(bool ok, TimePoint now, std::string_view detail = {});

  // A live request's result (connect/response failure = false); returns the
  // ejection or reintroduction, if any.
  std::optional<Transition> on_request(bool ok, TimePoint now);

  // Timer: reports a reintroduction after the ejection cool-down.
  std::optional<Transition> tick(TimePoint now);

  // The operator's state. Leaving MAINTENANCE restarts slow start. Returns
  // false when the state was already ADMIN.
  bool set_admin(config::ServerState admin, TimePoint now);
  config::ServerState admin() const { return admin_; }

  // Active checks say up (true without active checks).
  bool healthy() const { return !active_ || active_->up(); }
  // Passive ejection in force.
  bool ejected(TimePoint now) const { return passive_.ejected(now); }

  // The inputs of the traffic decisions, now.
  ServerCondition condition(TimePoint now) const;
  bool takes_new_clients(TimePoint now) const;
  bool takes_stuck_clients(TimePoint now) const;

  // WEIGHT after the slow-start ramp.
  std::uint32_t effective_weight(std::uint32_t weight, TimePoint now) const;

  const std::optional<HealthState>& active() const { return active_; }
  const PassiveEjector& passive() const { return passive_; }

 private:
  config::ServerState admin_;
  std::optional<HealthState> active_;
  PassiveEjector passive_;
  std::chrono::milliseconds slow_start_;
  std::optional<TimePoint> back_since_;  // start of the current slow start
};

}  // namespace tandem::lb
