// Passive health: eject a server after live requests fail, like nginx's
// max_fails/fail_timeout (and Envoy's consecutive-5xx outlier detection).
// The data path only reports results; this class decides. Pure: no clock reads.
//
// Threading: not synchronised; one owner serialises the calls (workers post
// their results to it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lb/health/health_state.h"

namespace tandem::lb {

// Ejects after `max_fails` consecutive failed requests for `fail_timeout`;
// then the server is reintroduced on probation (half-open): its first result
// decides, a failure re-ejects at once, a success closes the breaker.
// max_fails = 0 disables ejection.
class PassiveEjector {
 public:
  PassiveEjector(std::uint32_t max_fails, std::chrono::milliseconds fail_timeout);

  // Feeds one live request's result. Returns a transition when it ejects the
  // server (to kDown), or when it first notices that the cool-down is over
  // and the result was a success (to kUp). Results that arrive while ejected
  // (requests started before the ejection) are ignored.
  std::optional<Transition> on_result(bool ok, TimePoint now);

  // Reports the reintroduction (to kUp) once the cool-down is over; call it
  // from a timer so the transition is logged even when no request comes.
  std::optional<Transition> tick(TimePoint now);

  // True while the server is ejected (cool-down not yet over).
  bool ejected(TimePoint now) const { return state_ == State::kEjected && now < until_; }

  // When the current ejection ends (meaningful while ejected()).
  TimePoint ejected_until() const { return until_; }

  // Consecutive failures so far (reset by a success or an ejection).
  std::uint32_t consecutive_failures() const { return fails_; }

  // How many times this server was ejected.
  std::uint64_t ejections() const { return ejections_; }

 private:
  enum class State { kClosed, kEjected, kProbation };

  Transition eject(TimePoint now, std::string_view why);

  std::uint32_t max_fails_;
  std::chrono::milliseconds fail_timeout_;
  State state_ = State::kClosed;
  TimePoint until_{};
  std::uint32_t fails_ = 0;
  std::uint64_t ejections_ = 0;
};

}  // namespace tandem::lb
