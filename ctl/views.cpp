#include "ctl/views.h"

#include <cstdio>
#include <vector>

#include "ctl/session.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_bool()) return v->as_bool() ? "yes" : "no";
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_double()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v->as_double());
    return buf;
  }
  return "-";
}

std::int64_t num(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return -1;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return -1;
}

const json::array& arr(const json::object& o, std::string_view key) {
  static const json::array empty;
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? v->as_array() : empty;
}

std::string ago(std::int64_t ms) {
  if (ms < 0) return "never";
  if (ms < 10000) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

std::string state_style(const std::string& state) {
  if (state == "MASTER") return sgr::blue;
  if (state == "FAULT") return sgr::red;
  if (state == "INIT") return sgr::yellow;
  return "";
}

// Per node name: the cells of one status row (for change highlighting).
std::map<std::string, std::vector<Cell>> status_rows(const json::object& view) {
  std::map<std::string, std::vector<Cell>> rows;
  for (const auto& nv : arr(view, "nodes")) {
    const auto& n = nv.as_object();
    const std::string node = str(n, "node");
    std::vector<Cell> row{Cell{node, sgr::bold}};
    if (!n.at("reachable").as_bool()) {
      row.push_back(Cell{"unreachable", sgr::loud});
      for (int c = 0; c < 10; ++c) row.push_back(Cell{"-", sgr::dim});  // the reason is in the warnings
      rows[node] = std::move(row);
      continue;
    }
    std::string role, prio, vips, role_style;
    for (const auto& iv : arr(n, "instances")) {
      const auto& i = iv.as_object();
      const std::string sep = role.empty() ? "" : ",";
      role += sep + str(i, "name") + "=" + str(i, "state");
      prio += sep + str(i, "base_priority") + "/" + str(i, "effective_priority");
      if (i.at("vip_held").as_bool())
        for (const auto& v : arr(i, "vips")) vips += (vips.empty() ? "" : ",") + std::string(v.as_string());
      if (role_style.empty() || str(i, "state") == "MASTER") role_style = state_style(str(i, "state"));
    }
    const auto& p = n.at("proxy").as_object();
    const std::string health = str(p, "health");
    const std::string servers =
        p.at("servers_total").is_null() ? "-" : str(p, "servers_up") + "/" + str(p, "servers_total");
    const std::string advert = num(n, "last_advert_ms_ago") < 0
                                   ? "never"
                                   : str(n, "last_advert_from") + " " + ago(num(n, "last_advert_ms_ago"));
    const std::string sync = n.at("sync_lag_ms").is_null() ? "-" : str(n, "sync_lag_ms") + "ms";  // p99
    row.push_back(Cell{role.empty() ? "-" : role, role_style});
    row.push_back(Cell{prio.empty() ? "-" : prio, ""});
    row.push_back(Cell{vips.empty() ? "-" : vips, vips.empty() ? "" : sgr::blue});
    row.push_back(Cell{health, health == "ok" ? sgr::green : health == "down" ? sgr::red : sgr::yellow});
    row.push_back(Cell{str(p, "open_connections"), ""});
    row.push_back(Cell{str(p, "requests_per_s"), ""});
    row.push_back(Cell{servers, ""});
    row.push_back(Cell{str(p, "stick_entries"), ""});
    row.push_back(Cell{sync, ""});
    row.push_back(Cell{advert, ""});
    row.push_back(Cell{str(n, "latency_ms") + "ms", sgr::dim});
    rows[node] = std::move(row);
  }
  return rows;
}

}  // namespace

// Every node active (ha.announce): per node what it announces and its
// routing daemon's BGP and BFD sessions; "" when no node announces.
std::string render_announce(const json::object& view, bool color) {
  Table t({"NODE", "ANNOUNCES", "WHY", "BGP/BFD SESSIONS"});
  for (const auto& nv : arr(view, "nodes")) {
    const auto& n = nv.as_object();
    const auto* a = n.if_contains("announce");
    if (!a || !a->is_object()) continue;
    const auto& o = a->as_object();
    const bool on = o.at("announced").as_bool();
    std::string vips;
    for (const auto& v : arr(o, "vips")) vips += (vips.empty() ? "" : ",") + std::string(v.as_string());
    std::string sessions;
    bool all_up = true;
    for (const auto& sv : arr(o, "sessions")) {
      const auto& s = sv.as_object();
      const std::string proto = str(s, "protocol");
      if (proto != "BGP" && proto != "BFD") continue;
      const std::string state = str(s, "state"), info = str(s, "info");
      all_up = all_up && state == "up";
      sessions += (sessions.empty() ? "" : "; ") + str(s, "name") + " " + proto + " " + state +
                  (info.empty() ? "" : " " + info);
    }
    if (const std::string e = str(o, "daemon_error"); !e.empty()) {
      sessions = e;
      all_up = false;
    }
    t.add({Cell{str(n, "node"), sgr::bold}, Cell{on ? vips : "nothing", on ? sgr::green : sgr::loud},
           Cell{on ? "" : str(o, "why"), ""}, Cell{sessions.empty() ? "-" : sessions, all_up ? "" : sgr::loud}});
  }
  if (t.empty()) return {};
  return "\nmode " + str(view, "mode") + ": every node active, announced over BGP\n" + t.render(color);
}

