#include "common/control/proxy_status.h"

#include <limits>

namespace tandem::control {

namespace {

// A + B, or the largest value when that overflows: counters from another
// process are not trusted to stay small.
std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

}  // namespace

std::string_view mode_name(wire::ListenerMode mode) {
  switch (mode) {
    case wire::LISTENER_MODE_TCP: return "TCP";
    case wire::LISTENER_MODE_HTTP: return "HTTP";
    default: return "";
  }
}

std::string_view admin_state_name(wire::ServerAdminState state) {
  switch (state) {
    case wire::SERVER_ADMIN_READY: return "READY";
    case wire::SERVER_ADMIN_DRAIN: return "DRAIN";
    case wire::SERVER_ADMIN_MAINTENANCE: return "MAINTENANCE";
    default: return "";
  }
}

std::string_view admin_state_value(wire::ServerAdminState state) {
  switch (state) {
    case wire::SERVER_ADMIN_READY: return "ready";
    case wire::SERVER_ADMIN_DRAIN: return "drain";
    case wire::SERVER_ADMIN_MAINTENANCE: return "maintenance";
    default: return "";
  }
}

std::string_view health_name(wire::ServerHealth health) {
  switch (health) {
    case wire::SERVER_HEALTH_UP: return "UP";
    case wire::SERVER_HEALTH_DOWN: return "DOWN";
    default: return "";
  }
}

std::string_view node_role_name(wire::NodeRole role) {
  switch (role) {
    case wire::NODE_ROLE_INIT: return "INIT";
    case wire::NODE_ROLE_BACKUP: return "BACKUP";
    case wire::NODE_ROLE_MASTER: return "MASTER";
    case wire::NODE_ROLE_FAULT: return "FAULT";
    default: return "";
  }
}

ProxyTotals proxy_totals(const wire::ProxyStatusReport& report) {
  ProxyTotals t;
  for (const auto& l : report.listeners()) t.requests = saturating_add(t.requests, l.requests());
  for (const auto& p : report.pools()) {
    t.servers_up = saturating_add(t.servers_up, p.servers_up());
    t.servers_total += static_cast<std::uint64_t>(p.servers_size());
    if (p.has_stick_entries()) t.stick_entries = saturating_add(t.stick_entries.value_or(0), p.stick_entries());
  }
  return t;
}

}  // namespace tandem::control
