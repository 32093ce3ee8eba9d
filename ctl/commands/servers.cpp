// lbctl servers (every backend as each proxy sees it) and drain / disable /
// enable (a server's state on every node's proxy).
#include <iostream>

#include "common/control/proxy_status.h"
#include "ctl/commands.h"
#include "ctl/forwarded.h"
#include "ctl/output.h"
#include "ctl/table.h"
#include "ctl/views.h"

namespace tandem::ctl {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

bool has_pool(const config::Cluster& cluster, const std::string& pool) {
  for (const auto& p : cluster.pools())
    if (p.name() == pool) return true;
  return false;
}

// The pools (POOL only, when set) that have a server called SERVER.
std::vector<std::string> pools_with(const config::Cluster& cluster, const std::string& server,
                                    const std::string& pool) {
  std::vector<std::string> pools;
  for (const auto& p : cluster.pools()) {
    if (!pool.empty() && p.name() != pool) continue;
    for (const auto& sv : p.servers())
      if (sv.name() == server) pools.push_back(p.name());
  }
  return pools;
}

// Every (node, pool) pair: one server_state request each.
std::vector<control::Call> server_state_calls(const Session& s, const std::vector<std::string>& pools,
                                              const std::string& server, wire::ServerAdminState state) {
  std::vector<control::Call> calls;
  for (const auto& t : s.targets())
    for (const auto& p : pools) {
      wire::ControlRequest r;
      auto* ss = r.mutable_server_state();
      ss->set_pool(p);
      ss->set_server(server);
      ss->set_state(state);
      calls.push_back(control::Call{t, r});
    }
  return calls;
}

}  // namespace

int cmd_servers(const Session& s) {
  const std::string pool = s.options().args.empty() ? "" : s.options().args[0];
  if (!pool.empty() && !has_pool(s.cluster(), pool)) {
    std::cerr << "lbctl: no pool '" << pool << "' in " << s.options().config << "\n";
    return 2;
  }
  control::RateMemory rates;
  const auto samples = sample_for_rates(s, s.options().interval.value_or(500ms), [&](const auto& first) {
    (void)control::build_servers_view(first, pool, rates);
  });
  const auto view = control::build_servers_view(samples, pool, rates);
  if (s.options().json) {
    print_json(view);
  } else {
    std::cout << render_servers(view, s.color());
  }
  return exit_code(view);
}

int cmd_server_state(const Session& s) {
  const auto& o = s.options();
  const auto state = o.command == "drain"     ? wire::SERVER_ADMIN_DRAIN
                    : o.command == "disable" ? wire::SERVER_ADMIN_MAINTENANCE
                                             : wire::SERVER_ADMIN_READY;
  std::string server = o.args[0], pool = o.pool;
  if (const auto slash = server.find('/'); slash != std::string::npos && pool.empty()) {
    pool = server.substr(0, slash);
    server = server.substr(slash + 1);
  }
  const auto pools = pools_with(s.cluster(), server, pool);
  if (pools.empty()) {
    std::cerr << "lbctl: no server '" << server << "'" << (pool.empty() ? " in any pool" : " in pool '" + pool + "'")
              << " of " << o.config << "\n";
    return 2;
  }
  const auto results = s.call_each(server_state_calls(s, pools, server, state));
  json::array rows;
  int code = 0;
  Table t({"NODE", "POOL", "SERVER", "RESULT"});
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto outcome = server_state_outcome(results[i], state);
    const auto& p = pools[i % pools.size()];
    if (!outcome.ok) code = 2;
    json::object row;
    row["node"] = results[i].node;
    row["pool"] = p;
    row["server"] = server;
    row["ok"] = outcome.ok;
    row["result"] = outcome.text;
    rows.push_back(std::move(row));
    t.add({Cell{results[i].node, sgr::bold}, Cell{p, ""}, Cell{server, ""},
           Cell{outcome.text, outcome.ok ? sgr::green : sgr::red}});
  }
  if (o.json) {
    json::object out;
    out["server"] = server;
    out["state"] = control::admin_state_value(state);
    out["results"] = std::move(rows);
    out["exit_code"] = code;
    print_json(out);
  } else {
    std::cout << t.render(s.color());
    if (state == wire::SERVER_ADMIN_DRAIN)
      std::cout << "Established connections and sticky sessions finish on " << server
                << "; new clients go elsewhere. `lbctl servers` shows its active connections.\n";
  }
  return code;
}

}  // namespace tandem::ctl
