// The agent's tracked conditions in one place: what the status shows for
// each (link, script:NAME, sync, sync_table) and which readings become a
// track change for the instance drivers. Pure: the agent reads the link,
// the proxy's liveness and the sync verdict, and applies what comes back.
//
// The rules:
//   - link: the machines start assuming the link up, so the first reading
//     is a change only when the link is down; after that, every flip.
//   - proxy: a change only when its alive verdict flips (assumed alive at
//     start); not shown as a track (the status has its own proxy section).
//   - stick sync (ha/sync/sync_eligibility.h): "sync" (fault mode) fails
//     while the node waits for its initial table, so a node restarted from
//     nothing stays FAULT; "sync_table" (weight mode) lowers a node in last
//     resort to priority 1. The priority drops before the node leaves FAULT,
//     never after.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ha/control/status_builder.h"
#include "ha/sync/sync_eligibility.h"

namespace tandem::ha {

// One change for every instance driver (InstanceDriver::track_changed).
struct TrackChange {
  std::string name;
  bool healthy = true;
  unsigned weight = 0;  // 0: fault mode
  std::string detail;   // for the log
};

class TrackBoard {
 public:
  // A track script, shown healthy until its first result.
  void add_script(const std::string& track, unsigned weight);
  // A track script's flip (TrackScript reports only flips).
  TrackChange script(const std::string& track, bool healthy, unsigned weight, std::string detail);
  // A reading of the node's interface; DETAIL says what was read.
  std::optional<TrackChange> link(bool up, std::string detail);
  // A reading of the proxy's liveness; WHY says why it is dead ("" alive).
  std::optional<TrackChange> proxy(bool alive, unsigned weight, const std::string& why);
  // At start-up, the sync gate's first verdict was kWaiting.
  TrackChange sync_waiting();
  // A new sync eligibility verdict (why: the rule's reason), in order.
  std::vector<TrackChange> sync_verdict(sync::Eligibility verdict, const std::string& why);

  // Every shown track, by name.
  std::vector<TrackView> views() const;

 private:
  std::map<std::string, TrackView> shown_;
  std::optional<bool> link_up_;   // the last link reading
  bool proxy_alive_ = true;       // the verdict last given
  bool sync_gate_failed_ = false; // "sync" was reported failing
};

}  // namespace tandem::ha
