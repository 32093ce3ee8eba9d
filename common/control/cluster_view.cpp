#include "common/control/cluster_view.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <boost/json/value.hpp>

#include "common/control/proxy_status.h"

namespace tandem::control {

namespace json = boost::json;

namespace {

json::value rate_value(std::optional<double> r) {
  if (!r) return nullptr;
  return std::round(*r * 10) / 10;  // one decimal (no integer cast: a rate can exceed any integer)
}

json::array strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
  json::array out;
  for (const auto& s : in) out.emplace_back(s);
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

std::vector<NodeSample> samples_from(const std::vector<Target>& targets, const std::vector<CallResult>& results,
                                     const KeyRing* keys) {
  std::vector<NodeSample> samples;
  for (std::size_t i = 0; i < targets.size() && i < results.size(); ++i) {
    NodeSample s;
    s.node = targets[i].node;
    s.address = targets[i].host;
    s.at = results[i].answered_at;
    s.latency_ms = results[i].elapsed.count();
    if (keys && results[i].key_index >= 0) {
      s.key = key_fingerprint(keys->at(results[i].key_index));
      s.old_key = results[i].key_index != 0;
    }
    if (results[i].response && results[i].response->has_status()) {
      s.status = results[i].response->status();
    } else if (results[i].response) {
      s.error = results[i].response->has_error() ? results[i].response->error() : "unexpected answer";
    } else {
      s.error = results[i].error;
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

std::optional<double> RateMemory::rate(const std::string& key, std::uint64_t value,
                                       std::chrono::steady_clock::time_point at) {
  auto it = samples_.find(key);
  if (it == samples_.end()) {
    samples_[key] = {at, value};
    return std::nullopt;
  }
  const auto [then, old] = it->second;
  const auto dt = std::chrono::duration<double>(at - then).count();
  if (value < old) {  // the counter restarted
    it->second = {at, value};
    return std::nullopt;
  }
  if (at - then < kMinInterval) return std::nullopt;
  it->second = {at, value};
  return static_cast<double>(value - old) / dt;
}

namespace {

// The warnings of a view and the exit code they add up to.
class Warnings {
 public:
  void add(std::string text, int severity) {
    list_.emplace_back(std::move(text));
    level_ = std::max(level_, severity);
  }
  int level() const { return level_; }
  json::array take() { return std::move(list_); }

 private:
  json::array list_;
  int level_ = kHealthy;
};

// The freshest advert a node heard: how long ago and from whom.
struct Freshest {
  std::int64_t ms_ago = -1;  // -1: none
  std::string from;
  void consider(std::int64_t ago, const std::string& who) {
    if (ago >= 0 && (ms_ago < 0 || ago < ms_ago)) {
      ms_ago = ago;
      from = who;
    }
  }
};

json::object instance_json(const wire::InstanceStatus& in, Freshest& node_freshest) {
  json::object i;
  i["name"] = in.name();
  i["state"] = in.state();
  i["base_priority"] = in.base_priority();
  i["effective_priority"] = in.effective_priority();
  i["priority_reason"] = in.priority_reason();
  i["master"] = in.master();
  i["vips"] = strings(in.vips());
  i["vip_held"] = in.vip_held();
  i["failing_tracks"] = strings(in.failing_tracks());
  Freshest freshest;
  for (const auto& p : in.peers()) freshest.consider(p.last_advert_ms_ago(), p.name());
  i["last_advert_ms_ago"] = freshest.ms_ago;
  i["last_advert_from"] = freshest.from;
  node_freshest.consider(freshest.ms_ago, freshest.from);
  return i;
}

// The proxy's own numbers (from its embedded report), or nulls without one.
void add_proxy_numbers(const NodeSample& sample, RateMemory& rates, json::object& p) {
  const auto& s = *sample.status;
  if (!s.has_proxy_report()) {
    p["reachable"] = false;
    for (const char* key : {"open_connections", "requests_total", "requests_per_s", "servers_up", "servers_total",
                            "stick_entries"})
      p[key] = nullptr;
    return;
  }
  const auto& report = s.proxy_report();
  const auto totals = proxy_totals(report);
  p["reachable"] = true;
  p["draining"] = report.draining();
  p["open_connections"] = report.open_connections();
  p["requests_total"] = totals.requests;
  p["requests_per_s"] = rate_value(rates.rate(sample.node, totals.requests, sample.at));
  p["servers_up"] = totals.servers_up;
  p["servers_total"] = totals.servers_total;
  p["stick_entries"] = totals.stick_entries ? json::value(*totals.stick_entries) : json::value(nullptr);
}

// The proxy: the agent's verdict, then the proxy's own numbers, then the
// health word the tables show.
json::object proxy_json(const NodeSample& sample, RateMemory& rates) {
  const auto& s = *sample.status;
  json::object p;
  p["tracked"] = s.proxy().connected() || s.proxy().last_heartbeat_ms_ago() >= 0;
  p["alive"] = s.proxy().alive();
  p["serving"] = s.proxy().serving();
  p["last_heartbeat_ms_ago"] = s.proxy().last_heartbeat_ms_ago();
  p["error"] = s.proxy_error();
  add_proxy_numbers(sample, rates, p);
  const bool reachable = s.has_proxy_report();
  const bool draining = reachable && s.proxy_report().draining();
  p["health"] = s.proxy().alive() && reachable ? (draining ? "draining" : "ok")
                                                : (s.proxy().alive() ? "no admin" : "down");
  return p;
}

// Stick-table sync: the p99 of queued-here -> acknowledged-by-peer.
void add_sync(const wire::StatusResponse& s, json::object& n) {
  if (!s.has_sync()) {
    n["sync"] = nullptr;
    n["sync_lag_ms"] = nullptr;
    return;
  }
  const auto& sy = s.sync();
  json::object so;
  so["initial_sync_done"] = sy.initial_sync_done();
  so["connected_peers"] = sy.connected_peers();
  so["lag_p50_ms"] = sy.lag_p50_ms();
  so["lag_p99_ms"] = sy.lag_p99_ms();
  so["lag_samples"] = sy.lag_samples();
  n["sync"] = std::move(so);
  n["sync_lag_ms"] = sy.lag_samples() > 0 ? json::value(sy.lag_p99_ms()) : json::value(nullptr);
}

// Route announcement (ha.announce, every node active): what the node tells
// the routers and its routing daemon's sessions; null without it. A node
// that should announce and does not, or a session not up, is worth a warning.
void add_announce(const std::string& node, const wire::StatusResponse& s, json::object& n, Warnings& warnings) {
  if (!s.has_announce()) {
    n["announce"] = nullptr;
    return;
  }
  const auto& a = s.announce();
  json::object o;
  o["vips"] = json::array(a.vips().begin(), a.vips().end());
  o["announced"] = a.announced();
  o["why"] = a.why();
  o["drained"] = a.drained();
  o["table"] = a.table();
  o["announcements"] = a.announcements();
  o["withdrawals"] = a.withdrawals();
  o["daemon_error"] = a.daemon_error();
  json::array sessions;
  for (const auto& r : a.sessions()) {
    json::object so;
    so["name"] = r.name();
    so["protocol"] = r.protocol();
    so["state"] = r.state();
    so["since"] = r.since();
    so["info"] = r.info();
    sessions.emplace_back(std::move(so));
    if ((r.protocol() == "BGP" || r.protocol() == "BFD") && r.state() != "up")
      warnings.add(node + ": " + r.protocol() + " session " + r.name() + " is " + r.state() +
                       (r.info().empty() ? "" : " (" + r.info() + ")"),
                   kDegraded);
  }
  o["sessions"] = std::move(sessions);
  if (!a.announced() && !a.drained())
    warnings.add(node + " announces nothing: " + a.why(), kDegraded);
  if (!a.daemon_error().empty()) warnings.add(node + ": routing daemon: " + a.daemon_error(), kDegraded);
  n["announce"] = std::move(o);
}

json::object node_json(const NodeSample& sample, RateMemory& rates, InstanceRoll& roll, Warnings& warnings) {
  json::object n;
  n["node"] = sample.node;
  n["address"] = sample.address;
  n["reachable"] = sample.status.has_value();
  n["error"] = sample.error;
  n["latency_ms"] = sample.latency_ms;
  n["key"] = sample.key.empty() ? json::value(nullptr) : json::value(sample.key);
  // A key rotation under way (docs/security.md): worth a line, not an alarm.
  if (sample.old_key)
    warnings.add(sample.node + " still signs with key " + sample.key +
                     ", not this cluster file's key_file: finish the key rotation (docs/security.md)",
                 kHealthy);
  if (!sample.status) {
    warnings.add(sample.node + " unreachable: " + sample.error, kUnreachable);
    return n;
  }
  const auto& s = *sample.status;
  n["uptime_ms"] = s.uptime_ms();
  json::array insts;
  Freshest freshest;
  for (const auto& in : s.instances()) {
    insts.emplace_back(instance_json(in, freshest));
    roll.note(sample.node, in);
  }
  n["instances"] = std::move(insts);
  n["last_advert_ms_ago"] = freshest.ms_ago;
  n["last_advert_from"] = freshest.from;
  auto p = proxy_json(sample, rates);
  add_sync(s, n);
  add_announce(sample.node, s, n, warnings);
  if (!s.proxy().alive()) warnings.add(sample.node + ": lb-proxy is not alive (agent's verdict)", kDegraded);
  n["proxy"] = std::move(p);
  return n;
}

json::object instance_summary_json(const InstanceFacts& f) {
  json::object o;
  o["name"] = f.name;
  o["masters"] = json::array(f.masters.begin(), f.masters.end());
  o["vips"] = json::array(f.vips.begin(), f.vips.end());
  o["vip_holders"] = json::array(f.holders.begin(), f.holders.end());
  o["nodes"] = json::array(f.runners.begin(), f.runners.end());
  return o;
}

}  // namespace

void InstanceRoll::note(const std::string& node, const wire::InstanceStatus& in) {
  auto it = std::find_if(instances_.begin(), instances_.end(), [&](const auto& f) { return f.name == in.name(); });
  if (it == instances_.end()) {
    instances_.push_back(InstanceFacts{in.name(), {}, {}, {}, {}});
    it = std::prev(instances_.end());
  }
  if (it->vips.empty()) it->vips.assign(in.vips().begin(), in.vips().end());
  it->runners.push_back(node);
  if (in.state() == "MASTER") it->masters.push_back(node);
  if (in.vip_held()) it->holders.push_back(node);
}

std::vector<ViewWarning> assess(const InstanceFacts& f, bool partial) {
  std::vector<ViewWarning> out;
  if (f.masters.size() > 1) {
    out.push_back({"SPLIT BRAIN: instance " + f.name + " has " + std::to_string(f.masters.size()) +
                       " masters: " + join(f.masters),
                   kDegraded});
  } else if (f.masters.empty()) {
    out.push_back({"NO MASTER for instance " + f.name + (partial ? " among the reachable nodes" : ""), kDegraded});
  }
  if (f.holders.size() > 1) {
    out.push_back({"VIP " + join(f.vips) + " (" + f.name + ") held by " + std::to_string(f.holders.size()) +
                       " nodes: " + join(f.holders),
                   kDegraded});
  } else if (f.holders.empty()) {
    out.push_back(
        {"VIP " + join(f.vips) + " (" + f.name + ") held by no " + (partial ? "reachable " : "") + "node", kDegraded});
  }
  return out;
}

boost::json::object build_cluster_view(const std::string& cluster_name, const std::vector<NodeSample>& samples,
                                       RateMemory& rates, std::uint64_t now_unix_ms) {
  json::object view;
  view["cluster"] = cluster_name;
  view["generated_unix_ms"] = now_unix_ms;
  Warnings warnings;
  InstanceRoll roll;
  json::array nodes;
  std::size_t reachable = 0;
  bool vrrp = false, bgp = false;
  for (const auto& sample : samples) {
    nodes.emplace_back(node_json(sample, rates, roll, warnings));
    if (sample.status) ++reachable;
    if (sample.status && sample.status->instances_size() > 0) vrrp = true;
    if (sample.status && sample.status->has_announce()) bgp = true;
  }
  // How clients reach the nodes: VRRP VIPs (one master per instance), BGP
  // announcements (every node active, docs/scaling.md), or both.
  view["mode"] = vrrp && bgp ? "vrrp+bgp" : bgp ? "bgp" : vrrp ? "vrrp" : "none";
  json::array summary;
  for (const auto& facts : roll.instances()) {
    summary.emplace_back(instance_summary_json(facts));
    for (auto& w : assess(facts, reachable < samples.size())) warnings.add(std::move(w.text), w.severity);
  }
  if (reachable == 0 && !samples.empty()) warnings.add("no node answered", kUnreachable);
  const int level = warnings.level();
  view["nodes"] = std::move(nodes);
  view["instances"] = std::move(summary);
  view["warnings"] = warnings.take();
  view["transitions"] = merged_transitions(samples);
  view["exit_code"] = level;
  view["health"] = level == kHealthy ? "healthy" : level == kDegraded ? "degraded" : "unreachable";
  return view;
}

namespace {

json::object server_row(const NodeSample& sample, const wire::PoolReport& pool, const wire::ServerReport& s,
                        RateMemory& rates) {
  json::object r;
  r["node"] = sample.node;
  r["pool"] = pool.name();
  r["server"] = s.name();
  r["address"] = s.address();
  r["weight"] = s.weight();
  r["admin_state"] = admin_state_name(s.admin_state());
  r["health"] = health_name(s.health());
  r["ejected"] = s.ejected();
  r["takes_new"] = s.takes_new();
  r["active"] = s.active() < 0 ? 0 : s.active();
  r["requests"] = s.requests();
  r["requests_per_s"] = rate_value(rates.rate(sample.node + "/" + pool.name() + "/" + s.name(), s.requests(), sample.at));
  r["failures"] = s.failures();
  r["ejections"] = s.ejections();
  return r;
}

// A server the operator wants in service that the checks say is not.
bool degraded(const wire::ServerReport& s) {
  return s.health() != wire::SERVER_HEALTH_UP && s.admin_state() == wire::SERVER_ADMIN_READY;
}

}  // namespace

boost::json::object build_servers_view(const std::vector<NodeSample>& samples, const std::string& pool_filter,
                                       RateMemory& rates) {
  json::object view;
  json::array rows;
  json::array errors;
  int level = kHealthy;
  for (const auto& sample : samples) {
    if (!sample.status) {
      errors.emplace_back(sample.node + " unreachable: " + sample.error);
      level = kUnreachable;
      continue;
    }
    if (!sample.status->has_proxy_report()) {
      errors.emplace_back(sample.node + ": no proxy status: " + sample.status->proxy_error());
      level = kUnreachable;
      continue;
    }
    for (const auto& pool : sample.status->proxy_report().pools()) {
      if (!pool_filter.empty() && pool.name() != pool_filter) continue;
      for (const auto& s : pool.servers()) {
        if (degraded(s)) level = std::max(level, kDegraded);
        rows.emplace_back(server_row(sample, pool, s, rates));
      }
    }
  }
  view["servers"] = std::move(rows);
  view["errors"] = std::move(errors);
  view["exit_code"] = level;
  return view;
}

boost::json::array merged_transitions(const std::vector<NodeSample>& samples) {
  struct Row {
    std::uint64_t at;
    std::string node;
    const wire::TransitionRecord* t;
    std::string instance;
  };
  std::vector<Row> rows;
  for (const auto& sample : samples) {
    if (!sample.status) continue;
    for (const auto& in : sample.status->instances())
      for (const auto& t : in.transitions()) rows.push_back(Row{t.at_unix_ms(), sample.node, &t, in.name()});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.at < b.at; });
  json::array out;
  for (const auto& r : rows) {
    json::object o;
    o["at_unix_ms"] = r.at;
    o["node"] = r.node;
    o["instance"] = r.instance;
    o["from"] = r.t->from();
    o["to"] = r.t->to();
    o["cause"] = r.t->cause();
    out.emplace_back(std::move(o));
  }
  return out;
}

}  // namespace tandem::control
