#include "ctl/commands.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/address.h"
#include "common/hmac.h"
#include "config/control_endpoints.h"
#include "config/defaults.h"
#include "config/loader.h"
#include "ctl/failover_plan.h"
#include "ctl/table.h"
#include "ctl/views.h"
#include "ctl/vip_probe.h"

namespace tandem::ctl {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

void print_json(const json::value& v) { std::cout << json::serialize(v) << "\n" << std::flush; }

int exit_code(const json::object& view) {
  const auto* v = view.if_contains("exit_code");
  return v && v->is_int64() ? static_cast<int>(v->as_int64()) : 2;
}

// Two samples INTERVAL apart (rates from the difference), or one.
std::vector<control::NodeSample> sampled(const Session& s, std::chrono::milliseconds interval,
                                         control::RateMemory& rates,
                                         const std::function<void(const std::vector<control::NodeSample>&)>& first) {
  auto samples = s.sample();
  if (interval.count() > 0) {
    first(samples);
    std::this_thread::sleep_for(interval);
    samples = s.sample();
  }
  (void)rates;
  return samples;
}

json::object status_view(const Session& s, control::RateMemory& rates) {
  const auto interval = s.options().interval.value_or(500ms);
  auto samples = sampled(s, interval, rates, [&](const auto& first) {
    (void)control::build_cluster_view(s.cluster().name(), first, rates, unix_now_ms());
  });
  return control::build_cluster_view(s.cluster().name(), samples, rates, unix_now_ms());
}

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

// NODE's state of INSTANCE and whether it holds the VIP, from SAMPLES.
std::pair<std::string, bool> state_of(const std::vector<control::NodeSample>& samples, const std::string& node,
                                      const std::string& instance) {
  for (const auto& smp : samples) {
    if (smp.node != node || !smp.status) continue;
    for (const auto& in : smp.status->instances())
      if (in.name() == instance) return {in.state(), in.vip_held()};
  }
  return {"", false};
}

// The last transition of NODE's INSTANCE into (INTO) or out of (!INTO) MASTER.
std::optional<std::uint64_t> master_edge(const std::vector<control::NodeSample>& samples, const std::string& node,
                                         const std::string& instance, bool into) {
  std::optional<std::uint64_t> at;
  for (const auto& smp : samples) {
    if (smp.node != node || !smp.status) continue;
    for (const auto& in : smp.status->instances()) {
      if (in.name() != instance) continue;
      for (const auto& t : in.transitions())
        if (into ? t.to() == "MASTER" : t.from() == "MASTER") at = t.at_unix_ms();
    }
  }
  return at;
}

// Where to probe for INSTANCE: its first VIP and the port of a listener bound
// to it or to a wildcard address.
std::optional<std::pair<std::string, std::uint16_t>> probe_target(const config::Cluster& cluster,
                                                                   const std::string& instance) {
  std::string vip;
  for (const auto& in : cluster.ha().instances())
    if (in.name() == instance && in.vips_size() > 0) {
      std::string error;
      if (auto p = parse_prefix(in.vips(0), error)) vip = p->address.to_string();
    }
  if (vip.empty()) return std::nullopt;
  for (const auto& l : cluster.listeners()) {
    std::string error;
    auto hp = parse_host_port(l.bind(), error);
    if (!hp) continue;
    if (hp->address.to_string() == vip || hp->address.is_unspecified()) return std::pair{vip, hp->port};
  }
  return std::nullopt;
}

std::string fmt_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
  return buf;
}

}  // namespace

// ------------------------------------------------------------------ status

int cmd_status(const Session& s) {
  control::RateMemory rates;
  const auto view = status_view(s, rates);
  if (s.options().json) {
    print_json(view);
  } else {
    std::cout << render_status(view, s.color());
  }
  return exit_code(view);
}

