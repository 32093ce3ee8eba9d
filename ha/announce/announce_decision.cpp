#include "ha/announce/announce_decision.h"

namespace tandem::ha {

void AnnounceDecision::serving(bool can_serve, const std::string& why, TimePoint now) {
  if (can_serve && !serving_) serving_since_ = now;
  if (!can_serve && serving_) lost_once_ = true;
  if (!can_serve) not_serving_why_ = why.empty() ? "the proxy cannot serve" : why;
  serving_ = can_serve;
}

AnnounceDecision::Verdict AnnounceDecision::verdict(TimePoint now) const {
  if (stopping_) return {false, "stopping"};
  if (drained_) return {false, "drained by an operator (lbctl undrain NODE announces again)"};
  if (!serving_) return {false, not_serving_why_};
  if (!table_ready_) return {false, "waiting for the peers' stick table"};
  if (lost_once_ && serving_since_ && now - *serving_since_ < hold_down_)
    return {false, "hold-down: serving again for less than " + std::to_string(hold_down_.count()) + " ms"};
  return {true, "serving"};
}

std::optional<AnnounceDecision::TimePoint> AnnounceDecision::next_deadline(TimePoint now) const {
  if (stopping_ || drained_ || !serving_ || !table_ready_ || !lost_once_ || !serving_since_) return std::nullopt;
  const TimePoint end = *serving_since_ + hold_down_;
  return end > now ? std::optional<TimePoint>(end) : std::nullopt;
}

}  // namespace tandem::ha
