// Helpers for the failover state machine tests: a fake clock, action
// queries, and a small simulated LAN that carries adverts between machines
// and fires their timers in time order (adverts before timers at the same
// instant, as the shell drains the socket first).
#pragma once

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ha/failover/instance_machine.h"

namespace tandem::ha {
// So BOOST_TEST can print states.
inline std::ostream& operator<<(std::ostream& os, State state) { return os << to_string(state); }
}  // namespace tandem::ha

BOOST_TEST_DONT_PRINT_LOG_VALUE(tandem::ha::TimePoint)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<tandem::ha::TimePoint>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

namespace tandem::ha::test {

using namespace std::chrono_literals;

// A fixed, arbitrary origin for the fake clock.
inline TimePoint t0() { return TimePoint{} + std::chrono::hours(1000); }

inline boost::asio::ip::address addr(const char* text) {
  return boost::asio::ip::make_address(text);
}

// Names edge1, edge2, ... at 198.18.0.11, .12, ...
inline std::string node_name(std::size_t i) { return "edge" + std::to_string(i + 1); }
inline boost::asio::ip::address node_addr(std::size_t i) {
  return addr(("198.18.0." + std::to_string(11 + i)).c_str());
}

// Config for node INDEX of a cluster of COUNT nodes.
inline InstanceConfig make_config(std::size_t index, std::size_t count, std::uint8_t priority,
                                  Milliseconds interval = Milliseconds{100}) {
  InstanceConfig c;
  c.instance_id = 1;
  c.instance_name = "web";
  c.node = node_name(index);
  c.address = node_addr(index);
  c.priority = priority;
  c.advert_interval = interval;
  for (std::size_t i = 0; i < count; ++i)
    if (i != index) c.peers.push_back(Peer{node_name(i), node_addr(i)});
  return c;
}

template <class T>
std::size_t count_of(const Actions& actions) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(),
                    [](const Action& a) { return std::holds_alternative<T>(a); }));
}

template <class T>
std::optional<T> first_of(const Actions& actions) {
  for (const auto& a : actions)
    if (const T* t = std::get_if<T>(&a)) return *t;
  return std::nullopt;
}

inline std::string describe_all(const Actions& actions) {
  std::string text;
  for (const auto& a : actions) text += describe(a) + "; ";
  return text;
}

// An advert from a master.
inline Advert master_advert(std::size_t from, std::uint8_t priority,
                            Milliseconds interval = Milliseconds{100}) {
  return Advert{node_name(from), priority, State::kMaster, interval, std::nullopt};
}

// A heartbeat advert from a backup.
inline Advert backup_advert(std::size_t from, std::uint8_t priority,
                            Milliseconds interval = Milliseconds{100}) {
  return Advert{node_name(from), priority, State::kBackup, interval, std::nullopt};
}

// A resigning advert (priority 0), optionally naming a successor.
inline Advert resign_advert(std::size_t from, std::optional<std::string> successor = std::nullopt,
                            State new_state = State::kInit,
                            Milliseconds interval = Milliseconds{100}) {
  return Advert{node_name(from), 0, new_state, interval, std::move(successor)};
}

// Fires M's timer at each of its deadlines up to UNTIL (inclusive), as the
// shell would; returns every action emitted.
inline Actions drive(InstanceMachine& m, TimePoint until) {
  Actions all;
  while (auto d = m.next_deadline()) {
    if (*d > until) break;
    auto actions = m.timer_fired(*d);
    all.insert(all.end(), actions.begin(), actions.end());
  }
  return all;
}

// Appends B to A.
inline void append(Actions& a, const Actions& b) { a.insert(a.end(), b.begin(), b.end()); }

// Several machines on one simulated LAN.
class Lan {
 public:
  struct Node {
    explicit Node(InstanceMachine m) : machine(std::move(m)) {}
    InstanceMachine machine;
    bool up = true;          // false: the agent is dead (receives nothing, fires nothing)
    bool holds_vip = false;  // from ClaimVip / ReleaseVip
    std::size_t claims = 0;  // ClaimVip count
    std::size_t garps = 0;
    std::vector<std::pair<TimePoint, Action>> log;
  };

  explicit Lan(std::vector<InstanceConfig> configs, Duration latency = Duration::zero())
      : latency_(latency) {
    for (auto& c : configs) nodes_.push_back(Node{InstanceMachine(std::move(c))});
  }

  TimePoint now() const { return now_; }
  Node& node(std::size_t i) { return nodes_.at(i); }
  InstanceMachine& machine(std::size_t i) { return nodes_.at(i).machine; }
  State state(std::size_t i) const { return nodes_.at(i).machine.state(); }

