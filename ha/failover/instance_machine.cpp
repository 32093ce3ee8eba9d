// The failover state machine of one virtual instance (RFC 5798, RFC 9568).
#include "ha/failover/instance_machine.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace tandem::ha {
namespace {

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<Milliseconds>(d).count()) + " ms";
}

std::string node_list(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::kInit:
      return "INIT";
    case State::kBackup:
      return "BACKUP";
    case State::kMaster:
      return "MASTER";
    case State::kFault:
      return "FAULT";
  }
  return "UNKNOWN";
}

Duration skew_time(Milliseconds interval, std::uint8_t priority) {
  const Duration whole = interval;
  return whole * (256 - static_cast<int>(priority)) / 256;
}

Duration master_down_interval(Milliseconds interval, std::uint8_t priority) {
  return Duration(interval) * 3 + skew_time(interval, priority);
}

std::string describe(const Action& action) {
  return std::visit(Overloaded{
                        [](const SendAdvert& a) {
                          std::string text = "SendAdvert{priority " + std::to_string(a.priority) +
                                             ", " + std::string(to_string(a.state));
                          if (a.successor) text += ", successor " + *a.successor;
                          if (!a.serving) text += ", cannot serve";
                          if (a.repeat_delay.count() > 0)
                            text += ", copy " + std::to_string(a.repeat_delay.count()) + " us late";
                          return text + "}";
                        },
                        [](const ClaimVip&) { return std::string("ClaimVip"); },
                        [](const ReleaseVip&) { return std::string("ReleaseVip"); },
                        [](const SendGratuitousArp&) { return std::string("SendGratuitousArp"); },
                        [](const Transition& t) {
                          return "Transition{" + std::string(to_string(t.from)) + " -> " +
                                 std::string(to_string(t.to)) + ": " + t.cause + "}";
                        },
                        [](const Stall& s) {
                          return "Stall{scheduler stall of " + ms_text(s.gap) + ", " +
                                 ms_text(s.late) + " late}";
                        },
                        [](const Notice& n) { return "Notice{" + n.text + "}"; },
                    },
                    action);
}

std::vector<std::string> InstanceMachine::validate(const InstanceConfig& c) {
  std::vector<std::string> problems;
  const std::string where =
      "instance " + (c.instance_name.empty() ? std::to_string(c.instance_id) : c.instance_name);
  if (c.instance_id < 1 || c.instance_id > 255)
    problems.push_back(where + ": id " + std::to_string(c.instance_id) + " is not in 1..255");
  if (c.node.empty()) problems.push_back(where + ": own node name is empty");
  if (c.priority < kMinPriority || c.priority > kMaxPriority)
    problems.push_back(where + ": priority " + std::to_string(c.priority) + " is not in 1..254");
  if (c.advert_interval < kMinAdvertInterval || c.advert_interval > kMaxAdvertInterval)
    problems.push_back(where + ": advert interval " + std::to_string(c.advert_interval.count()) +
                       " ms is not in 10..10000 ms");
  if (c.preempt_delay < Milliseconds{0}) problems.push_back(where + ": preempt delay is negative");
  if (c.history < 1) problems.push_back(where + ": history must keep at least 1 transition");
  std::set<std::string> names{c.node};
  std::set<boost::asio::ip::address> addresses{c.address};
  for (const auto& peer : c.peers) {
    if (peer.name.empty())
      problems.push_back(where + ": a peer has an empty name");
    else if (!names.insert(peer.name).second)
      problems.push_back(where + ": node " + peer.name + " is listed twice (or is this node)");
    if (!addresses.insert(peer.address).second)
      problems.push_back(where + ": address " + peer.address.to_string() + " of " + peer.name +
                         " is used by another node; ties could not be broken");
  }
  if (c.quorum && c.cluster_size != 0 && c.cluster_size < c.peers.size() + 1)
    problems.push_back(where + ": cluster size " + std::to_string(c.cluster_size) +
                       " is smaller than the " + std::to_string(c.peers.size() + 1) +
                       " nodes running the instance");
  return problems;
}

