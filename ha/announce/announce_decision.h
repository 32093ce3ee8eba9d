// Whether this node announces its VIPs to the routers (ha.announce: every
// node active behind the routers' ECMP, docs/scaling.md). Pure: facts in,
// a verdict out, the clock passed in.
//
// The rule, in order (the first that holds decides):
//   1. stopping (SIGTERM, a fatal error)            -> withdraw, for good
//   2. an operator drain (lbctl drain NODE)         -> withdraw
//   3. the proxy cannot serve (ha/track/serving.h)  -> withdraw, the reason given
//   4. the stick table is not yet the peers'        -> withdraw: a node the
//      routers hash flows to must already know its peers' sticky clients
//      (the same gate as a VRRP master's: ha/sync/sync_eligibility.h)
//   5. serving again after a loss, for less than hold_down -> withdraw, so a
//      flapping proxy does not flap the routers' ECMP group (every change
//      rehashes flows over the nodes)
//   6. otherwise                                     -> announce
// The first announcement after start needs no hold-down: the proxy has
// just started and reports its servers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tandem::ha {

class AnnounceDecision {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Verdict {
    bool announce = false;
    std::string why;  // why not, or "serving"
    bool operator==(const Verdict&) const = default;
  };

  explicit AnnounceDecision(std::chrono::milliseconds hold_down) : hold_down_(hold_down) {}

  // The proxy's can-serve verdict for the announced VIPs' listeners.
  void serving(bool can_serve, const std::string& why, TimePoint now);
  // Whether this node's proxy holds its peers' stick table (sync eligibility).
  void table_ready(bool ready) { table_ready_ = ready; }
  // An operator drain on or off.
  void drained(bool on) { drained_ = on; }
  bool is_drained() const { return drained_; }
  // A graceful stop: withdraw and never announce again.
  void stopping() { stopping_ = true; }

  // The verdict at NOW.
  Verdict verdict(TimePoint now) const;

  // When the verdict may change with no new fact (the hold-down ending);
  // nullopt when only a fact can change it.
  std::optional<TimePoint> next_deadline(TimePoint now) const;

 private:
  std::chrono::milliseconds hold_down_;
  bool serving_ = false;
  std::string not_serving_why_ = "no verdict from the proxy yet";
  std::optional<TimePoint> serving_since_;
  bool lost_once_ = false;  // the proxy stopped serving at least once
  bool table_ready_ = true;
  bool drained_ = false;
  bool stopping_ = false;
};

}  // namespace tandem::ha
