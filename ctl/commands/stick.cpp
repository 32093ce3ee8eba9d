// lbctl stick list | get KEY | count: the stickiness tables, read through
// each node's agent from its lb-proxy (typed: common/proto/proxy_status.proto).
#include <iostream>

#include <boost/json/serialize.hpp>

#include "config/defaults.h"
#include "ctl/commands.h"
#include "ctl/forwarded.h"
#include "ctl/output.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace json = boost::json;

namespace {

// The instance's single master in VIEW, or "" (none or several).
std::string master_of(const json::object& view, const std::string& instance) {
  for (const auto& iv : view.at("instances").as_array()) {
    const auto& i = iv.as_object();
    if (i.at("name").as_string() != instance) continue;
    const auto& m = i.at("masters").as_array();
    return m.size() == 1 ? std::string(m[0].as_string()) : std::string();
  }
  return {};
}

// POOL when named, else every pool with stickiness.
std::vector<std::string> stick_pools(const config::Cluster& cluster, const std::optional<std::string>& pool) {
  if (pool) return {*pool};
  std::vector<std::string> pools;
  for (const auto& p : cluster.pools())
    if (config::effective_stickiness(p).kind != config::Stickiness::KIND_UNSPECIFIED) pools.push_back(p.name());
  return pools;
}

// Whose table `stick list` shows: --node, else the first instance's master,
// else the first node. nullptr when --node names no node.
const control::Target* list_target(const Session& s) {
  std::string node = s.options().node;
  if (node.empty()) {
    control::RateMemory rates;
    const auto view = control::build_cluster_view(s.cluster().name(), s.sample(false), rates, unix_now_ms());
    for (const auto& iv : view.at("instances").as_array())
      if (node.empty()) node = master_of(view, std::string(iv.as_object().at("name").as_string()));
    if (node.empty()) node = s.targets().front().node;
  }
  const auto* t = s.target(node);
  if (!t) std::cerr << "lbctl stick: no node '" << node << "'\n";
  return t;
}

std::string cell_text(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

std::vector<control::Call> stick_calls(const std::vector<control::Target>& targets,
                                       const std::vector<std::string>& pools) {
  std::vector<control::Call> calls;
  for (const auto& t : targets)
    for (const auto& p : pools) {
      wire::ControlRequest r;
      r.mutable_stick()->set_pool(p);
      calls.push_back(control::Call{t, r});
    }
  return calls;
}

// The tables read, three ways: every entry, a count per node and pool, and
// the --json rows.
struct StickTables {
  Table list{{"NODE", "POOL", "KEY", "SERVER", "TTL LEFT", "ORIGIN"}};
  Table count{{"NODE", "POOL", "ENTRIES"}};
  json::array rows;
  int code = 0;

  // NODE's table of POOL. KEY: what `get` looked for. ENTRIES_IN_JSON: not for `count`.
  void add(const std::string& node, const std::string& pool, StickOutcome outcome,
           const std::optional<std::string>& key, bool entries_in_json) {
    json::object row;
    row["node"] = node;
    row["pool"] = pool;
    if (!outcome.error.empty()) {
      code = 2;
      row["error"] = outcome.error;
      list.add({Cell{node, sgr::bold}, Cell{pool, ""}, Cell{outcome.error, sgr::red}});
      count.add({Cell{node, sgr::bold}, Cell{pool, ""}, Cell{outcome.error, sgr::red}});
      rows.push_back(std::move(row));
      return;
    }
    count.add({Cell{node, sgr::bold}, Cell{pool, ""}, Cell{std::to_string(outcome.entries.size()), ""}});
    for (const auto& e : outcome.entries) {
      const auto& eo = e.as_object();
      list.add({Cell{node, sgr::bold}, Cell{pool, ""}, Cell{cell_text(eo.at("key")), ""},
                Cell{cell_text(eo.at("server")), sgr::blue}, Cell{cell_text(eo.at("ttl_remaining_ms")) + "ms", ""},
                Cell{cell_text(eo.at("origin")), sgr::dim}});
    }
    if (key && outcome.entries.empty())
      list.add({Cell{node, sgr::bold}, Cell{pool, ""}, Cell{*key, ""}, Cell{"(absent)", sgr::yellow}});
    row["count"] = outcome.entries.size();
    if (entries_in_json) row["entries"] = std::move(outcome.entries);
    rows.push_back(std::move(row));
  }
};

}  // namespace

int cmd_stick(const Session& s) {
  const auto& o = s.options();
  const std::string sub = o.args[0];
  const std::optional<std::string> key = sub == "get" ? std::optional(o.args[1]) : std::nullopt;
  const std::size_t pool_arg = sub == "get" ? 2 : 1;
  const auto pools = stick_pools(s.cluster(), o.args.size() > pool_arg ? std::optional(o.args[pool_arg]) : std::nullopt);
  if (pools.empty()) {
    std::cerr << "lbctl stick: no pool has stickiness in " << o.config << "; name one\n";
    return 2;
  }
  std::vector<control::Target> targets = s.targets();
  if (sub == "list") {
    const auto* t = list_target(s);
    if (!t) return 2;
    targets = {*t};
  }
  const auto results = s.call_each(stick_calls(targets, pools));
  StickTables tables;
  for (std::size_t i = 0; i < results.size(); ++i)
    tables.add(results[i].node, pools[i % pools.size()], stick_outcome(results[i], key), key, sub != "count");
  if (o.json) {
    json::object out;
    out["command"] = sub;
    if (key) out["key"] = *key;
    out["tables"] = std::move(tables.rows);
    out["exit_code"] = tables.code;
    print_json(out);
  } else {
    std::cout << (sub == "count" ? tables.count : tables.list).render(s.color());
  }
  return tables.code;
}

}  // namespace tandem::ctl