InstanceMachine::InstanceMachine(InstanceConfig config) : config_(std::move(config)) {
  if (auto problems = validate(config_); !problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "\n") + p;
    throw std::invalid_argument(text);
  }
  for (const auto& peer : config_.peers) peers_.push_back(PeerInfo{peer, {}, 0, State::kInit, {}});
  master_interval_ = config_.advert_interval;
  recompute_priority();
}

// ---------------------------------------------------------------- helpers

void InstanceMachine::begin(TimePoint now, Actions& out) {
  // A stall: we were due to be woken at the deadline (or the last event, if
  // later) and more than one interval passed beyond it. While MASTER that is
  // a gap of more than two intervals between successive events.
  if (state_ != State::kInit && last_now_) {
    if (auto deadline = next_deadline()) {
      const TimePoint expected = std::max(*last_now_, *deadline);
      if (now - expected > Duration(config_.advert_interval))
        out.push_back(Stall{now - *last_now_, now - expected});
    }
  }
  if (!last_now_ || now > *last_now_) last_now_ = now;
}

InstanceMachine::PeerInfo* InstanceMachine::find_peer(std::string_view name) {
  for (auto& p : peers_)
    if (p.peer.name == name) return &p;
  return nullptr;
}

const InstanceMachine::PeerInfo* InstanceMachine::find_peer(std::string_view name) const {
  for (const auto& p : peers_)
    if (p.peer.name == name) return &p;
  return nullptr;
}

bool InstanceMachine::heard_recently(const PeerInfo& peer, TimePoint now) const {
  return peer.last_advert && peer.state != State::kInit &&
         now - *peer.last_advert <= master_down_interval(peer.interval, peer.priority);
}

bool InstanceMachine::healthy_backup(const PeerInfo& peer, TimePoint now) const {
  // A BACKUP advert at priority 0 is a master that just handed over by
  // switchover: a healthy backup (it ranks lowest until its next heartbeat),
  // so an operator may switch straight back. A graceful stop advertises INIT
  // and a tracked failure FAULT, so neither passes.
  return heard_recently(peer, now) && peer.state == State::kBackup;
}

std::optional<std::string> InstanceMachine::choose_successor(TimePoint now) const {
  const PeerInfo* best = nullptr;
  for (const auto& p : peers_) {
    if (!healthy_backup(p, now)) continue;
    if (!best || std::tie(p.serving, p.priority, p.peer.address) >
                     std::tie(best->serving, best->priority, best->peer.address))
      best = &p;
  }
  if (!best) return std::nullopt;
  return best->peer.name;
}

bool InstanceMachine::better_serving_backup(TimePoint now) const {
  for (const auto& p : peers_)
    if (healthy_backup(p, now) && p.serving &&
        std::tie(p.priority, p.peer.address) > std::tie(effective_, config_.address))
      return true;
  return false;
}

std::size_t InstanceMachine::cluster_size() const {
  return config_.cluster_size != 0 ? config_.cluster_size : config_.peers.size() + 1;
}

std::size_t InstanceMachine::nodes_heard(TimePoint now) const {
  std::size_t count = 1;  // this node
  for (const auto& p : peers_) {
    const bool reported =
        std::find(quorum_heard_.begin(), quorum_heard_.end(), p.peer.name) != quorum_heard_.end();
    if (reported || heard_recently(p, now)) ++count;
  }
  // Nodes the shell heard that run other instances only (cluster_size counts them).
  for (const auto& name : quorum_heard_)
    if (name != config_.node && !find_peer(name)) ++count;
  return std::min(count, cluster_size());
}

bool InstanceMachine::has_quorum(TimePoint now) const {
  return !config_.quorum || nodes_heard(now) * 2 > cluster_size();
}

void InstanceMachine::recompute_priority() {
  int value = config_.priority;
  for (const auto& [track, weight] : weights_) value -= static_cast<int>(weight);
  effective_ = static_cast<std::uint8_t>(std::clamp(value, int{kMinPriority}, int{kMaxPriority}));
}