  // Drop the advert for which FILTER(from, to, sequence) is true.
  void set_drop(std::function<bool(std::size_t, std::size_t, std::size_t)> filter) {
    drop_ = std::move(filter);
  }
  // Cut (or restore) the link between A and B, both directions.
  void cut(std::size_t a, std::size_t b, bool cut = true) {
    if (cut) {
      cuts_.insert({a, b});
      cuts_.insert({b, a});
    } else {
      cuts_.erase({a, b});
      cuts_.erase({b, a});
    }
  }

  void start_all() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) apply(i, machine(i).start(now_));
  }
  void start(std::size_t i) { apply(i, machine(i).start(now_)); }
  // The agent dies without a word (kill -9): it simply stops.
  void kill(std::size_t i) { nodes_.at(i).up = false; }
  void revive(std::size_t i) {
    nodes_.at(i).up = true;
    nodes_.at(i).machine = InstanceMachine(nodes_.at(i).machine.config());
    nodes_.at(i).holds_vip = false;
  }

  // Apply ACTIONS emitted by node I at now_.
  void apply(std::size_t i, const Actions& actions) {
    Node& n = nodes_.at(i);
    for (const auto& a : actions) {
      n.log.emplace_back(now_, a);
      if (std::holds_alternative<ClaimVip>(a)) {
        n.holds_vip = true;
        ++n.claims;
      } else if (std::holds_alternative<ReleaseVip>(a)) {
        n.holds_vip = false;
      } else if (std::holds_alternative<SendGratuitousArp>(a)) {
        ++n.garps;
      } else if (const auto* s = std::get_if<SendAdvert>(&a)) {
        const Advert advert{n.machine.config().node, s->priority,  s->state,
                            n.machine.config().advert_interval, s->successor, s->repeat_delay,
                            s->serving};
        for (std::size_t to = 0; to < nodes_.size(); ++to) {
          if (to == i || cuts_.count({i, to})) continue;
          const std::size_t seq = sequence_++;
          if (drop_ && drop_(i, to, seq)) continue;
          queue_.push_back(Pending{now_ + latency_, seq, to, advert});
        }
      }
    }
  }

  // Runs events until time T (inclusive), then sets now to T.
  void run_until(TimePoint t) {
    for (;;) {
      std::optional<TimePoint> next;
      for (const auto& p : queue_)
        if (!next || p.at < *next) next = p.at;
      std::optional<TimePoint> timer;
      for (auto& n : nodes_)
        if (n.up)
          if (auto d = n.machine.next_deadline(); d && (!timer || *d < *timer)) timer = d;
      if (next && (!timer || *next <= *timer) && *next <= t) {
        // Deliver the earliest advert (FIFO among equals).
        auto it =
            std::min_element(queue_.begin(), queue_.end(), [](const Pending& a, const Pending& b) {
              return std::tie(a.at, a.seq) < std::tie(b.at, b.seq);
            });
        Pending p = *it;
        queue_.erase(it);
        now_ = std::max(now_, p.at);
        if (nodes_.at(p.to).up) apply(p.to, machine(p.to).advert_received(p.advert, now_));
        continue;
      }
      if (timer && *timer <= t) {
        now_ = std::max(now_, *timer);
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          Node& n = nodes_[i];
          if (!n.up) continue;
          if (auto d = n.machine.next_deadline(); d && *d <= now_)
            apply(i, n.machine.timer_fired(now_));
        }
        continue;
      }
      break;
    }
    now_ = std::max(now_, t);
  }
  void run_for(Duration d) { run_until(now_ + d); }

  std::size_t masters() const {
    std::size_t count = 0;
    for (const auto& n : nodes_)
      if (n.up && n.machine.state() == State::kMaster) ++count;
    return count;
  }
  std::size_t vip_holders() const {
    std::size_t count = 0;
    for (const auto& n : nodes_)
      if (n.up && n.holds_vip) ++count;
    return count;
  }
  // When node I last became MASTER, if ever.
  std::optional<TimePoint> became_master_at(std::size_t i) const {
    std::optional<TimePoint> at;
    for (const auto& [when, a] : nodes_.at(i).log)
      if (const auto* t = std::get_if<Transition>(&a); t && t->to == State::kMaster) at = when;
    return at;
  }

 private:
  struct Pending {
    TimePoint at;
    std::size_t seq;
    std::size_t to;
    Advert advert;
  };
  std::vector<Node> nodes_;
  std::vector<Pending> queue_;
  std::set<std::pair<std::size_t, std::size_t>> cuts_;
  std::function<bool(std::size_t, std::size_t, std::size_t)> drop_;
  std::size_t sequence_ = 0;
  Duration latency_;
  TimePoint now_ = t0();
};

}  // namespace tandem::ha::test
