#include "lb/health/health_state.h"

#include <algorithm>
#include <ostream>

namespace tandem::lb {

std::string_view to_string(Health health) {
  return health == Health::kUp ? "UP" : "DOWN";
}

std::ostream& operator<<(std::ostream& os, Health health) { return os << to_string(health); }

HealthState::HealthState(std::uint32_t rise, std::uint32_t fall, InitialHealth initial)
    : rise_(std::max<std::uint32_t>(rise, 1)), fall_(std::max<std::uint32_t>(fall, 1)) {
  const std::uint32_t top = rise_ + fall_ - 1;
  switch (initial) {
    case InitialHealth::kUp: health_ = rise_; break;
    case InitialHealth::kFullyUp: health_ = top; break;
    case InitialHealth::kDown: health_ = rise_ - 1; break;
    case InitialHealth::kFullyDown: health_ = 0; break;
  }
}

std::optional<Transition> HealthState::observe(bool ok, TimePoint now, std::string_view detail) {
  streak_ = (ok == streak_ok_) ? streak_ + 1 : 1;
  streak_ok_ = ok;

  const Health before = health();
  const std::uint32_t top = rise_ + fall_ - 1;
  if (ok) {
    if (health_ < top) {
      ++health_;
      if (health_ >= rise_) health_ = top;
    }
  } else if (health_ > 0) {
    --health_;
    if (health_ < rise_) health_ = 0;
  }
  const Health after = health();
  if (before == after) return std::nullopt;

  Transition t{before, after, std::to_string(streak_), now};
  t.cause += ok ? " consecutive successful check" : " consecutive failed check";
  if (streak_ != 1) t.cause += 's';
  if (!detail.empty()) {
    t.cause += ", last: ";
    t.cause += detail;
  }
  return t;
}

}  // namespace tandem::lb