std::optional<TimePoint> InstanceMachine::next_deadline() const {
  std::optional<TimePoint> next;
  auto consider = [&next](const std::optional<TimePoint>& t) {
    if (t && (!next || *t < *next)) next = t;
  };
  switch (state_) {
    case State::kInit:
      return next;
    case State::kBackup:
      consider(down_deadline_);
      consider(preempt_deadline_);
      consider(advert_deadline_);
      break;
    case State::kMaster:
    case State::kFault:
      consider(advert_deadline_);
      break;
  }
  consider(repeat_deadline_);
  return next;
}

// ---------------------------------------------------------------- transitions

void InstanceMachine::transition(State to, std::string cause, TimePoint now, Actions& out) {
  history_.push_back(TransitionRecord{now, state_, to, cause});
  while (history_.size() > config_.history) history_.pop_front();
  out.push_back(Transition{state_, to, std::move(cause)});
  state_ = to;
}

bool InstanceMachine::try_claim(const std::string& cause, TimePoint now, Actions& out) {
  if (!has_quorum(now)) {
    if (!quorum_blocked_) {
      out.push_back(Notice{"not claiming (" + cause + "): quorum lost, heard " +
                           std::to_string(nodes_heard(now)) + " of " +
                           std::to_string(cluster_size()) + " nodes"});
      quorum_blocked_ = true;
    }
    // Listen for another interval before trying again; down_since_ and the
    // cause keep counting from the original silence.
    down_deadline_ = now + master_down_interval(master_interval_, effective_);
    return false;
  }
  become_master(cause, now, out);
  return true;
}

void InstanceMachine::become_master(const std::string& cause, TimePoint now, Actions& out) {
  transition(State::kMaster, cause, now, out);
  // The advert first: a master we preempt starts stepping down while we
  // add the address.
  emit(SendAdvert{effective_, State::kMaster, std::nullopt, serving_}, now, out);
  out.push_back(ClaimVip{});
  out.push_back(SendGratuitousArp{});
  clear_backup_timers();
  master_.reset();
  master_priority_ = 0;
  no_preempt_against_.reset();
  quorum_blocked_ = false;
  advert_deadline_ = now + config_.advert_interval;
}

void InstanceMachine::resign(State to, const std::string& cause,
                             const std::optional<std::string>& successor, TimePoint now,
                             Actions& out) {
  transition(to, cause, now, out);
  out.push_back(ReleaseVip{});
  emit(SendAdvert{0, to, successor, serving_}, now, out);
  master_.reset();
  master_priority_ = 0;
  master_interval_ = config_.advert_interval;
  if (to != State::kInit && config_.advertise_in_backup)
    advert_deadline_ = now + config_.advert_interval;
  else
    advert_deadline_.reset();
}

void InstanceMachine::clear_backup_timers() {
  down_deadline_.reset();
  preempt_deadline_.reset();
}

void InstanceMachine::reset_down(TimePoint now, Duration after, std::string cause) {
  down_since_ = now;
  down_deadline_ = now + after;
  down_cause_ = std::move(cause);
}

void InstanceMachine::enter_backup(TimePoint now, Actions& out) {
  if (master_)
    reset_down(now, master_down_interval(master_interval_, effective_),
               "no advert from " + *master_);
  else
    reset_down(now, master_down_interval(master_interval_, effective_), "no master heard");
  preempt_deadline_.reset();
  quorum_blocked_ = false;
  if (config_.advertise_in_backup) send_advert(now, out);
  evaluate_preempt(now, out);
}

void InstanceMachine::evaluate_preempt(TimePoint now, Actions& out) {
  // "Serving" in the header: a backup that can serve takes over at once from
  // a master that cannot, unless a better-ranked serving backup will.
  const bool can_act = state_ == State::kBackup && master_ && master_priority_ > 0;
  if (can_act && serving_ && !master_serving_) {
    preempt_deadline_.reset();
    if (better_serving_backup(now)) return;
    try_claim("taking over from " + *master_ + ", which cannot serve (priority " +
                  std::to_string(master_priority_) + ", ours " + std::to_string(effective_) + ")",
              now, out);
    return;
  }
  // RFC 5798 6.4.2: a backup preempts only a strictly lower-priority master,
  // and (serving ranks first) only one that serves no better than it does.
  const bool wanted = can_act && serving_ == master_serving_ && config_.preempt &&
                      effective_ > master_priority_ && no_preempt_against_ != master_;
  if (!wanted) {
    preempt_deadline_.reset();
    return;
  }
  if (preempt_deadline_) return;  // already counting down
  const std::string cause = "preempting " + *master_ + " priority " +
                            std::to_string(master_priority_) + " with priority " +
                            std::to_string(effective_);
  if (config_.preempt_delay <= Milliseconds{0}) {
    try_claim(cause, now, out);
    return;
  }
  preempt_deadline_ = now + config_.preempt_delay;
}

