#include "ha/track/track_board.h"

#include "ha/failover/instance_machine.h"

namespace tandem::ha {

void TrackBoard::add_script(const std::string& track, unsigned weight) {
  shown_[track] = TrackView{track, true, weight};
}

TrackChange TrackBoard::script(const std::string& track, bool healthy, unsigned weight, std::string detail) {
  if (auto it = shown_.find(track); it != shown_.end()) it->second.healthy = healthy;
  return TrackChange{track, healthy, weight, std::move(detail)};
}

std::optional<TrackChange> TrackBoard::link(bool up, std::string detail) {
  if (link_up_ == up) return std::nullopt;
  const bool first = !link_up_.has_value();
  link_up_ = up;
  shown_["link"] = TrackView{"link", up, 0};
  if (first && up) return std::nullopt;  // the machines already assume it up
  return TrackChange{"link", up, 0, std::move(detail)};
}

std::optional<TrackChange> TrackBoard::proxy(bool alive, unsigned weight, const std::string& why) {
  if (alive == proxy_alive_) return std::nullopt;
  proxy_alive_ = alive;
  return TrackChange{"proxy", alive, weight, alive ? "heartbeats and serving" : why};
}

TrackChange TrackBoard::sync_waiting() {
  sync_gate_failed_ = true;
  shown_["sync"] = TrackView{"sync", false, 0};
  return TrackChange{"sync", false, 0, "waiting for the initial sync from peers and its hand-over to the proxy"};
}

std::vector<TrackChange> TrackBoard::sync_verdict(sync::Eligibility verdict, const std::string& why) {
  std::vector<TrackChange> out;
  const std::string detail = std::string(sync::to_string(verdict)) + ": " + why;
  const bool last_resort = verdict == sync::Eligibility::kLastResort;
  // The priority drops before the node leaves FAULT, never after.
  if (last_resort || shown_.contains("sync_table")) {
    shown_["sync_table"] = TrackView{"sync_table", !last_resort, kMaxPriority};
    out.push_back(TrackChange{"sync_table", !last_resort, kMaxPriority, detail});
  }
  shown_["sync"] = TrackView{"sync", true, 0};
  if (sync_gate_failed_) out.push_back(TrackChange{"sync", true, 0, detail});
  sync_gate_failed_ = false;
  return out;
}

std::vector<TrackView> TrackBoard::views() const {
  std::vector<TrackView> out;
  for (const auto& [name, view] : shown_) out.push_back(view);
  return out;
}

}  // namespace tandem::ha
