#include "lb/discovery/etcd_set.h"

#include <algorithm>

#include <boost/json.hpp>

#include "config/server_set/server_set.h"

namespace tandem::lb {

namespace json = boost::json;

std::optional<DiscoveredServer> etcd_server(const std::string& name, std::string_view value, std::string& why) {
  boost::system::error_code ec;
  const json::value v = json::parse(value, ec);
  if (ec || !v.is_object()) {
    why = "the value is not a JSON object (want {\"address\": \"ip:port\", \"weight\": N, \"state\": \"enabled\"})";
    return std::nullopt;
  }
  const auto& o = v.as_object();
  const auto* address = o.if_contains("address");
  if (!address || !address->is_string()) {
    why = "no \"address\": \"ip:port\"";
    return std::nullopt;
  }
  std::int64_t weight = 1;
  if (const auto* w = o.if_contains("weight")) {
    if (w->is_int64()) {
      weight = w->as_int64();
    } else if (w->is_uint64()) {
      weight = 0;  // far out of range
    } else {
      why = "\"weight\" is not a number";
      return std::nullopt;
    }
    if (weight < 1 || weight > config::kMaxServerWeight) {
      why = "\"weight\" " + std::to_string(weight) + " is not in 1..256";
      return std::nullopt;
    }
  }
  config::ServerState state = config::READY;
  if (const auto* s = o.if_contains("state")) {
    const std::string_view text = s->is_string() ? std::string_view(s->as_string()) : std::string_view();
    if (text == "enabled") {
      state = config::READY;
    } else if (text == "drain") {
      state = config::DRAIN;
    } else if (text == "disabled") {
      state = config::MAINTENANCE;
    } else {
      why = "\"state\" is not \"enabled\", \"drain\" or \"disabled\"";
      return std::nullopt;
    }
  }
  // The name and address rules of runtime server changes (one rule for
  // what a server may be called, whoever adds it).
  wire::ServerSetEntry entry;
  entry.set_name(name);
  entry.set_address(std::string(address->as_string()));
  entry.set_weight(static_cast<std::uint32_t>(weight));
  entry.set_revision(1);
  if (auto problem = config::entry_problem(entry); !problem.empty()) {
    why = std::move(problem);
    return std::nullopt;
  }
  return DiscoveredServer{name, entry.address(), static_cast<std::uint32_t>(weight), state};
}

void EtcdSet::put(const EtcdKv& kv, Step& step) {
  // Keys outside the prefix cannot come from a range or watch on it; a
  // confused gateway's are ignored rather than trusted.
  if (kv.key.size() < prefix_.size() || kv.key.compare(0, prefix_.size(), prefix_) != 0) return;
  std::string why;
  auto server = etcd_server(kv.key.substr(prefix_.size()), kv.value, why);
  if (!server) {
    ++refused_total_;
    step.refused.push_back(kv.key + ": " + why);
  }
  keys_[kv.key] = std::move(server);
}

void EtcdSet::settle(Step& step) {
  std::vector<DiscoveredServer> next;
  for (const auto& [key, server] : keys_)
    if (server) next.push_back(*server);
  std::sort(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (next.empty()) {
    keeping_ = !set_.empty();
    if (step.note.empty())
      step.note = keys_.empty() ? "no key under the prefix" : "no usable key under the prefix";
    return;
  }
  keeping_ = false;
  step.changed = next != set_;
  set_ = std::move(next);
}

EtcdSet::Step EtcdSet::on_range(const EtcdRange& range) {
  Step step;
  if (range.more) {
    step.note = "more than " + std::to_string(kMaxEtcdKeys) + " keys under the prefix";
    return step;
  }
  keys_.clear();
  for (const auto& kv : range.kvs) put(kv, step);
  revision_ = range.revision;
  settle(step);
  return step;
}

EtcdSet::Step EtcdSet::on_watch(const EtcdWatchMessage& m) {
  Step step;
  if (m.canceled) {
    step.rerange = true;
    step.note = m.compact_revision > 0 ? "watch start compacted (compact_revision " + std::to_string(m.compact_revision) + ")"
                                       : "watch canceled: " + (m.cancel_reason.empty() ? "no reason given" : m.cancel_reason);
    return step;
  }
  if (m.created && m.revision > 0 && m.revision < revision_) {
    step.rerange = true;
    step.note = "etcd's revision went back from " + std::to_string(revision_) + " to " + std::to_string(m.revision);
    return step;
  }
  if (m.events.empty()) return step;
  const auto floor = revision_;
  bool applied = false;
  for (const auto& e : m.events) {
    if (e.kv.mod_revision <= floor) continue;
    applied = true;
    if (e.deleted) {
      keys_.erase(e.kv.key);
    } else {
      put(e.kv, step);
    }
    revision_ = std::max(revision_, e.kv.mod_revision);
  }
  if (applied) settle(step);
  return step;
}

std::size_t EtcdSet::refused_keys() const {
  return static_cast<std::size_t>(std::count_if(keys_.begin(), keys_.end(), [](const auto& k) { return !k.second; }));
}

}  // namespace tandem::lb