void InstanceMachine::send_advert(TimePoint now, Actions& out) {
  emit(SendAdvert{effective_, state_, std::nullopt, serving_}, now, out);
  advert_deadline_ = now + config_.advert_interval;
}

void InstanceMachine::emit(SendAdvert advert, TimePoint now, Actions& out) {
  advert.serving = serving_;
  if (config_.repeat_adverts && advert.state != State::kInit) {
    repeat_of_ = advert;
    repeat_original_ = now;
    repeat_deadline_ = now + Duration(config_.advert_interval) / 3;
  } else {
    repeat_deadline_.reset();
  }
  out.push_back(std::move(advert));
}

void InstanceMachine::repeat_if_due(TimePoint now, Actions& out) {
  if (!repeat_deadline_ || now < *repeat_deadline_) return;
  repeat_deadline_.reset();
  const auto late = std::chrono::duration_cast<std::chrono::microseconds>(now - repeat_original_);
  // A stall put the copy past the next advert's time: the next advert says it all.
  if (state_ != repeat_of_.state || late >= config_.advert_interval) return;
  SendAdvert copy = repeat_of_;
  copy.repeat_delay = std::max(late, std::chrono::microseconds{1});
  out.push_back(std::move(copy));
}

void InstanceMachine::advance_advert_timer(TimePoint now) {
  // Keep the cadence of the deadlines, unless a stall put us behind.
  TimePoint next = *advert_deadline_ + config_.advert_interval;
  if (next <= now) next = now + config_.advert_interval;
  advert_deadline_ = next;
}

// ---------------------------------------------------------------- events

Actions InstanceMachine::start(TimePoint now) {
  Actions out;
  if (state_ != State::kInit) {
    out.push_back(Notice{"start ignored: already " + std::string(to_string(state_))});
    return out;
  }
  last_now_ = now;
  master_.reset();
  master_priority_ = 0;
  master_serving_ = true;
  master_interval_ = config_.advert_interval;
  no_preempt_against_.reset();
  if (!failing_tracks_.empty()) {
    std::vector<std::string> tracks(failing_tracks_.begin(), failing_tracks_.end());
    transition(State::kFault, "start with failing track " + node_list(tracks), now, out);
    clear_backup_timers();
    if (config_.advertise_in_backup)
      send_advert(now, out);
    else
      advert_deadline_.reset();
    return out;
  }
  transition(State::kBackup, "start", now, out);
  advert_deadline_.reset();
  enter_backup(now, out);
  return out;
}

