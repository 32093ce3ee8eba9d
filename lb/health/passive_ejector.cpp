#include "lb/health/passive_ejector.h"

#include <string>

namespace tandem::lb {

PassiveEjector::PassiveEjector(std::uint32_t max_fails, std::chrono::milliseconds fail_timeout)
    : max_fails_(max_fails), fail_timeout_(fail_timeout) {}

Transition PassiveEjector::eject(TimePoint now, std::string_view why) {
  state_ = State::kEjected;
  until_ = now + fail_timeout_;
  fails_ = 0;
  ++ejections_;
  std::string cause(why);
  cause += "; ejected for ";
  cause += std::to_string(fail_timeout_.count());
  cause += " ms";
  return Transition{Health::kUp, Health::kDown, std::move(cause), now};
}

std::optional<Transition> PassiveEjector::tick(TimePoint now) {
  if (state_ != State::kEjected || now < until_) return std::nullopt;
  state_ = State::kProbation;
  return Transition{Health::kDown, Health::kUp,
                    "cool-down of " + std::to_string(fail_timeout_.count()) +
                        " ms over; reintroduced on probation",
                    now};
}

std::optional<Transition> PassiveEjector::on_result(bool ok, TimePoint now) {
  if (max_fails_ == 0) return std::nullopt;
  std::optional<Transition> reintroduced = tick(now);
  switch (state_) {
    case State::kEjected:
      return std::nullopt;  // a late result from before the ejection
    case State::kProbation:
      if (ok) {
        state_ = State::kClosed;
        fails_ = 0;
        return reintroduced;
      }
      return eject(now, "request failed on probation after a cool-down");
    case State::kClosed:
      if (ok) {
        fails_ = 0;
        return std::nullopt;
      }
      if (++fails_ < max_fails_) return std::nullopt;
      {
        const std::string why = std::to_string(max_fails_) + " consecutive failed request" +
                                (max_fails_ == 1 ? "" : "s");
        return eject(now, why);
      }
  }
  return std::nullopt;
}

}  // namespace tandem::lb
