#include "common/control/cluster_view.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace tandem::control {

namespace json = boost::json;

namespace {

// A JSON number as uint64 (0 when absent or not a number).
std::uint64_t as_u64(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return v->as_int64() < 0 ? 0 : static_cast<std::uint64_t>(v->as_int64());
  if (v->is_double()) {
    // Saturated: converting a double past 2^64 is undefined behaviour.
    const double d = v->as_double();
    if (!(d > 0)) return 0;
    if (d >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(d);
  }
  return 0;
}

std::string as_str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool as_bool(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

const json::array* as_array(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

// The embedded proxy status, parsed; nullopt when absent or unparsable.
std::optional<json::object> proxy_object(const wire::StatusResponse& s) {
  if (s.proxy_json().empty()) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(s.proxy_json(), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

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

boost::json::object build_cluster_view(const std::string& cluster_name, const std::vector<NodeSample>& samples,
                                       RateMemory& rates, std::uint64_t now_unix_ms) {
  json::object view;
  view["cluster"] = cluster_name;
  view["generated_unix_ms"] = now_unix_ms;
  json::array nodes;
  json::array warnings;
  int level = kHealthy;
  auto warn = [&](std::string text, int severity) {
    warnings.emplace_back(std::move(text));
    level = std::max(level, severity);
  };

  // Per instance: who runs it, who is master, who holds its VIPs.
  struct InstanceFacts {
    std::vector<std::string> vips;
    std::vector<std::string> masters;
    std::vector<std::string> holders;
    std::vector<std::string> runners;
  };
  std::map<std::string, InstanceFacts> instances;
  std::vector<std::string> instance_order;
  std::size_t reachable = 0;

  for (const auto& sample : samples) {
    json::object n;
    n["node"] = sample.node;
    n["address"] = sample.address;
    n["reachable"] = sample.status.has_value();
    n["error"] = sample.error;
    n["latency_ms"] = sample.latency_ms;
    n["key"] = sample.key.empty() ? json::value(nullptr) : json::value(sample.key);
    // A key rotation under way (docs/security.md): worth a line, not an alarm.
    if (sample.old_key)
      warn(sample.node + " still signs with key " + sample.key +
               ", not this cluster file's key_file: finish the key rotation (docs/security.md)",
           kHealthy);
    if (!sample.status) {
      warn(sample.node + " unreachable: " + sample.error, kUnreachable);
      nodes.emplace_back(std::move(n));
      continue;
    }
    ++reachable;
    const auto& s = *sample.status;
    n["uptime_ms"] = s.uptime_ms();
    json::array insts;
    std::int64_t freshest = -1;
    std::string freshest_from;
    for (const auto& in : s.instances()) {
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
      std::int64_t inst_freshest = -1;
      std::string inst_from;
      for (const auto& p : in.peers()) {
        if (p.last_advert_ms_ago() >= 0 && (inst_freshest < 0 || p.last_advert_ms_ago() < inst_freshest)) {
          inst_freshest = p.last_advert_ms_ago();
          inst_from = p.name();
        }
      }
      i["last_advert_ms_ago"] = inst_freshest;
      i["last_advert_from"] = inst_from;
      if (inst_freshest >= 0 && (freshest < 0 || inst_freshest < freshest)) {
        freshest = inst_freshest;
        freshest_from = inst_from;
      }
      insts.emplace_back(std::move(i));

      if (!instances.contains(in.name())) instance_order.push_back(in.name());
      auto& facts = instances[in.name()];
      if (facts.vips.empty()) facts.vips.assign(in.vips().begin(), in.vips().end());
      facts.runners.push_back(sample.node);
      if (in.state() == "MASTER") facts.masters.push_back(sample.node);
      if (in.vip_held()) facts.holders.push_back(sample.node);
    }
    n["instances"] = std::move(insts);
    n["last_advert_ms_ago"] = freshest;
    n["last_advert_from"] = freshest_from;

    // The proxy: the agent's verdict, then the proxy's own numbers.
    json::object p;
    p["tracked"] = s.proxy().connected() || s.proxy().last_heartbeat_ms_ago() >= 0;
    p["alive"] = s.proxy().alive();
    p["serving"] = s.proxy().serving();
    p["last_heartbeat_ms_ago"] = s.proxy().last_heartbeat_ms_ago();
    p["error"] = s.proxy_error();
    if (auto po = proxy_object(s)) {
      p["reachable"] = true;
      p["draining"] = as_bool(*po, "draining");
      p["open_connections"] = as_u64(*po, "open_connections");
      std::uint64_t requests = 0;
      if (const auto* ls = as_array(*po, "listeners"))
        for (const auto& l : *ls)
          if (l.is_object()) requests += as_u64(l.as_object(), "requests");
      p["requests_total"] = requests;
      p["requests_per_s"] = rate_value(rates.rate(sample.node, requests, sample.at));
      std::uint64_t up = 0, total = 0, stick = 0;
      bool has_stick = false;
      if (const auto* ps = as_array(*po, "pools")) {
        for (const auto& pv : *ps) {
          if (!pv.is_object()) continue;
          const auto& pool = pv.as_object();
          up += as_u64(pool, "servers_up");
          if (const auto* ss = as_array(pool, "servers")) total += ss->size();
          if (pool.contains("stick_entries")) {
            has_stick = true;
            stick += as_u64(pool, "stick_entries");
          }
        }
      }
      p["servers_up"] = up;
      p["servers_total"] = total;
      p["stick_entries"] = has_stick ? json::value(stick) : json::value(nullptr);
    } else {
      p["reachable"] = false;
      p["open_connections"] = nullptr;
      p["requests_total"] = nullptr;
      p["requests_per_s"] = nullptr;
      p["servers_up"] = nullptr;
      p["servers_total"] = nullptr;
      p["stick_entries"] = nullptr;
    }
    // Stick-table sync: the p99 of queued-here -> acknowledged-by-peer.
    if (s.has_sync()) {
      const auto& sy = s.sync();
      json::object so;
      so["initial_sync_done"] = sy.initial_sync_done();
      so["connected_peers"] = sy.connected_peers();
      so["lag_p50_ms"] = sy.lag_p50_ms();
      so["lag_p99_ms"] = sy.lag_p99_ms();
      so["lag_samples"] = sy.lag_samples();
      n["sync"] = std::move(so);
      n["sync_lag_ms"] = sy.lag_samples() > 0 ? json::value(sy.lag_p99_ms()) : json::value(nullptr);
    } else {
      n["sync"] = nullptr;
      n["sync_lag_ms"] = nullptr;
    }
    const bool proxy_ok = s.proxy().alive() && p["reachable"].as_bool();
    p["health"] = proxy_ok ? (as_bool(p, "draining") ? "draining" : "ok") : (s.proxy().alive() ? "no admin" : "down");
    if (!s.proxy().alive()) warn(sample.node + ": lb-proxy is not alive (agent's verdict)", kDegraded);
    n["proxy"] = std::move(p);
    nodes.emplace_back(std::move(n));
  }

  json::array inst_summary;
  for (const auto& name : instance_order) {
    const auto& f = instances[name];
    json::object o;
    o["name"] = name;
    o["masters"] = json::array(f.masters.begin(), f.masters.end());
    o["vips"] = json::array(f.vips.begin(), f.vips.end());
    o["vip_holders"] = json::array(f.holders.begin(), f.holders.end());
    o["nodes"] = json::array(f.runners.begin(), f.runners.end());
    const bool partial = reachable < samples.size();
    if (f.masters.size() > 1) {
      warn("SPLIT BRAIN: instance " + name + " has " + std::to_string(f.masters.size()) + " masters: " +
               join(f.masters),
           kDegraded);
    } else if (f.masters.empty()) {
      warn("NO MASTER for instance " + name + (partial ? " among the reachable nodes" : ""), kDegraded);
    }
    if (f.holders.size() > 1) {
      warn("VIP " + join(f.vips) + " (" + name + ") held by " + std::to_string(f.holders.size()) +
               " nodes: " + join(f.holders),
           kDegraded);
    } else if (f.holders.empty()) {
      warn("VIP " + join(f.vips) + " (" + name + ") held by no " + (partial ? "reachable " : "") + "node",
           kDegraded);
    }
    inst_summary.emplace_back(std::move(o));
  }
  if (reachable == 0 && !samples.empty()) warn("no node answered", kUnreachable);

  view["nodes"] = std::move(nodes);
  view["instances"] = std::move(inst_summary);
  view["warnings"] = std::move(warnings);
  view["transitions"] = merged_transitions(samples);
  view["exit_code"] = level;
  view["health"] = level == kHealthy ? "healthy" : level == kDegraded ? "degraded" : "unreachable";
  return view;
}

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
    auto po = proxy_object(*sample.status);
    if (!po) {
      errors.emplace_back(sample.node + ": no proxy status: " + sample.status->proxy_error());
      level = kUnreachable;
      continue;
    }
    const auto* pools = as_array(*po, "pools");
    if (!pools) continue;
    for (const auto& pv : *pools) {
      if (!pv.is_object()) continue;
      const auto& pool = pv.as_object();
      const std::string pool_name = as_str(pool, "name");
      if (!pool_filter.empty() && pool_name != pool_filter) continue;
      const auto* servers = as_array(pool, "servers");
      if (!servers) continue;
      for (const auto& sv : *servers) {
        if (!sv.is_object()) continue;
        const auto& s = sv.as_object();
        json::object r;
        r["node"] = sample.node;
        r["pool"] = pool_name;
        r["server"] = as_str(s, "name");
        r["address"] = as_str(s, "address");
        r["weight"] = as_u64(s, "weight");
        r["admin_state"] = as_str(s, "admin_state");
        r["health"] = as_str(s, "health");
        r["ejected"] = as_bool(s, "ejected");
        r["takes_new"] = as_bool(s, "takes_new");
        r["active"] = as_u64(s, "active");
        const auto requests = as_u64(s, "requests");
        r["requests"] = requests;
        r["requests_per_s"] =
            rate_value(rates.rate(sample.node + "/" + pool_name + "/" + as_str(s, "name"), requests, sample.at));
        r["failures"] = as_u64(s, "failures");
        r["ejections"] = as_u64(s, "ejections");
        if (as_str(s, "health") != "UP" && as_str(s, "admin_state") == "READY") level = std::max(level, kDegraded);
        rows.emplace_back(std::move(r));
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
