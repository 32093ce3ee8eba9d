#include "ha/sync/peer_state.h"

#include <algorithm>
#include <cmath>

namespace tandem::ha::sync {

Milliseconds Backoff::next(double jitter01) {
  const Milliseconds base = next_;
  next_ = std::min(next_ * 2, max_);
  const double f = 0.75 + 0.25 * std::clamp(jitter01, 0.0, 1.0);
  return Milliseconds(std::max<long long>(1, static_cast<long long>(std::llround(base.count() * f))));
}

void LagStats::add(double ms) {
  if (capacity_ == 0) return;
  if (ring_.size() < capacity_) {
    ring_.push_back(ms);
  } else {
    ring_[next_] = ms;
    next_ = (next_ + 1) % capacity_;
  }
  ++count_;
}

double LagStats::quantile(double q) const {
  if (ring_.empty()) return 0;
  std::vector<double> sorted = ring_;
  std::sort(sorted.begin(), sorted.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  return sorted[static_cast<std::size_t>(std::llround(pos))];
}

InitialSyncGate::InitialSyncGate(std::set<std::string> peers, TimePoint deadline) : deadline_(deadline) {
  for (const auto& p : peers) peers_[p] = "";
}

void InitialSyncGate::settle(const std::string& peer, const char* how) {
  auto it = peers_.find(peer);
  if (it != peers_.end() && it->second.empty()) it->second = how;
}

bool InitialSyncGate::open(TimePoint now) const { return now >= deadline_ || waiting().empty(); }

std::vector<std::string> InitialSyncGate::waiting() const {
  std::vector<std::string> out;
  for (const auto& [peer, how] : peers_)
    if (how.empty()) out.push_back(peer);
  return out;
}

std::string InitialSyncGate::describe(TimePoint now) const {
  std::string text;
  for (const auto& [peer, how] : peers_)
    text += (text.empty() ? "" : ", ") + peer + ": " + (how.empty() ? "waiting" : how);
  if (!waiting().empty() && now >= deadline_) text += " (timed out)";
  return text.empty() ? "no peers" : text;
}

}  // namespace tandem::ha::sync
