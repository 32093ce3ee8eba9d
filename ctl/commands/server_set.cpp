// lbctl servers add|remove|weight|sync (a pool's server set on every node)
// and lbctl export (the cluster file with every pool's set merged in). The
// plan is ctl/set_plan.h; here: ask every node, send, print.
#include <algorithm>
#include <charconv>
#include <iostream>
#include <tuple>

#include <google/protobuf/text_format.h>

#include "config/server_set/server_set.h"
#include "ctl/commands.h"
#include "ctl/forwarded.h"
#include "ctl/output.h"
#include "ctl/set_plan.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace json = boost::json;

namespace {

const config::Pool* find_pool(const config::Cluster& cluster, const std::string& name) {
  for (const auto& p : cluster.pools())
    if (p.name() == name) return &p;
  return nullptr;
}

// Every node's report of POOL's set, from one status sample.
std::vector<NodeSet> node_sets(const std::vector<control::NodeSample>& samples, const std::string& pool) {
  std::vector<NodeSet> out;
  for (const auto& smp : samples) {
    NodeSet n{smp.node, std::nullopt};
    if (smp.status && smp.status->has_proxy_report())
      for (const auto& p : smp.status->proxy_report().pools())
        if (p.name() == pool) n.set = p.server_set();
    out.push_back(std::move(n));
  }
  return out;
}

bool parse_weight(const std::string& text, std::uint32_t& out) {
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && out >= 1 && out <= config::kMaxServerWeight;
}

// The change the words after `servers` ask for; nullopt with ERROR.
std::optional<SetChange> change_of(const std::vector<std::string>& args, std::string& error) {
  SetChange c;
  const auto& verb = args[0];
  const auto n = args.size();
  if (verb == "add" && (n == 4 || n == 5)) {
    c.kind = SetChange::Kind::add;
    c.name = args[2];
    c.address = args[3];
    if (n == 5 && !parse_weight(args[4], c.weight)) error = "WEIGHT must be 1..256";
  } else if (verb == "remove" && n == 3) {
    c.kind = SetChange::Kind::remove;
    c.name = args[2];
  } else if (verb == "weight" && n == 4) {
    c.kind = SetChange::Kind::weight;
    c.name = args[2];
    if (!parse_weight(args[3], c.weight)) error = "WEIGHT must be 1..256";
  } else if (verb == "sync" && n <= 2) {
    c.kind = SetChange::Kind::sync;
  } else {
    error = "usage: lbctl servers add POOL NAME ADDRESS [WEIGHT] | remove POOL NAME | weight POOL NAME WEIGHT | "
            "sync [POOL]";
  }
  if (!error.empty()) return std::nullopt;
  return c;
}

// The outcome of one forwarded server_set call, for the table.
std::pair<bool, std::string> outcome(const control::CallResult& r) {
  const auto o = server_state_outcome(r, wire::SERVER_ADMIN_READY);
  if (!o.ok) return {false, o.text};
  std::string body = r.response->proxy().body();
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return {true, body};
}

// Sends PLAN for POOL; prints one row per node; the exit code.
int send_plan(const Session& s, const std::string& pool, const SetPlan& plan, Table& t, json::array& rows) {
  int code = plan.unreachable.empty() ? 0 : 2;
  for (const auto& node : plan.unreachable) {
    t.add({Cell{node, sgr::bold}, Cell{pool, ""}, Cell{"-", ""},
           Cell{"unreachable: catches up at the next change or `lbctl servers sync`", sgr::red}});
    json::object row{{"node", node}, {"pool", pool}, {"ok", false}, {"result", "unreachable"}};
    rows.push_back(std::move(row));
  }
  for (const auto& send : plan.sends) {
    const auto* target = s.target(send.node);
    std::string result = "up to date";
    bool ok = true;
    for (const auto& batch : batches(send.entries)) {
      wire::ControlRequest r;
      auto* set = r.mutable_server_set();
      set->set_pool(pool);
      for (const auto& e : batch) *set->add_entries() = e;
      const auto results = s.call_each({control::Call{*target, r}});
      std::tie(ok, result) = outcome(results.at(0));
      if (!ok) break;
    }
    if (!ok) code = 2;
    t.add({Cell{send.node, sgr::bold}, Cell{pool, ""}, Cell{std::to_string(send.entries.size()), ""},
           Cell{result, ok ? sgr::green : sgr::red}});
    json::object row{{"node", send.node}, {"pool", pool}, {"sent", send.entries.size()}, {"ok", ok}, {"result", result}};
    rows.push_back(std::move(row));
  }
  return code;
}

}  // namespace

int cmd_server_set(const Session& s) {
  const auto& args = s.options().args;
  std::string error;
  const auto change = change_of(args, error);
  if (!change) {
    std::cerr << "lbctl: servers " << args[0] << ": " << error << "\n";
    return 2;
  }
  std::vector<std::string> pools;
  if (args.size() > 1) {
    if (!find_pool(s.cluster(), args[1])) {
      std::cerr << "lbctl: no pool '" << args[1] << "' in " << s.options().config << "\n";
      return 2;
    }
    pools.push_back(args[1]);
  } else {
    for (const auto& p : s.cluster().pools()) pools.push_back(p.name());
  }
  const auto samples = s.sample(true);
  Table t({"NODE", "POOL", "SENT", "RESULT"});
  json::array rows;
  int code = 0;
  for (const auto& pool : pools) {
    const auto plan = plan_set_change(*find_pool(s.cluster(), pool), node_sets(samples, pool), *change);
    if (!plan.error.empty()) {
      std::cerr << "lbctl: " << plan.error << "\n";
      return 2;
    }
    code = std::max(code, send_plan(s, pool, plan, t, rows));
  }
  if (s.options().json) {
    json::object out{{"results", std::move(rows)}, {"exit_code", code}};
    print_json(out);
  } else {
    std::cout << t.render(s.color());
    if (change->kind == SetChange::Kind::remove)
      std::cout << "In-flight requests finish on " << change->name
                << "; new requests and its sticky clients go to the other servers.\n";
  }
  return code;
}

int cmd_export(const Session& s) {
  const auto samples = s.sample(true);
  wire::ServerOverlay overlay;
  int code = 0;
  for (const auto& p : s.cluster().pools()) {
    const auto plan = plan_set_change(p, node_sets(samples, p.name()), SetChange{});
    if (!plan.error.empty()) {
      std::cerr << "lbctl: export: " << plan.error << "\n";
      return 2;
    }
    if (!plan.unreachable.empty()) code = 1;
    config::pool_overlay(overlay, p.name()) = plan.merged;
  }
  const auto merged = config::apply_overlay(s.cluster(), overlay);
  std::string text;
  google::protobuf::TextFormat::PrintToString(merged, &text);
  std::cout << "# " << s.options().config << " with the runtime server changes of every node merged in\n"
            << "# (lbctl export; docs/discovery.md). Comments of the original are not kept.\n"
            << text;
  if (code) std::cerr << "lbctl: export: some node was unreachable; its changes, if any, are not included\n";
  return code;
}

}  // namespace tandem::ctl