Actions InstanceMachine::advert_received(const Advert& advert, TimePoint now) {
  Actions out;
  begin(now, out);
  if (advert.node == config_.node) return out;  // our own, looped back
  PeerInfo* peer = find_peer(advert.node);
  if (!peer) {
    out.push_back(Notice{"advert from " + advert.node + ", which does not run instance " +
                         std::to_string(config_.instance_id) + ", ignored"});
    return out;
  }
  if (advert.priority > kMaxPriority || advert.interval < kMinAdvertInterval ||
      advert.interval > kMaxAdvertInterval ||
      (advert.state == State::kInit && advert.priority != 0)) {
    out.push_back(Notice{"advert from " + advert.node + " ignored: priority " +
                         std::to_string(advert.priority) + ", state " +
                         std::string(to_string(advert.state)) + ", interval " +
                         std::to_string(advert.interval.count()) + " ms out of range"});
    return out;
  }
  const bool was_master = peer->state == State::kMaster || master_ == advert.node;
  // A peer heard again after a silence longer than its down interval has
  // been cut off (a partition, a cable): it may hold stale ARP entries or
  // think itself master. A master re-announces at once instead of waiting
  // for the peer's advert to say MASTER (which never comes if our regular
  // advert reaches it first and it steps down quietly).
  const bool returned =
      peer->last_advert && now - *peer->last_advert > master_down_interval(advert.interval, kMinPriority);
  // A master that has just stepped down may have announced the VIP after
  // we claimed it (its gratuitous ARP burst keeps running until it hears
  // us): announce again once it says it is no longer master, so the
  // neighbours' last word about the VIP is ours.
  const bool stepped_down = peer->state == State::kMaster && advert.state != State::kMaster;
  peer->last_advert = now;
  peer->priority = advert.priority;
  peer->state = advert.state;
  peer->interval = advert.interval;
  peer->serving = advert.serving;

  switch (state_) {
    case State::kInit:
      break;
    case State::kFault:
      // Keep following the master, for status and for the return to BACKUP.
      if (advert.priority == 0 && was_master) {
        master_.reset();
      } else if (advert.state == State::kMaster && advert.priority > 0) {
        master_ = advert.node;
        master_priority_ = advert.priority;
        master_interval_ = advert.interval;
        master_serving_ = advert.serving;
      }
      break;
    case State::kBackup:
      on_advert_backup(advert, was_master, now, out);
      break;
    case State::kMaster:
      on_advert_master(advert, *peer, now, out);
      if (state_ != State::kMaster) break;
      if (returned) {
        out.push_back(Notice{advert.node + " heard again after a silence: re-announcing"});
        send_advert(now, out);
        out.push_back(SendGratuitousArp{});
      } else if (stepped_down) {
        out.push_back(Notice{advert.node + " is no longer master: re-announcing the VIP"});
        out.push_back(SendGratuitousArp{});
      }
      break;
  }
  return out;
}

void InstanceMachine::on_advert_backup(const Advert& advert, bool was_master, TimePoint now,
                                       Actions& out) {
  if (advert.priority == 0 && was_master) {
    // The master resigns (RFC 5798 6.4.2: Master_Down_Timer = Skew_Time).
    master_.reset();
    master_priority_ = 0;
    master_interval_ = advert.interval;
    preempt_deadline_.reset();
    quorum_blocked_ = false;
    if (advert.successor == config_.node) {
      reset_down(now, master_down_interval(advert.interval, effective_),
                 "handover from " + advert.node + " held by quorum, no advert");
      try_claim("handover from " + advert.node, now, out);
      return;
    }
    if (advert.successor && find_peer(*advert.successor)) {
      // The named successor takes over at once; do not race it.
      no_preempt_against_ = advert.successor;
      reset_down(now, master_down_interval(advert.interval, effective_),
                 "successor " + *advert.successor + " named by " + advert.node + " silent");
      return;
    }
    reset_down(now, skew_time(advert.interval, effective_),
               advert.node + " resigned (priority 0), no advert");
    return;
  }
  if (advert.state == State::kMaster && advert.priority > 0) {
    if (no_preempt_against_ && *no_preempt_against_ != advert.node) no_preempt_against_.reset();
    master_ = advert.node;
    master_priority_ = advert.priority;
    master_interval_ = advert.interval;
    master_serving_ = advert.serving;
    quorum_blocked_ = false;
    // A copy counts from its original's time (never from before the
    // original's interval), so the copies add loss tolerance, not delay.
    const Duration late = std::min<Duration>(advert.repeat_delay, advert.interval);
    reset_down(now - late, master_down_interval(advert.interval, effective_),
               "no advert from " + advert.node);
    evaluate_preempt(now, out);
  }
  // Other adverts are heartbeats: recorded, they count towards quorum.
}

