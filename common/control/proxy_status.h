// The proxy status contract's shared pieces (common/proto/proxy_status.proto):
// the media type the agent asks for, and how the typed states are spelled
// for people (the proxy's GET /status JSON, lbctl's tables and --json). One
// place, so every surface spells them alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/proto/local_channel.pb.h"
#include "common/proto/proxy_status.pb.h"

namespace tandem::control {

// The Accept (and Content-Type) under which the proxy's admin listener
// serves GET /status and GET /stick as serialized ProxyStatusReport and
// StickTableReport instead of JSON.
inline constexpr std::string_view kProtobufMediaType = "application/x-protobuf";

// "TCP", "HTTP"; "" when unspecified.
std::string_view mode_name(wire::ListenerMode mode);
// "READY", "DRAIN", "MAINTENANCE"; "" when unspecified.
std::string_view admin_state_name(wire::ServerAdminState state);
// "ready", "drain", "maintenance": the proxy admin's ?value= for STATE;
// "" when unspecified.
std::string_view admin_state_value(wire::ServerAdminState state);
// "UP", "DOWN"; "" when unspecified.
std::string_view health_name(wire::ServerHealth health);
// "INIT", "BACKUP", "MASTER", "FAULT" (the role the agent tells its proxy,
// common/proto/local_channel.proto); "" when unspecified.
std::string_view node_role_name(wire::NodeRole role);

// What the cluster view sums over one proxy's report.
struct ProxyTotals {
  std::uint64_t requests = 0;                 // over every listener (saturating)
  std::uint64_t servers_up = 0;               // over every pool
  std::uint64_t servers_total = 0;
  std::optional<std::uint64_t> stick_entries;  // over the pools with stickiness; none: no such pool
};
ProxyTotals proxy_totals(const wire::ProxyStatusReport& report);

}  // namespace tandem::control