int cmd_watch(const Session& s) {
  const auto interval = std::max(s.options().interval.value_or(1000ms), std::chrono::milliseconds(500));
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  const bool tty = ::isatty(STDOUT_FILENO) != 0 && !s.options().json;
  control::RateMemory rates;
  std::optional<json::object> previous;
  int code = 0;
  for (int n = 0; !g_interrupted; ++n) {
    const auto started = std::chrono::steady_clock::now();
    const auto view = control::build_cluster_view(s.cluster().name(), s.sample(), rates, unix_now_ms());
    code = exit_code(view);
    if (s.options().json) {
      print_json(view);
    } else {
      std::string frame = render_status(view, s.color(), previous ? &*previous : nullptr);
      frame += "\n" + paint("Latest transitions (newest last)", sgr::bold, s.color()) + "\n";
      frame += render_events(view.at("transitions").as_array(), 8, s.color());
      frame += paint("refresh every " + std::to_string(interval.count()) + " ms; Ctrl-C to quit", sgr::dim, s.color()) +
               "\n";
      // Home + clear on a terminal (like top); a separator otherwise.
      std::cout << (tty ? "\033[H\033[2J" : (n ? "\n" : "")) << frame << std::flush;
    }
    previous = view;
    if (s.options().count && n + 1 >= *s.options().count) break;
    while (!g_interrupted && std::chrono::steady_clock::now() - started < interval)
      std::this_thread::sleep_for(20ms);
  }
  return code;
}

// ------------------------------------------------------------------ servers

int cmd_servers(const Session& s) {
  const std::string pool = s.options().args.empty() ? "" : s.options().args[0];
  if (!pool.empty()) {
    bool known = false;
    for (const auto& p : s.cluster().pools()) known = known || p.name() == pool;
    if (!known) {
      std::cerr << "lbctl: no pool '" << pool << "' in " << s.options().config << "\n";
      return 2;
    }
  }
  control::RateMemory rates;
  const auto interval = s.options().interval.value_or(500ms);
  auto samples = sampled(s, interval, rates,
                         [&](const auto& first) { (void)control::build_servers_view(first, pool, rates); });
  const auto view = control::build_servers_view(samples, pool, rates);
  if (s.options().json) {
    print_json(view);
  } else {
    std::cout << render_servers(view, s.color());
  }
  return exit_code(view);
}

// ------------------------------------------------------------------ drain / disable / enable

int cmd_server_state(const Session& s) {
  const auto& o = s.options();
  const std::string state = o.command == "drain" ? "drain" : o.command == "disable" ? "maintenance" : "ready";
  std::string server = o.args[0], pool = o.pool;
  if (const auto slash = server.find('/'); slash != std::string::npos && pool.empty()) {
    pool = server.substr(0, slash);
    server = server.substr(slash + 1);
  }
  std::vector<std::string> pools;
  for (const auto& p : s.cluster().pools()) {
    if (!pool.empty() && p.name() != pool) continue;
    for (const auto& sv : p.servers())
      if (sv.name() == server) pools.push_back(p.name());
  }
  if (pools.empty()) {
    std::cerr << "lbctl: no server '" << server << "'" << (pool.empty() ? " in any pool" : " in pool '" + pool + "'")
              << " of " << o.config << "\n";
    return 2;
  }
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
  const auto n = pools.size();
  const auto results = s.call_each(calls);
  json::array rows;
  int code = 0;
  Table t({"NODE", "POOL", "SERVER", "RESULT"});
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    std::string outcome;
    bool ok = false;
    if (!r.response) {
      outcome = "unreachable: " + r.error;
    } else if (r.response->has_error()) {
      outcome = "error: " + r.response->error();
    } else if (!r.response->has_proxy()) {
      outcome = "error: unexpected answer";
    } else if (r.response->proxy().http_status() == 0) {
      outcome = "proxy unreachable: " + r.response->proxy().error();
    } else if (r.response->proxy().http_status() != 200) {
      std::string body = r.response->proxy().body();
      while (!body.empty() && body.back() == '\n') body.pop_back();
      outcome = "HTTP " + std::to_string(r.response->proxy().http_status()) + ": " + body;
    } else {
      ok = true;
      outcome = state == "maintenance" ? "MAINTENANCE" : state == "drain" ? "DRAIN" : "READY";
    }
    if (!ok) code = 2;
    json::object row;
    row["node"] = r.node;
    row["pool"] = pools[i % n];
    row["server"] = server;
    row["ok"] = ok;
    row["result"] = outcome;
    rows.push_back(std::move(row));
    t.add({Cell{r.node, sgr::bold}, Cell{pools[i % n], ""}, Cell{server, ""}, Cell{outcome, ok ? sgr::green : sgr::red}});
  }
  if (o.json) {
    json::object out;
    out["server"] = server;
    out["state"] = state;
    out["results"] = std::move(rows);
    out["exit_code"] = code;
    print_json(out);
  } else {
    std::cout << t.render(s.color());
    if (state == "drain")
      std::cout << "Established connections and sticky sessions finish on " << server
                << "; new clients go elsewhere. `lbctl servers` shows its active connections.\n";
  }
  return code;
}

