// The failover state machine of one virtual instance: RFC 5798 (VRRPv3)
// semantics with the RFC 9568 refinement (a master answers a lower-priority
// advert at once), plus a planned hand-over to a named successor and an
// optional quorum rule. Pure: events in, actions out; no sockets and no clock
// reads, every event carries `now`. Not thread-safe; the agent is
// single-threaded. One machine per instance, so a node may be master of one
// instance and backup of another (active-active).
//
// Behaviour beyond RFC 5798, chosen here and relied on by the shell:
// - Every node, not only the master, sends adverts every interval (BACKUP and
//   FAULT adverts carry their state). They are heartbeats: they never reset a
//   down timer nor make a master step down; they let a master pick a healthy
//   successor and let quorum be counted. Only adverts whose state is MASTER
//   (or priority 0 from the master) follow the RFC rules.
// - Only timer_fired() acts on an expired deadline. An advert delivered with a
//   `now` past the down deadline (the shell drains the socket before the timer
//   event) simply resets the timer: no false failover after a stall.
// - Repeats (config.repeat_adverts, on in the agent): every advert goes out
//   twice, the copy a third of an interval later, saying how late it is
//   (SendAdvert::repeat_delay). RFC 5798 fails over after three lost adverts
//   in a row; with independent loss p that happens with probability p^3 per
//   interval (0.8% at 20% loss: a spurious failover every few seconds at
//   100 ms). With a copy it takes six losses in a row (p^6 = 6.4e-5), while
//   the down interval, and so the failover time, stays as the RFC defines
//   it: backups time the silence from the original. A copy is dropped when a
//   newer advert went out, when the state changed since the original, or
//   when a stall put it a whole interval late (the next advert says it all).
//
// Serving: the one place where this rule is written down.
// - The agent reduces what its lb-proxy reports (usable servers per
//   listener, common/proto/local_channel.proto) to one fact per instance:
//   this node CAN SERVE when every listener bound to one of the instance's
//   VIPs (or to a wildcard address) has at least one usable server. The
//   shell passes it in with serving_update(); every advert carries it.
// - Nodes rank by (can serve, priority, address), serving first:
//   - a BACKUP that can serve takes over at once (whatever preempt and
//     preempt_delay say) from a MASTER that cannot, unless a better-ranked
//     BACKUP that can serve was heard recently (that one takes over);
//   - a MASTER that cannot serve steps down when it hears a MASTER that can;
//   - a node that cannot serve never preempts a master that can;
//   - when no node can serve, priority decides as in RFC 5798: the master
//     keeps the VIP and its proxy answers 503 with the cause, rather than
//     nobody answering at all. A backup whose down timer fires claims the
//     VIP even when it cannot serve, for the same reason.
// - A resigning master names the best-ranked healthy backup as successor.
//
// Coming back (RFC 5798 6.4.1 and 6.4.2): a node that starts, or returns
// from FAULT to BACKUP, forgets the master it knew. It preempts only once
// (a) it has heard an advert in state MASTER since it came back, and
// (b) it can serve (or the master cannot either: then priority decides, as
// above). If no master speaks for the Master_Down_Interval it
// claims the VIP, as any backup does. (A master heard a moment before a
// link came back is not enough: the neighbours and the proxy's servers may
// not be reachable yet.)
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem::ha {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;
using Milliseconds = std::chrono::milliseconds;

// The four VRRP-like states. INIT is both "not started" and "stopped".
enum class State : std::uint8_t { kInit, kBackup, kMaster, kFault };

// "INIT", "BACKUP", "MASTER", "FAULT".
std::string_view to_string(State state);

inline constexpr std::uint8_t kMinPriority = 1;    // lowest configurable priority
inline constexpr std::uint8_t kMaxPriority = 254;  // 255 (address owner) is not used
inline constexpr Milliseconds kMinAdvertInterval{10};
inline constexpr Milliseconds kMaxAdvertInterval{10000};

// RFC 5798 Skew_Time: (256 - PRIORITY) * INTERVAL / 256, exact to the nanosecond.
Duration skew_time(Milliseconds interval, std::uint8_t priority);

// RFC 5798 Master_Down_Interval: 3 * INTERVAL + skew_time(INTERVAL, PRIORITY).
Duration master_down_interval(Milliseconds interval, std::uint8_t priority);

// Another node that runs this instance.
struct Peer {
  std::string name;                  // node name, as in the cluster file
  boost::asio::ip::address address;  // breaks equal-priority ties (higher wins)
};

// Everything one machine needs; built by the agent from the cluster file.
struct InstanceConfig {
  std::uint32_t instance_id = 0;      // 1..255
  std::string instance_name;          // for messages only
  std::string node;                   // this node's name
  boost::asio::ip::address address;   // this node's address (tie-break)
  std::uint8_t priority = 100;        // base priority, 1..254
  Milliseconds advert_interval{100};  // 10 ms .. 10 s
  bool preempt = true;                // a higher-priority backup takes over
  Milliseconds preempt_delay{0};      // ... after this long
  std::vector<Peer> peers;            // the other nodes running this instance
  bool quorum = false;                // claim only while a majority is heard
  std::size_t cluster_size = 0;       // configured nodes, self included; 0 = peers + 1
  bool advertise_in_backup = true;    // BACKUP/FAULT send heartbeat adverts
  bool repeat_adverts = false;        // send every advert twice (file comment)
  std::size_t history = 16;           // transitions kept for status()
};

// An advert as the advert layer delivers it: authenticated, not replayed.
struct Advert {
  std::string node;                      // sender
  std::uint8_t priority = 0;             // 0 = the sender resigns
  State state = State::kInit;            // the sender's state (after resigning, its new one)
  Milliseconds interval{100};            // the sender's advert interval
  std::optional<std::string> successor;  // named in a resigning advert: take over at once
  std::chrono::microseconds repeat_delay{0};  // a copy sent this long after the original
  bool serving = true;                   // the sender can serve (see "Serving" above)
};

// --- Actions: what the shell must do, in order. ---

// Send an advert for this instance now.
struct SendAdvert {
  std::uint8_t priority = 0;             // effective priority, or 0 when resigning
  State state = State::kInit;            // state to put in the advert
  std::optional<std::string> successor;  // node that should take over at once
  bool serving = true;                   // this node can serve (see "Serving" above)
  std::chrono::microseconds repeat_delay{0};  // > 0: a copy, this long after its original
};
// Add the instance's VIPs to the interface.
struct ClaimVip {};
// Remove the instance's VIPs from the interface.
struct ReleaseVip {};
// Announce the VIPs (gratuitous ARP / unsolicited NA burst).
struct SendGratuitousArp {};
// The state changed: log it, run the notify hook, rewrite the state file.
struct Transition {
  State from = State::kInit;
  State to = State::kInit;
  std::string cause;
};
// The event came much later than the machine's deadline: the agent was not
// scheduled for GAP (time since the previous event); LATE is how far past the
// expected wake-up it came.
struct Stall {
  Duration gap{};
  Duration late{};
};
// Something worth a log line that is not a transition (an ignored advert, a
// refused switchover, a priority change, a claim blocked by quorum).
struct Notice {
  std::string text;
};

using Action =
    std::variant<SendAdvert, ClaimVip, ReleaseVip, SendGratuitousArp, Transition, Stall, Notice>;
using Actions = std::vector<Action>;

// One line describing ACTION, for logs and test failure messages.
std::string describe(const Action& action);

// --- Status, for the control socket. ---

// What this machine last heard from one peer.
struct PeerStatus {
  std::string name;
  boost::asio::ip::address address;
  std::optional<TimePoint> last_advert;  // nullopt: never heard
  std::uint8_t priority = 0;             // as last advertised
  State state = State::kInit;            // as last advertised
  Milliseconds interval{0};              // as last advertised
  bool serving = true;                   // as last advertised
};

// One past transition.
struct TransitionRecord {
  TimePoint at;
  State from = State::kInit;
  State to = State::kInit;
  std::string cause;
};

// A snapshot of the machine.
struct Status {
  std::uint32_t instance_id = 0;
  std::string instance_name;
  State state = State::kInit;
  std::uint8_t base_priority = 0;
  std::uint8_t effective_priority = 0;
  std::string priority_reason;              // e.g. "base 200 - proxy 50 = 150"
  bool serving = true;                      // this node can serve (see "Serving")
  std::string not_serving_why;              // why not, when it cannot
  std::vector<std::string> failing_tracks;  // fault-mode tracks now failing
  std::optional<std::string> master;        // this node when MASTER; else as last heard
  std::optional<TimePoint> next_deadline;
  std::vector<PeerStatus> peers;              // in configuration order
  std::vector<TransitionRecord> transitions;  // oldest first, at most config.history
};

// The state machine of one virtual instance. See the file comment.
class InstanceMachine {
 public:
  // Every problem with CONFIG, one message each; empty when valid.
  static std::vector<std::string> validate(const InstanceConfig& config);

  // Starts in INIT. Throws std::invalid_argument (all problems, one per line)
  // when CONFIG is invalid.
  explicit InstanceMachine(InstanceConfig config);

  // INIT -> BACKUP (FAULT when a fault-mode track is failing); arms the down
  // timer with the full Master_Down_Interval. Ignored unless in INIT.
  Actions start(TimePoint now);

  // An authenticated advert from a peer. Adverts from this node itself or from
  // an unknown node, or with an out-of-range priority or interval, are ignored.
  Actions advert_received(const Advert& advert, TimePoint now);

  // The shell calls this at next_deadline() (after draining the advert socket).
  // Calling it early or late is safe: only expired deadlines act.
  Actions timer_fired(TimePoint now);

  // A fault-mode track (weight 0) failed: MASTER resigns (priority 0, naming a
  // successor) and goes FAULT; BACKUP goes FAULT. Idempotent per track name.
  Actions tracked_failure(std::string_view track, TimePoint now);

  // A fault-mode track recovered; when none is left failing, FAULT -> BACKUP.
  Actions tracked_recovery(std::string_view track, TimePoint now);

  // A weight-mode track now lowers the priority by WEIGHT (0 = healthy again).
  // Absolute per track, so repeating a report is harmless. The effective
  // priority is base - sum of weights, clamped to 1..254. A master advertises
  // the change at once; a backup re-evaluates preemption.
  Actions priority_adjust(std::string_view track, unsigned weight, TimePoint now);

  // Graceful stop: MASTER releases the VIP and resigns with priority 0 naming
  // the best healthy backup; every state goes to INIT.
  Actions shutdown(TimePoint now);

  // Planned hand-over from this MASTER to TO (or, when absent, to the best
  // healthy backup). Refused with a Notice when not master or no candidate.
  // This node then stays BACKUP and does not preempt the successor.
  Actions switchover_requested(const std::optional<std::string>& to, TimePoint now);

  // The sync connection to NODE broke. If NODE is the master we follow, the
  // down timer is shortened to interval + skew from now (never lengthened):
  // an agent that died while its host stays up resets the connection at once,
  // and one missed advert confirms it. Skew keeps the priority order.
  Actions peer_connection_lost(std::string_view node, TimePoint now);

  // The shell confirmed that NODE's agent is gone while its host is up (its
  // sync connection closed and fast probes of its sync port were refused).
  // If NODE is the master we follow, the down timer is shortened to
  // max(ALIGNED, now) + skew (never lengthened). ALIGNED is an instant every
  // backup that saw the same close agrees on (the close plus a fixed probe
  // window), so skew keeps the priority order even though each backup's
  // probes finish at a slightly different time.
  Actions peer_confirmed_down(std::string_view node, TimePoint aligned, TimePoint now);

  // Whether this node can serve the instance (see "Serving" in the file
  // comment); WHY says why not. A MASTER advertises a change at once; a
  // BACKUP that now can serve re-evaluates preemption. Idempotent.
  Actions serving_update(bool can_serve, std::string why, TimePoint now);

  // Quorum mode: the nodes the shell heard recently (by any channel), which
  // stands until the next update. Counted together with the peers whose
  // adverts this machine heard within their down interval. A MASTER without a
  // majority resigns; a BACKUP never claims without one.
  Actions quorum_update(std::vector<std::string> heard, TimePoint now);

  // When the shell must call timer_fired(); nullopt when nothing is pending.
  std::optional<TimePoint> next_deadline() const;

  // The current state.
  State state() const { return state_; }
  // Base priority minus the weights of failing tracks, clamped to 1..254.
  std::uint8_t effective_priority() const { return effective_; }
  // Whether this node can serve (serving_update), as its adverts say.
  bool serving() const { return serving_; }
  // The configuration this machine was built from.
  const InstanceConfig& config() const { return config_; }

  // A snapshot for the control socket and the state file.
  Status status() const;

 private:
  struct PeerInfo {
    Peer peer;
    std::optional<TimePoint> last_advert;
    std::uint8_t priority = 0;
    State state = State::kInit;
    Milliseconds interval{0};
    bool serving = true;
  };

  void begin(TimePoint now, Actions& out);
  PeerInfo* find_peer(std::string_view name);
  const PeerInfo* find_peer(std::string_view name) const;
  bool heard_recently(const PeerInfo& peer, TimePoint now) const;
  bool healthy_backup(const PeerInfo& peer, TimePoint now) const;
  std::optional<std::string> choose_successor(TimePoint now) const;
  // A serving BACKUP heard recently that ranks above this node.
  bool better_serving_backup(TimePoint now) const;
  std::size_t nodes_heard(TimePoint now) const;
  std::size_t cluster_size() const;
  bool has_quorum(TimePoint now) const;
  // A master without a majority resigns (priority 0, no successor) and waits.
  void step_down_for_quorum(TimePoint now, Actions& out);
  void recompute_priority();

  void on_advert_backup(const Advert& advert, bool was_master, TimePoint now, Actions& out);
  void on_advert_master(const Advert& advert, const PeerInfo& peer, TimePoint now, Actions& out);

  void transition(State to, std::string cause, TimePoint now, Actions& out);
  bool try_claim(const std::string& cause, TimePoint now, Actions& out);
  void become_master(const std::string& cause, TimePoint now, Actions& out);
  void resign(State to, const std::string& cause, const std::optional<std::string>& successor,
              TimePoint now, Actions& out);
  void enter_backup(TimePoint now, Actions& out);
  void reset_down(TimePoint now, Duration after, std::string cause);
  void evaluate_preempt(TimePoint now, Actions& out);
  void send_advert(TimePoint now, Actions& out);
  // Every advert goes out through here (arms its repeat).
  void emit(SendAdvert advert, TimePoint now, Actions& out);
  // The repeat of the last advert, when due (see "Repeats" above).
  void repeat_if_due(TimePoint now, Actions& out);
  void advance_advert_timer(TimePoint now);
  void clear_backup_timers();

  InstanceConfig config_;
  State state_ = State::kInit;
  std::vector<PeerInfo> peers_;
  std::set<std::string, std::less<>> failing_tracks_;
  std::map<std::string, unsigned, std::less<>> weights_;
  std::uint8_t effective_ = 0;

  // The master this node follows (BACKUP, FAULT), as last heard.
  std::optional<std::string> master_;
  std::uint8_t master_priority_ = 0;
  Milliseconds master_interval_{0};
  bool master_serving_ = true;
  bool serving_ = true;
  std::string not_serving_why_;
  std::optional<TimePoint> repeat_deadline_;  // the copy of repeat_of_ is due
  SendAdvert repeat_of_;
  TimePoint repeat_original_{};

  std::optional<TimePoint> down_deadline_;         // BACKUP: Master_Down_Timer
  TimePoint down_since_{};                         // when the down timer was last reset
  std::string down_cause_;                         // what it waits for, for the cause string
  std::optional<TimePoint> preempt_deadline_;      // BACKUP: preempt after the delay
  std::optional<TimePoint> advert_deadline_;       // MASTER, and BACKUP/FAULT heartbeats
  std::optional<std::string> no_preempt_against_;  // successor of a planned hand-over
  bool quorum_blocked_ = false;                    // a claim is being held back by quorum
  std::vector<std::string> quorum_heard_;
  std::optional<TimePoint> last_now_;
  std::deque<TransitionRecord> history_;
};

}  // namespace tandem::ha