void InstanceMachine::on_advert_master(const Advert& advert, const PeerInfo& peer, TimePoint now,
                                       Actions& out) {
  if (advert.priority == 0) {
    // Another node resigned (RFC 5798 6.4.3): make sure everyone hears us.
    send_advert(now, out);
    return;
  }
  if (advert.state != State::kMaster) return;  // heartbeat
  // Rank by (can serve, priority, address): "Serving" in the header.
  const bool serves_better = advert.serving && !serving_;
  const bool higher = advert.serving == serving_ && advert.priority > effective_;
  const bool tie_lost = advert.serving == serving_ && advert.priority == effective_ &&
                        peer.peer.address > config_.address;
  if (serves_better || higher || tie_lost) {
    std::string cause =
        "preempted by " + advert.node + " priority " + std::to_string(advert.priority);
    if (serves_better) cause += " (it can serve, this node cannot: " + not_serving_why_ + ")";
    if (tie_lost)
      cause += " (equal priority, higher address " + peer.peer.address.to_string() + ")";
    transition(State::kBackup, cause, now, out);
    out.push_back(ReleaseVip{});
    master_ = advert.node;
    master_priority_ = advert.priority;
    master_interval_ = advert.interval;
    master_serving_ = advert.serving;
    advert_deadline_.reset();
    enter_backup(now, out);
    // Say so even when backups are silent: the new master re-announces the
    // VIP on hearing it, after any ARP our claim's burst sent meanwhile.
    if (!config_.advertise_in_backup)
      emit(SendAdvert{effective_, State::kBackup, std::nullopt, serving_}, now, out);
    return;
  }
  // RFC 9568: a lower-priority master is a split brain; answer at once and
  // re-announce the VIP so neighbours point at us.
  send_advert(now, out);
  out.push_back(SendGratuitousArp{});
}

Actions InstanceMachine::timer_fired(TimePoint now) {
  Actions out;
  begin(now, out);
  if (state_ != State::kInit) repeat_if_due(now, out);
  switch (state_) {
    case State::kInit:
      break;
    case State::kBackup:
      if (down_deadline_ && now >= *down_deadline_) {
        down_deadline_.reset();
        master_.reset();
        master_priority_ = 0;
        const std::string cause =
            "master_down: " + down_cause_ + " for " + ms_text(now - down_since_);
        if (try_claim(cause, now, out)) return out;
      }
      if (preempt_deadline_ && now >= *preempt_deadline_) {
        preempt_deadline_.reset();
        const std::string cause = "preempting " + master_.value_or("?") + " priority " +
                                  std::to_string(master_priority_) + " with priority " +
                                  std::to_string(effective_) + " after " +
                                  ms_text(config_.preempt_delay);
        if (try_claim(cause, now, out)) return out;
      }
      if (advert_deadline_ && now >= *advert_deadline_) {
        emit(SendAdvert{effective_, state_, std::nullopt, serving_}, now, out);
        advance_advert_timer(now);
      }
      break;
    case State::kMaster:
      if (!has_quorum(now)) {
        step_down_for_quorum(now, out);
        return out;
      }
      if (advert_deadline_ && now >= *advert_deadline_) {
        emit(SendAdvert{effective_, state_, std::nullopt, serving_}, now, out);
        advance_advert_timer(now);
      }
      break;
    case State::kFault:
      if (advert_deadline_ && now >= *advert_deadline_) {
        emit(SendAdvert{effective_, state_, std::nullopt, serving_}, now, out);
        advance_advert_timer(now);
      }
      break;
  }
  return out;
}

Actions InstanceMachine::tracked_failure(std::string_view track, TimePoint now) {
  Actions out;
  begin(now, out);
  if (!failing_tracks_.emplace(track).second) return out;
  const std::string cause = "track " + std::string(track) + " failed";
  switch (state_) {
    case State::kInit:
    case State::kFault:
      break;  // start() or the recovery looks at the set
    case State::kBackup:
      transition(State::kFault, cause, now, out);
      clear_backup_timers();
      quorum_blocked_ = false;
      break;
    case State::kMaster: {
      const auto successor = choose_successor(now);
      resign(State::kFault, cause, successor, now, out);
      clear_backup_timers();
      break;
    }
  }
  if (state_ == State::kFault && !config_.advertise_in_backup) advert_deadline_.reset();
  return out;
}