// ------------------------------------------------------------------ failover

int cmd_failover(const Session& s) {
  const auto& o = s.options();
  auto fail = [&](const std::string& why, int code = 2) {
    if (o.json) {
      json::object out;
      out["ok"] = false;
      out["error"] = why;
      out["exit_code"] = code;
      print_json(out);
    } else {
      std::cerr << "lbctl failover: " << why << "\n";
    }
    return code;
  };
  if (!o.to.empty() && !s.target(o.to)) return fail("no node '" + o.to + "' in " + o.config);
  control::RateMemory rates;
  const auto before_samples = s.sample(false);
  const auto before = control::build_cluster_view(s.cluster().name(), before_samples, rates, unix_now_ms());
  // The instances to hand over, each with its one master (ctl/failover_plan.h).
  std::vector<std::string> configured;
  for (const auto& in : s.cluster().ha().instances()) configured.push_back(in.name());
  const auto plan = plan_failover(before, configured, o.instance, o.to);
  if (!plan.error.empty()) return fail(plan.error);
  if (!o.json)
    for (const auto& name : plan.already) std::cout << name << ": " << o.to << " is already master\n";
  const auto& work = plan.work;
  if (work.empty()) {
    // Every instance asked for is already on --to: nothing to do, and said so.
    if (o.json) {
      json::object out;
      out["ok"] = true;
      out["switched"] = json::array();
      json::array already;
      for (const auto& name : plan.already) already.emplace_back(name);
      out["already"] = std::move(already);
      out["exit_code"] = 0;
      print_json(out);
    }
    return 0;
  }

  json::array switched;
  int code = 0;
  for (const auto& [instance, old_master] : work) {
    // The probe, when the VIP can be reached from here.
    std::optional<std::pair<std::string, std::uint16_t>> target;
    if (o.probe) {
      if (!o.probe_target.empty()) {
        std::string error;
        if (auto hp = parse_host_port(o.probe_target, error)) target = std::pair{hp->address.to_string(), hp->port};
        else return fail("--probe: " + error);
      } else {
        target = probe_target(s.cluster(), instance);
      }
      if (target && !VipProbe::reachable(target->first, target->second, 300ms)) target.reset();
    }
    std::optional<VipProbe> probe;
    if (target) {
      probe.emplace(target->first, target->second);
      probe->start();
      std::this_thread::sleep_for(50ms);  // a baseline of successes first
    }
    const auto t0 = std::chrono::steady_clock::now();
    wire::ControlRequest req;
    req.mutable_switchover()->set_instance(instance);
    req.mutable_switchover()->set_to(o.to);
    const auto answer = s.call_each({control::Call{*s.target(old_master), req}});
    std::string messages;
    bool accepted = false;
    if (!answer.empty() && answer[0].response && answer[0].response->has_switchover()) {
      accepted = answer[0].response->switchover().accepted();
      for (const auto& m : answer[0].response->switchover().messages()) messages += (messages.empty() ? "" : "; ") + m;
    } else if (!answer.empty()) {
      messages = answer[0].response ? answer[0].response->error() : answer[0].error;
    }
    if (!accepted) {
      if (probe) probe->stop();
      return fail(instance + ": " + old_master + " did not hand over: " + messages);
    }
    // Poll until the new master reports MASTER and holds the VIP.
    std::string new_master;
    std::vector<control::NodeSample> last;
    const auto deadline = t0 + o.wait;
    while (std::chrono::steady_clock::now() < deadline) {
      last = s.sample(false);
      for (const auto& smp : last) {
        if (smp.node == old_master) continue;
        if (!o.to.empty() && smp.node != o.to) continue;
        auto [st, held] = state_of(last, smp.node, instance);
        if (st == "MASTER" && held && state_of(last, old_master, instance).first != "MASTER") new_master = smp.node;
      }
      if (!new_master.empty()) break;
      std::this_thread::sleep_for(20ms);
    }
    const double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::optional<Gap> gap;
    if (probe) {
      // A little longer, so a gap ending just now is closed by a success.
      std::this_thread::sleep_for(200ms);
      gap = gap_of(probe->stop());
    }
    if (new_master.empty()) {
      return fail(instance + ": no new master serving the VIP within " + std::to_string(o.wait.count()) + " ms (" +
                  messages + ")");
    }
    const auto left = master_edge(last, old_master, instance, false);
    const auto arrived = master_edge(last, new_master, instance, true);
    std::optional<double> transitions_gap;
    if (left && arrived) transitions_gap = static_cast<double>(*arrived) - static_cast<double>(*left);

    json::object out;
    out["instance"] = instance;
    out["from"] = old_master;
    out["to"] = new_master;
    out["took_ms"] = static_cast<std::int64_t>(took_ms);
    out["messages"] = messages;
    out["transitions_gap_ms"] = transitions_gap ? json::value(*transitions_gap) : json::value(nullptr);
    if (gap) {
      out["gap_method"] = "tcp_probe";
      out["gap_ms"] = gap->gap_ms;
      json::object p;
      p["target"] = target->first + ":" + std::to_string(target->second);
      p["attempts"] = gap->attempts;
      p["failed"] = gap->failed;
      p["interval_ms"] = VipProbe::kInterval.count();
      out["probe"] = std::move(p);
    } else {
      out["gap_method"] = "transitions";
      out["gap_ms"] = transitions_gap ? json::value(*transitions_gap) : json::value(nullptr);
      out["probe"] = nullptr;
    }
    if (!o.json) {
      const bool c = s.color();
      std::cout << paint(instance, sgr::bold, c) << ": " << old_master << " -> " << paint(new_master, sgr::blue, c)
                << " serves the VIP after " << fmt_ms(took_ms) << "\n";
      if (gap) {
        std::cout << "  client-visible gap: " << paint(fmt_ms(gap->gap_ms), sgr::bold, c) << " (" << gap->failed
                  << " of " << gap->attempts << " TCP connects to " << target->first << ":" << target->second
                  << " failed, one every " << VipProbe::kInterval.count() << " ms)\n";
      } else {
        std::cout << "  client-visible gap: VIP not reachable from here; between the transitions: "
                  << (transitions_gap ? fmt_ms(*transitions_gap) : std::string("unknown")) << "\n";
      }
      if (transitions_gap && gap) {
        if (*transitions_gap < 0) {
          std::cout << "  " << new_master << " became MASTER " << fmt_ms(-*transitions_gap) << " before " << old_master
                    << " left it (agents' clocks; the resign advert arrives before the old master's bookkeeping)\n";
        } else {
          std::cout << "  " << old_master << " left MASTER -> " << new_master << " became MASTER: "
                    << fmt_ms(*transitions_gap) << " (agents' clocks)\n";
        }
      }
    }
    switched.push_back(std::move(out));
  }
  if (o.json) {
    json::object out;
    out["ok"] = true;
    out["switched"] = std::move(switched);
    out["exit_code"] = code;
    print_json(out);
  }
  return code;
}

