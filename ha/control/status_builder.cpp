#include "ha/control/status_builder.h"

#include <algorithm>
#include <climits>
#include <cstdio>

namespace tandem::ha {

std::uint64_t to_unix_ms(TimePoint at, TimePoint now, std::uint64_t now_unix_ms) {
  const auto ago = std::chrono::duration_cast<Milliseconds>(now - at).count();
  if (ago <= 0) return now_unix_ms + static_cast<std::uint64_t>(-ago);
  return static_cast<std::uint64_t>(ago) > now_unix_ms ? 0 : now_unix_ms - static_cast<std::uint64_t>(ago);
}

std::int32_t ms_ago(std::optional<TimePoint> at, TimePoint now) {
  if (!at) return -1;
  const auto ago = std::chrono::duration_cast<Milliseconds>(now - *at).count();
  return static_cast<std::int32_t>(std::clamp<long long>(ago, 0, INT_MAX));
}

wire::StatusResponse build_status(const StatusInputs& in) {
  wire::StatusResponse out;
  out.set_node(in.node);
  out.set_uptime_ms(static_cast<std::uint64_t>(
      std::max<long long>(0, std::chrono::duration_cast<Milliseconds>(in.now - in.started).count())));
  for (const auto& view : in.instances) {
    const Status& s = view.status;
    auto* i = out.add_instances();
    i->set_name(s.instance_name);
    i->set_id(s.instance_id);
    i->set_state(std::string(to_string(s.state)));
    i->set_base_priority(s.base_priority);
    i->set_effective_priority(s.effective_priority);
    i->set_priority_reason(s.priority_reason);
    i->set_master(s.master.value_or(""));
    for (const auto& v : view.vips) i->add_vips(v);
    i->set_vip_held(view.vip_held);
    for (const auto& p : s.peers) {
      auto* peer = i->add_peers();
      peer->set_name(p.name);
      peer->set_address(p.address.to_string());
      peer->set_last_advert_ms_ago(ms_ago(p.last_advert, in.now));
      peer->set_priority(p.priority);
      peer->set_state(p.last_advert ? std::string(to_string(p.state)) : std::string());
    }
    for (const auto& t : s.transitions) {
      auto* rec = i->add_transitions();
      rec->set_at_unix_ms(to_unix_ms(t.at, in.now, in.now_unix_ms));
      rec->set_from(std::string(to_string(t.from)));
      rec->set_to(std::string(to_string(t.to)));
      rec->set_cause(t.cause);
    }
    for (const auto& f : s.failing_tracks) i->add_failing_tracks(f);
  }
  auto* proxy = out.mutable_proxy();
  proxy->set_connected(in.proxy.connected);
  proxy->set_serving(in.proxy.serving);
  proxy->set_alive(in.proxy.alive);
  proxy->set_last_heartbeat_ms_ago(ms_ago(in.proxy.last_heartbeat, in.now));
  for (const auto& t : in.tracks) {
    auto* track = out.add_tracks();
    track->set_name(t.name);
    track->set_healthy(t.healthy);
    track->set_weight(t.weight);
  }
  auto* adverts = out.mutable_adverts();
  adverts->set_accepted(in.adverts.verifier.accepted);
  for (DropReason reason : kAllDropReasons)
    (*adverts->mutable_dropped())[std::string(to_string(reason))] = in.adverts.verifier.dropped(reason);
  adverts->set_not_ours(in.adverts.not_ours);
  adverts->set_sent(in.adverts.sent);
  adverts->set_send_errors(in.adverts.send_errors);
  out.set_stalls(in.stalls);
  return out;
}

namespace {

std::string ago_text(std::int32_t ms) {
  if (ms < 0) return "never";
  if (ms < 10000) return std::to_string(ms) + " ms ago";
  return std::to_string(ms / 1000) + " s ago";
}

}  // namespace

std::string format_status(const wire::StatusResponse& s) {
  std::string out;
  out += "node " + s.node() + "  up " + std::to_string(s.uptime_ms() / 1000) + " s\n";
  for (const auto& i : s.instances()) {
    out += "\ninstance " + i.name() + " (id " + std::to_string(i.id()) + ")\n";
    out += "  state      " + i.state() + "\n";
    out += "  priority   " + std::to_string(i.effective_priority()) + " (" + i.priority_reason() + ")\n";
    out += "  master     " + (i.master().empty() ? std::string("unknown") : i.master()) + "\n";
    std::string vips;
    for (const auto& v : i.vips()) vips += (vips.empty() ? "" : ", ") + v;
    out += "  vips       " + vips + (i.vip_held() ? "  (held here)" : "  (not here)") + "\n";
    if (!i.failing_tracks().empty()) {
      std::string f;
      for (const auto& t : i.failing_tracks()) f += (f.empty() ? "" : ", ") + t;
      out += "  failing    " + f + "\n";
    }
    if (i.peers_size() > 0) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-12s %-16s %-8s %-8s %s\n", "peer", "address", "state", "priority",
                    "last advert");
      out += line;
      for (const auto& p : i.peers()) {
        std::snprintf(line, sizeof line, "  %-12s %-16s %-8s %-8u %s\n", p.name().c_str(), p.address().c_str(),
                      p.state().empty() ? "-" : p.state().c_str(), p.priority(),
                      ago_text(p.last_advert_ms_ago()).c_str());
        out += line;
      }
    }
    if (i.transitions_size() > 0) {
      out += "  recent transitions:\n";
      for (const auto& t : i.transitions()) {
        out += "    " + std::to_string(t.at_unix_ms()) + "  " + t.from() + " -> " + t.to() + "  " + t.cause() +
               "\n";
      }
    }
  }
  const auto& p = s.proxy();
  out += "\nproxy      " + std::string(p.alive() ? "alive" : "DEAD") + " (connected " +
         (p.connected() ? "yes" : "no") + ", serving " + (p.serving() ? "yes" : "no") + ", heartbeat " +
         ago_text(p.last_heartbeat_ms_ago()) + ")\n";
  for (const auto& t : s.tracks()) {
    out += "track      " + t.name() + " " + (t.healthy() ? "ok" : "FAILING") +
           (t.weight() ? " (failing lowers priority by " + std::to_string(t.weight()) + ")"
                       : std::string(" (failing means FAULT)")) + "\n";
  }
  const auto& a = s.adverts();
  std::uint64_t dropped = 0;
  std::string reasons;
  for (DropReason reason : kAllDropReasons) {
    auto it = a.dropped().find(std::string(to_string(reason)));
    const std::uint64_t n = it == a.dropped().end() ? 0 : it->second;
    dropped += n;
    if (n) reasons += (reasons.empty() ? "" : ", ") + std::string(to_string(reason)) + " " + std::to_string(n);
  }
  out += "adverts    sent " + std::to_string(a.sent()) + ", accepted " + std::to_string(a.accepted()) +
         ", dropped " + std::to_string(dropped) + (reasons.empty() ? "" : " (" + reasons + ")") + "\n";
  out += "stalls     " + std::to_string(s.stalls()) + "\n";
  if (s.has_sync()) {
    const auto& y = s.sync();
    out += "\nsync  peers " + std::to_string(y.connected_peers()) + "/" + std::to_string(y.peers_size()) +
           " connected, initial sync " + (y.initial_sync_done() ? "done" : "waiting") + " (" + y.initial_sync() + ")\n";
    for (const auto& t : y.tables())
      out += "  table " + t.pool() + ": " + std::to_string(t.entries()) + " entries\n";
    out += "  changes sent " + std::to_string(y.changes_sent()) + ", received " + std::to_string(y.changes_received()) +
           ", resyncs " + std::to_string(y.resyncs()) + ", lag p50 " + std::to_string(static_cast<int>(y.lag_p50_ms())) +
           " ms p99 " + std::to_string(static_cast<int>(y.lag_p99_ms())) + " ms\n";
  }
  return out;
}

}  // namespace tandem::ha