Actions InstanceMachine::tracked_recovery(std::string_view track, TimePoint now) {
  Actions out;
  begin(now, out);
  auto it = failing_tracks_.find(track);
  if (it == failing_tracks_.end()) return out;
  failing_tracks_.erase(it);
  if (state_ != State::kFault || !failing_tracks_.empty()) return out;
  transition(State::kBackup, "track " + std::string(track) + " recovered", now, out);
  // "Coming back" in the header: the master heard while in FAULT (or before)
  // does not count; preempt only after a MASTER advert heard from now on.
  master_.reset();
  master_priority_ = 0;
  master_serving_ = true;
  enter_backup(now, out);
  return out;
}

Actions InstanceMachine::priority_adjust(std::string_view track, unsigned weight, TimePoint now) {
  Actions out;
  begin(now, out);
  if (weight == 0) {
    if (auto it = weights_.find(track); it != weights_.end()) weights_.erase(it);
  } else {
    weights_.insert_or_assign(std::string(track), weight);
  }
  const std::uint8_t before = effective_;
  recompute_priority();
  if (effective_ == before) return out;
  out.push_back(Notice{"effective priority " + std::to_string(before) + " -> " +
                       std::to_string(effective_) + " (track " + std::string(track) +
                       (weight ? " weight " + std::to_string(weight) : " healthy") + ")"});
  if (state_ == State::kMaster) send_advert(now, out);  // let a better backup preempt now
  if (state_ == State::kBackup) evaluate_preempt(now, out);
  return out;
}

Actions InstanceMachine::shutdown(TimePoint now) {
  Actions out;
  begin(now, out);
  switch (state_) {
    case State::kInit:
      return out;
    case State::kMaster: {
      const auto successor = choose_successor(now);
      resign(State::kInit, successor ? "shutdown, successor " + *successor : "shutdown", successor,
             now, out);
      break;
    }
    case State::kBackup:
    case State::kFault:
      transition(State::kInit, "shutdown", now, out);
      if (config_.advertise_in_backup)
        emit(SendAdvert{0, State::kInit, std::nullopt, serving_}, now, out);
      break;
  }
  clear_backup_timers();
  advert_deadline_.reset();
  repeat_deadline_.reset();
  master_.reset();
  master_priority_ = 0;
  no_preempt_against_.reset();
  quorum_blocked_ = false;
  last_now_.reset();
  return out;
}

Actions InstanceMachine::switchover_requested(const std::optional<std::string>& to, TimePoint now) {
  Actions out;
  begin(now, out);
  if (state_ != State::kMaster) {
    out.push_back(Notice{"switchover refused: this node is " + std::string(to_string(state_)) +
                         ", not MASTER"});
    return out;
  }
  std::optional<std::string> target;
  if (to) {
    const PeerInfo* peer = find_peer(*to);
    if (*to == config_.node) {
      out.push_back(Notice{"switchover refused: " + *to + " is already master"});
      return out;
    }
    if (!peer) {
      out.push_back(Notice{"switchover refused: " + *to + " does not run this instance"});
      return out;
    }
    if (config_.advertise_in_backup && !healthy_backup(*peer, now)) {
      out.push_back(
          Notice{"switchover refused: " + *to + " was not heard recently as a healthy BACKUP"});
      return out;
    }
    // Handing a VIP this node can serve to one that cannot would only bounce
    // it back (a backup that can serve takes over at once from a master that
    // cannot): refuse, and say why, so the operator can wait and retry.
    if (serving_ && !peer->serving) {
      out.push_back(Notice{"switchover refused: " + *to +
                           " cannot serve this instance now (its proxy has no usable server for the "
                           "instance's listeners, or has not reported yet); retry once it can"});
      return out;
    }
    target = *to;
  } else {
    target = choose_successor(now);
    if (!target) {
      out.push_back(Notice{"switchover refused: no healthy BACKUP heard recently"});
      return out;
    }
  }
  resign(State::kBackup, "switchover to " + *target + " requested", target, now, out);
  no_preempt_against_ = target;
  quorum_blocked_ = false;
  reset_down(now, master_down_interval(config_.advert_interval, effective_),
             "successor " + *target + " named by us silent");
  preempt_deadline_.reset();
  return out;
}

