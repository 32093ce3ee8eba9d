#include "lb/admin/status_json.h"

#include <boost/json.hpp>

#include "common/control/proxy_status.h"

namespace tandem::lb {

namespace json = boost::json;
using control::admin_state_name;
using control::health_name;
using control::mode_name;

namespace {

json::object listener_json(const wire::ListenerReport& l) {
  json::object o;
  o["name"] = l.name();
  o["bind"] = l.bind();
  o["mode"] = mode_name(l.mode());
  o["pool"] = l.pool();
  o["active"] = l.active();
  o["requests"] = l.requests();
  o["max_connections"] = l.max_connections();
  return o;
}

json::object server_json(const wire::ServerReport& s) {
  json::object o;
  o["name"] = s.name();
  o["address"] = s.address();
  o["weight"] = s.weight();
  o["admin_state"] = admin_state_name(s.admin_state());
  o["health"] = health_name(s.health());
  o["ejected"] = s.ejected();
  o["takes_new"] = s.takes_new();
  o["active"] = s.active();
  o["requests"] = s.requests();
  o["failures"] = s.failures();
  o["ejections"] = s.ejections();
  if (!s.check_cause().empty()) o["check_cause"] = s.check_cause();
  return o;
}

json::object pool_json(const wire::PoolReport& p) {
  json::object o;
  o["name"] = p.name();
  o["algorithm"] = p.algorithm();
  o["servers_up"] = p.servers_up();
  o["panic"] = p.panic();
  json::array servers;
  for (const auto& s : p.servers()) servers.push_back(server_json(s));
  o["servers"] = std::move(servers);
  if (p.has_stick_entries()) o["stick_entries"] = p.stick_entries();
  json::object set{{"version", p.server_set().version()}, {"digest", p.server_set().digest()}};
  if (!p.server_set().source().empty()) {
    set["source"] = p.server_set().source();
    set["servers"] = p.server_set().servers();
    set["refused_keys"] = p.server_set().refused_keys();
  }
  o["server_set"] = std::move(set);
  return o;
}

}  // namespace

std::string status_json(const wire::ProxyStatusReport& report) {
  json::object root;
  root["node"] = report.node();
  root["cluster"] = report.cluster();
  root["workers"] = report.workers();
  root["generation"] = report.generation();
  root["draining"] = report.draining();
  root["open_connections"] = report.open_connections();
  root["fd_limit"] = report.fd_limit();
  root["fds_needed"] = report.fds_needed();
  json::array listeners;
  for (const auto& l : report.listeners()) listeners.push_back(listener_json(l));
  root["listeners"] = std::move(listeners);
  json::array pools;
  for (const auto& p : report.pools()) pools.push_back(pool_json(p));
  root["pools"] = std::move(pools);
  return json::serialize(root) + "\n";
}

std::string stick_json(const wire::StickTableReport& report) {
  json::object root;
  root["pool"] = report.pool();
  json::array entries;
  for (const auto& e : report.entries()) {
    json::object o;
    o["key"] = e.key();
    o["server"] = e.server();
    o["ttl_remaining_ms"] = e.ttl_remaining_ms();
    o["origin"] = e.origin();
    entries.push_back(std::move(o));
  }
  root["entries"] = std::move(entries);
  return json::serialize(root) + "\n";
}

}  // namespace tandem::lb