std::string render_status(const json::object& view, bool color, const json::object* previous) {
  std::string out;
  const std::string health = str(view, "health");
  const std::string hstyle = health == "healthy" ? sgr::green : health == "degraded" ? sgr::loud : sgr::loud;
  out += paint("Cluster " + str(view, "cluster"), sgr::bold, color) + "  " +
         paint(" " + std::string(health == "healthy" ? "HEALTHY" : health == "degraded" ? "DEGRADED" : "UNREACHABLE") +
                   " ",
               hstyle, color) +
         "  " + paint(clock_text(static_cast<std::uint64_t>(num(view, "generated_unix_ms"))), sgr::dim, color) + "\n";
  for (const auto& w : arr(view, "warnings")) {
    const std::string text(w.as_string());
    out += paint("!!! " + text + " !!!", sgr::loud, color) + "\n";
  }
  out += "\n";

  Table nodes({"NODE", "ROLE", "PRIO", "VIPS HELD", "PROXY", "CONNS", "REQ/S", "SERVERS", "STICK", "SYNC LAG",
               "LAST ADVERT", "RTT"});
  const auto rows = status_rows(view);
  const auto before = previous ? status_rows(*previous) : decltype(rows){};
  for (const auto& nv : arr(view, "nodes")) {
    const std::string node = str(nv.as_object(), "node");
    auto row = rows.at(node);
    if (auto it = before.find(node); it != before.end()) {
      // Highlight what changed, except the live counters.
      for (std::size_t c = 1; c < row.size() && c < it->second.size(); ++c) {
        if (c == 5 || c == 6 || c == 10 || c == 11) continue;  // conns, req/s, advert age, rtt
        if (row[c].text != it->second[c].text) row[c].style = sgr::changed;
      }
    }
    nodes.add(std::move(row));
  }
  out += nodes.render(color);

  Table inst({"INSTANCE", "MASTER", "VIPS", "HELD BY"});
  for (const auto& iv : arr(view, "instances")) {
    const auto& i = iv.as_object();
    auto join = [](const json::array& a) {
      std::string s;
      for (const auto& x : a) s += (s.empty() ? "" : ",") + std::string(x.as_string());
      return s;
    };
    const auto& masters = arr(i, "masters");
    const auto& holders = arr(i, "vip_holders");
    inst.add({Cell{str(i, "name"), sgr::bold},
              Cell{masters.empty() ? "NONE" : join(masters), masters.size() == 1 ? sgr::blue : sgr::loud},
              Cell{join(arr(i, "vips")), ""},
              Cell{holders.empty() ? "nobody" : join(holders), holders.size() == 1 ? "" : sgr::loud}});
  }
  if (!inst.empty()) out += "\n" + inst.render(color);
  out += render_announce(view, color);
  return out;
}

std::string render_servers(const json::object& view, bool color) {
  std::string out;
  for (const auto& e : arr(view, "errors")) out += paint("!!! " + std::string(e.as_string()), sgr::loud, color) + "\n";
  Table t({"NODE", "POOL", "SERVER", "ADDRESS", "STATE", "HEALTH", "WEIGHT", "ACTIVE", "REQ/S", "REQUESTS",
           "FAILURES", "EJECTED"});
  for (const auto& rv : arr(view, "servers")) {
    const auto& r = rv.as_object();
    const std::string state = str(r, "admin_state"), health = str(r, "health");
    t.add({Cell{str(r, "node"), sgr::bold}, Cell{str(r, "pool"), ""}, Cell{str(r, "server"), ""},
           Cell{str(r, "address"), sgr::dim}, Cell{state, state == "READY" ? "" : sgr::yellow},
           Cell{health, health == "UP" ? sgr::green : sgr::red}, Cell{str(r, "weight"), ""},
           Cell{str(r, "active"), ""}, Cell{str(r, "requests_per_s"), ""}, Cell{str(r, "requests"), ""},
           Cell{str(r, "failures"), ""}, Cell{str(r, "ejected"), r.at("ejected").as_bool() ? sgr::red : ""}});
  }
  out += t.render(color);
  return out;
}

std::string render_events(const json::array& transitions, std::size_t limit, bool color) {
  Table t({"TIME", "NODE", "INSTANCE", "FROM", "TO", "CAUSE"});
  const std::size_t start = transitions.size() > limit ? transitions.size() - limit : 0;
  for (std::size_t i = start; i < transitions.size(); ++i) {
    const auto& e = transitions[i].as_object();
    const std::string to = str(e, "to");
    t.add({Cell{clock_text(static_cast<std::uint64_t>(num(e, "at_unix_ms"))), sgr::dim}, Cell{str(e, "node"), sgr::bold},
           Cell{str(e, "instance"), ""}, Cell{str(e, "from"), ""}, Cell{to, state_style(to)},
           Cell{str(e, "cause"), ""}});
  }
  return t.empty() ? std::string("no transitions\n") : t.render(color);
}

}  // namespace tandem::ctl