Actions InstanceMachine::peer_connection_lost(std::string_view node, TimePoint now) {
  Actions out;
  begin(now, out);
  if (state_ != State::kBackup || master_ != node || !down_deadline_) return out;
  const TimePoint confirm =
      now + Duration(master_interval_) + skew_time(master_interval_, effective_);
  if (confirm >= *down_deadline_) return out;
  down_deadline_ = confirm;
  down_cause_ = "connection to " + std::string(node) + " lost, no advert";
  out.push_back(Notice{"connection to master " + std::string(node) +
                       " lost; taking over unless it advertises within " + ms_text(confirm - now)});
  return out;
}

Actions InstanceMachine::peer_confirmed_down(std::string_view node, TimePoint aligned, TimePoint now) {
  Actions out;
  begin(now, out);
  if (state_ != State::kBackup || master_ != node || !down_deadline_) return out;
  const TimePoint confirm = std::max(aligned, now) + skew_time(master_interval_, effective_);
  if (confirm >= *down_deadline_) return out;
  down_deadline_ = confirm;
  down_cause_ = "agent of " + std::string(node) + " gone (connection closed, probes refused)";
  out.push_back(Notice{"master " + std::string(node) + " confirmed down by fast probes; taking over in " +
                       ms_text(confirm - now)});
  return out;
}

Actions InstanceMachine::serving_update(bool can_serve, std::string why, TimePoint now) {
  Actions out;
  if (state_ != State::kInit) begin(now, out);
  if (can_serve) why.clear();
  if (can_serve == serving_ && why == not_serving_why_) return out;
  const bool changed = can_serve != serving_;
  serving_ = can_serve;
  not_serving_why_ = std::move(why);
  if (!changed) return out;
  out.push_back(Notice{can_serve ? "this node can serve again"
                                 : "this node cannot serve: " + not_serving_why_});
  // A master says so at once, so that a backup that can serve takes over.
  if (state_ == State::kMaster) send_advert(now, out);
  if (state_ == State::kBackup) evaluate_preempt(now, out);
  return out;
}

Actions InstanceMachine::quorum_update(std::vector<std::string> heard, TimePoint now) {
  Actions out;
  begin(now, out);
  std::sort(heard.begin(), heard.end());
  heard.erase(std::unique(heard.begin(), heard.end()), heard.end());
  quorum_heard_ = std::move(heard);
  if (state_ == State::kMaster && !has_quorum(now)) step_down_for_quorum(now, out);
  return out;
}

void InstanceMachine::step_down_for_quorum(TimePoint now, Actions& out) {
  resign(State::kBackup,
         "quorum lost: heard " + std::to_string(nodes_heard(now)) + " of " + std::to_string(cluster_size()) +
             " nodes",
         std::nullopt, now, out);
  reset_down(now, master_down_interval(master_interval_, effective_), "no master heard");
  quorum_blocked_ = true;
}

Status InstanceMachine::status() const {
  Status s;
  s.instance_id = config_.instance_id;
  s.instance_name = config_.instance_name;
  s.state = state_;
  s.base_priority = config_.priority;
  s.effective_priority = effective_;
  s.priority_reason = "base " + std::to_string(config_.priority);
  if (!weights_.empty()) {
    int sum = config_.priority;
    for (const auto& [track, weight] : weights_) {
      s.priority_reason += " - " + track + " " + std::to_string(weight);
      sum -= static_cast<int>(weight);
    }
    s.priority_reason += " = " + std::to_string(sum);
    if (sum != effective_) s.priority_reason += ", clamped to " + std::to_string(effective_);
  }
  s.failing_tracks.assign(failing_tracks_.begin(), failing_tracks_.end());
  s.serving = serving_;
  s.not_serving_why = not_serving_why_;
  // Serving ranks before priority: say so where the priority is explained.
  if (!serving_) s.priority_reason += "; cannot serve: " + not_serving_why_;
  s.master = state_ == State::kMaster ? std::optional<std::string>(config_.node) : master_;
  s.next_deadline = next_deadline();
  for (const auto& p : peers_)
    s.peers.push_back(
        PeerStatus{p.peer.name, p.peer.address, p.last_advert, p.priority, p.state, p.interval,
                   p.serving});
  s.transitions.assign(history_.begin(), history_.end());
  return s;
}

}  // namespace tandem::ha