// ------------------------------------------------------------------ stick

int cmd_stick(const Session& s) {
  const auto& o = s.options();
  const std::string sub = o.args[0];
  const std::string key = sub == "get" ? o.args[1] : "";
  const std::size_t pool_arg = sub == "get" ? 2 : 1;
  std::vector<std::string> pools;
  if (o.args.size() > pool_arg) {
    pools.push_back(o.args[pool_arg]);
  } else {
    for (const auto& p : s.cluster().pools())
      if (config::effective_stickiness(p).kind != config::Stickiness::KIND_UNSPECIFIED) pools.push_back(p.name());
  }
  if (pools.empty()) {
    std::cerr << "lbctl stick: no pool has stickiness in " << o.config << "; name one\n";
    return 2;
  }
  std::vector<control::Target> targets = s.targets();
  if (sub == "list") {
    std::string node = o.node;
    if (node.empty()) {
      control::RateMemory rates;
      const auto view = control::build_cluster_view(s.cluster().name(), s.sample(false), rates, unix_now_ms());
      for (const auto& iv : view.at("instances").as_array())
        if (node.empty()) node = master_of(view, std::string(iv.as_object().at("name").as_string()));
      if (node.empty()) node = targets.front().node;
    }
    const auto* t = s.target(node);
    if (!t) {
      std::cerr << "lbctl stick: no node '" << node << "'\n";
      return 2;
    }
    targets = {*t};
  }
  std::vector<control::Call> calls;
  for (const auto& t : targets)
    for (const auto& p : pools) {
      wire::ControlRequest r;
      r.mutable_stick()->set_pool(p);
      calls.push_back(control::Call{t, r});
    }
  const auto results = s.call_each(calls);
  int code = 0;
  json::array rows;
  Table list({"NODE", "POOL", "KEY", "SERVER", "TTL LEFT", "ORIGIN"});
  Table count({"NODE", "POOL", "ENTRIES"});
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const std::string pool = pools[i % pools.size()];
    json::object row;
    row["node"] = r.node;
    row["pool"] = pool;
    std::string error;
    json::array entries;
    if (!r.response) {
      error = "unreachable: " + r.error;
    } else if (r.response->has_error()) {
      error = r.response->error();
    } else if (!r.response->has_proxy() || r.response->proxy().http_status() != 200) {
      error = r.response->has_proxy() && r.response->proxy().http_status() == 0
                  ? r.response->proxy().error()
                  : "proxy answered HTTP " + std::to_string(r.response->has_proxy() ? r.response->proxy().http_status() : 0);
    } else {
      boost::system::error_code ec;
      auto v = json::parse(r.response->proxy().body(), ec);
      if (ec || !v.is_object() || !v.as_object().contains("entries") || !v.as_object().at("entries").is_array()) {
        error = "unreadable stick table";
      } else {
        for (auto& e : v.as_object().at("entries").as_array()) {
          if (!e.is_object()) continue;
          const auto& eo = e.as_object();
          if (sub == "get" && (!eo.contains("key") || !eo.at("key").is_string() || eo.at("key").as_string() != key))
            continue;
          entries.push_back(e);
        }
      }
    }
    if (!error.empty()) {
      code = 2;
      row["error"] = error;
      list.add({Cell{r.node, sgr::bold}, Cell{pool, ""}, Cell{error, sgr::red}});
      count.add({Cell{r.node, sgr::bold}, Cell{pool, ""}, Cell{error, sgr::red}});
    } else {
      count.add({Cell{r.node, sgr::bold}, Cell{pool, ""}, Cell{std::to_string(entries.size()), ""}});
      for (const auto& e : entries) {
        const auto& eo = e.as_object();
        auto field = [&](const char* k) {
          const auto* f = eo.if_contains(k);
          if (!f) return std::string("-");
          if (f->is_string()) return std::string(f->as_string());
          return json::serialize(*f);
        };
        list.add({Cell{r.node, sgr::bold}, Cell{pool, ""}, Cell{field("key"), ""}, Cell{field("server"), sgr::blue},
                  Cell{field("ttl_remaining_ms") + "ms", ""}, Cell{field("origin"), sgr::dim}});
      }
      if (sub == "get" && entries.empty())
        list.add({Cell{r.node, sgr::bold}, Cell{pool, ""}, Cell{key, ""}, Cell{"(absent)", sgr::yellow}});
      row["count"] = entries.size();
      if (sub != "count") row["entries"] = std::move(entries);
    }
    rows.push_back(std::move(row));
  }
  if (o.json) {
    json::object out;
    out["command"] = sub;
    if (sub == "get") out["key"] = key;
    out["tables"] = std::move(rows);
    out["exit_code"] = code;
    print_json(out);
  } else {
    std::cout << (sub == "count" ? count : list).render(s.color());
  }
  return code;
}

