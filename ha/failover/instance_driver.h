// One VRRP instance's driver: it owns the instance's InstanceMachine, feeds
// it the events the agent routes here, performs the actions the machine
// returns, and keeps the instance's one timer at the machine's next deadline
// (the perform/arm pair). One driver per instance.
//
// No Asio: the advert socket, the VIPs and the timer are ports (functions)
// the agent plugs in, so a unit test drives a driver with a fake clock and
// sees every action it performs. The driver decides only what the machine's
// actions mean for this one instance (which track rule applies, whether a
// serving or quorum fact changed, what a switchover answers); the machine
// decides everything else.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ha/failover/instance_machine.h"

namespace tandem::ha {

// What a driver needs from the agent to carry out its machine's actions.
struct InstanceDriverPorts {
  // Sends one advert of this instance (signed, sequenced: ha/advert).
  std::function<void(const SendAdvert&)> send_advert;
  // Adds the instance's VIPs and starts announcing them.
  std::function<void()> claim_vips;
  // Stops announcing and removes the VIPs.
  std::function<void()> release_vips;
  // One announcement of every VIP now, outside a claim's burst.
  std::function<void()> announce_vips;
  // The instance changed state (already logged): notify hook, counters.
  std::function<void(const Transition&)> transitioned;
  // Sets the instance's timer to call timer_fired() at DEADLINE; nullopt
  // cancels it. Only called when the deadline changes.
  std::function<void(std::optional<TimePoint> deadline)> set_timer;
  // After each batch of actions; TRANSITIONED when one changed the state
  // (the agent's overall role and the state file).
  std::function<void(bool transitioned)> after_actions;
  // Unix time in ms, for when the instance entered its state.
  std::function<std::uint64_t()> unix_now_ms;
};

// What a switchover request did to one instance.
struct SwitchoverOutcome {
  bool handed_over = false;
  std::string message;  // "NAME: ...", for the operator
};

class InstanceDriver {
 public:
  // Throws std::invalid_argument when CONFIG is invalid (InstanceMachine).
  InstanceDriver(InstanceConfig config, InstanceDriverPorts ports);

  const std::string& name() const { return machine_.config().instance_name; }
  const InstanceMachine& machine() const { return machine_; }
  // When the instance entered its current state (Unix ms).
  std::uint64_t since_unix_ms() const { return since_unix_ms_; }
  // Scheduler stalls the machine reported.
  std::uint64_t stalls() const { return stalls_; }

  // INIT -> BACKUP (or FAULT), the down timer armed.
  void start(TimePoint now);
  void advert_received(const Advert& advert, TimePoint now);
  // The timer set through set_timer fired.
  void timer_fired(TimePoint now);
  // A tracked condition changed: WEIGHT 0 is fault mode (a failure makes the
  // instance FAULT), otherwise a failure lowers the priority by WEIGHT.
  void track_changed(const std::string& track, bool healthy, unsigned weight, TimePoint now);
  // Whether this node can serve the instance (ha/track/serving.h); WHY is ""
  // when it can. Only a change reaches the machine (and the log).
  void serving_update(bool can_serve, const std::string& why, TimePoint now);
  // Quorum mode: the nodes heard recently. Only a change reaches the machine.
  void quorum_update(std::vector<std::string> heard, TimePoint now);
  // The sync connection to PEER broke (CONFIRMED_ALIGNED: and its agent is
  // confirmed gone, aligned on that instant).
  void peer_lost(const std::string& peer, std::optional<TimePoint> confirmed_aligned, TimePoint now);
  // An operator asks this MASTER to hand over (to TO, or the best backup).
  SwitchoverOutcome switchover(const std::optional<std::string>& to, TimePoint now);
  // Graceful stop: resign and release, then no timer any more.
  void shutdown(TimePoint now);

 private:
  // Performs ACTIONS, then re-arms the timer.
  void apply(const Actions& actions);
  void perform(const Actions& actions);
  void arm();

  InstanceMachine machine_;
  InstanceDriverPorts ports_;
  std::optional<TimePoint> armed_for_;                  // the deadline the timer is set to
  std::optional<std::string> serving_why_;              // the can-serve fact last given: "" = can serve
  std::optional<std::vector<std::string>> quorum_heard_;  // last given to quorum_update
  std::uint64_t since_unix_ms_ = 0;
  std::uint64_t stalls_ = 0;
  bool stopped_ = false;
};

}  // namespace tandem::ha
