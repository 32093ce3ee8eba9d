// Active health checks, the decision half: HAProxy's rise/fall counting.
// The prober (I/O) reports each check's result; this class says when the
// server flips. Pure: no sockets, no clock reads.
//
// Threading: not synchronised; one owner (the server's checker) calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::lb {

// Time as the callers inject it.
using TimePoint = std::chrono::steady_clock::time_point;

// Whether a server is usable as far as checks (active or passive) can tell.
enum class Health { kUp, kDown };

// "UP" / "DOWN", for logs and the status API.
std::string_view to_string(Health health);
// Prints to_string(health) (logs, test failure messages).
std::ostream& operator<<(std::ostream& os, Health health);

// A change of health, for the log line and the status API.
struct Transition {
  Health from = Health::kUp;
  Health to = Health::kUp;
  std::string cause;  // "3 consecutive failed checks, last: connection refused"
  TimePoint at{};     // the `now` of the observation that caused it
};

// Where a server starts before its first check (HAProxy's `init-state`).
enum class InitialHealth {
  kUp,         // up, but the first failed check takes it down (HAProxy's default)
  kFullyUp,    // up, and it takes `fall` failed checks to go down
  kDown,       // down, but the first good check brings it up
  kFullyDown,  // down, and it takes `rise` good checks to come up
};

// Rise/fall as HAProxy counts it: one counter from 0 to rise+fall-1; the
// server is up while it is >= rise. A failure decrements it and drops it to 0
// once below rise; a success increments it and lifts it to the top once at
// rise. So an up server goes down after `fall` consecutive failures and a down
// one comes up after `rise` consecutive successes; one result of the other
// kind resets the streak.
//
// Initial state: kUp by default, like HAProxy. Traffic flows from start-up
// without waiting rise × interval for the checks, yet a server that is dead at
// start-up is taken out by its very first failed check instead of after
// `fall` of them.
class HealthState {
 public:
  // rise and fall below 1 count as 1.
  HealthState(std::uint32_t rise, std::uint32_t fall,
              InitialHealth initial = InitialHealth::kUp);

  // Feeds one check result; returns the transition if the server flipped.
  // DETAIL (optional) describes the last result and ends up in the cause.
  std::optional<Transition> observe(bool ok, TimePoint now, std::string_view detail = {});

  // Current health.
  Health health() const { return health_ >= rise_ ? Health::kUp : Health::kDown; }
  bool up() const { return health() == Health::kUp; }

  // Results of the current streak of identical results (for the status API).
  std::uint32_t streak() const { return streak_; }

 private:
  std::uint32_t rise_;
  std::uint32_t fall_;
  std::uint32_t health_;  // 0 .. rise+fall-1; up iff >= rise
  std::uint32_t streak_ = 0;
  bool streak_ok_ = true;
};

}  // namespace tandem::lb