// ------------------------------------------------------------------ events

int cmd_events(const Session& s) {
  const auto samples = s.sample(false);
  auto transitions = control::merged_transitions(samples);
  const std::size_t limit = static_cast<std::size_t>(s.options().limit);
  int code = 0;
  json::array unreachable;
  for (const auto& smp : samples)
    if (!smp.status) {
      code = 2;
      unreachable.emplace_back(smp.node + ": " + smp.error);
    }
  if (s.options().json) {
    json::array last;
    const std::size_t start = transitions.size() > limit ? transitions.size() - limit : 0;
    for (std::size_t i = start; i < transitions.size(); ++i) last.push_back(transitions[i]);
    json::object out;
    out["events"] = std::move(last);
    out["unreachable"] = std::move(unreachable);
    out["exit_code"] = code;
    print_json(out);
  } else {
    for (const auto& u : unreachable)
      std::cout << paint("!!! unreachable " + std::string(u.as_string()), sgr::loud, s.color()) << "\n";
    std::cout << render_events(transitions, limit, s.color());
  }
  return code;
}

// ------------------------------------------------------------------ check-config

int cmd_check_config(const Options& o) {
  auto loaded = config::load_cluster_file(o.config);
  json::object out;
  out["config"] = o.config;
  if (!loaded.cluster) {
    json::array problems;
    for (const auto& p : loaded.problems) problems.emplace_back(p.where + ": " + p.message);
    out["valid"] = false;
    out["problems"] = std::move(problems);
    out["exit_code"] = 2;
    if (o.json) {
      print_json(out);
    } else {
      std::cerr << config::format_problems(loaded.problems) << "lbctl: " << loaded.problems.size() << " problem(s) in "
                << o.config << "\n";
    }
    return 2;
  }
  const auto& c = *loaded.cluster;
  std::string key, key_error;
  const std::string key_path = o.key.empty() ? c.ha().key_file() : o.key;
  const bool key_ok = !key_path.empty() && read_key_file(key_path, key, key_error);
  if (key_path.empty()) key_error = "no ha.key_file (and no --key)";
  json::array nodes;
  for (const auto& t : config::control_targets(c)) {
    json::object n;
    n["node"] = t.node;
    n["control"] = t.host + ":" + std::to_string(t.port);
    nodes.push_back(std::move(n));
  }
  out["valid"] = key_ok;
  out["key_file"] = key_path;
  out["key_error"] = key_error;
  out["nodes"] = std::move(nodes);
  out["exit_code"] = key_ok ? 0 : 2;
  if (o.json) {
    print_json(out);
  } else {
    std::cout << o.config << ": configuration is valid (cluster " << c.name() << ", " << c.nodes_size()
              << " nodes, " << c.pools_size() << " pools, " << c.ha().instances_size() << " instances)\n";
    for (const auto& t : config::control_targets(c))
      std::cout << "  " << t.node << ": control endpoint " << t.host << ":" << t.port << "\n";
    if (key_ok) {
      std::cout << "  key: " << key_path << " (" << key.size() << " bytes)\n";
    } else {
      std::cerr << "lbctl: key: " << key_error << "\n";
    }
  }
  return key_ok ? 0 : 2;
}

// ------------------------------------------------------------------ dispatch

int run(const Options& o) {
  if (o.command == "check-config") return cmd_check_config(o);
  std::string error;
  auto session = Session::open(o, error);
  if (!session) {
    std::cerr << "lbctl: " << error << "\n";
    return 2;
  }
  const auto& c = o.command;
  if (c == "status") return cmd_status(*session);
  if (c == "watch") return cmd_watch(*session);
  if (c == "servers") return cmd_servers(*session);
  if (c == "drain" || c == "disable" || c == "enable") return cmd_server_state(*session);
  if (c == "failover") return cmd_failover(*session);
  if (c == "stick") return cmd_stick(*session);
  if (c == "events") return cmd_events(*session);
  std::cerr << "lbctl: unknown command '" << c << "'\n";
  return 2;
}

}  // namespace tandem::ctl
