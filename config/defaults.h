// The values used where the cluster file is silent, in one place, so the
// proxy, the agent and lbctl agree and the docs can cite them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/proto/cluster.pb.h"

namespace tandem::config {

using std::chrono::milliseconds;

// Timeouts for one listener: listener fields, then `defaults`, then these.
struct EffectiveTimeouts {
  milliseconds connect{2000};
  milliseconds request_header{10000};
  milliseconds client_idle{60000};
  milliseconds server{30000};
  milliseconds server_idle{30000};
  milliseconds queue{5000};
  milliseconds drain_grace{10000};
  milliseconds tunnel{3600000};  // an upgraded connection's idle limit, as HAProxy's timeout tunnel
};

struct EffectiveHttpLimits {
  std::uint32_t max_header_bytes = 16384;  // as HAProxy's default tune.bufsize
  std::uint32_t max_header_count = 100;
  std::uint64_t max_body_bytes = 64ull << 20;
};

// HTTP/2 on an HTTP listener (docs/http2.md): the listener's `http2`, then these.
struct EffectiveHttp2 {
  bool enabled = true;
  std::uint32_t max_concurrent_streams = 100;     // as HAProxy's and nginx's default
  std::uint32_t initial_window_bytes = 65535;     // RFC 9113's initial value
  std::uint32_t connection_window_bytes = 1u << 20;
  std::uint32_t max_header_list_bytes = 16384;    // the listener's max_header_bytes
  std::uint32_t max_header_frames = 16;
  milliseconds flood_window{10000};
  std::uint32_t max_resets_per_window = 200;
  std::uint32_t max_control_frames_per_window = 1000;
};
// The largest flow-control window RFC 9113 allows (2^31-1).
inline constexpr std::uint32_t kMaxHttp2Window = 0x7fffffff;

EffectiveTimeouts effective_timeouts(const Cluster& cluster, const Listener& listener);
EffectiveHttp2 effective_http2(const Cluster& cluster, const Listener& listener);
EffectiveHttpLimits effective_http_limits(const Cluster& cluster, const Listener& listener);
std::uint32_t effective_max_connections(const Cluster& cluster, const Listener& listener);  // default 10000

inline std::uint32_t server_weight(const Server& s) { return s.has_weight() ? s.weight() : 1; }
inline std::uint32_t pool_retries(const Pool& p) { return p.has_retries() ? p.retries() : 2; }
// Idle connections kept per server per worker (Pool.max_idle_per_server); 0 = no reuse.
inline constexpr std::uint32_t kDefaultMaxIdlePerServer = 1024;
inline std::uint32_t pool_max_idle_per_server(const Pool& p) {
  return p.has_max_idle_per_server() ? p.max_idle_per_server() : kDefaultMaxIdlePerServer;
}

struct EffectiveHealthCheck {
  bool enabled = false;
  HealthCheck::Kind kind = HealthCheck::TCP;
  milliseconds interval{2000};
  milliseconds timeout{1000};
  std::uint32_t rise = 2;
  std::uint32_t fall = 3;
  std::string path = "/";
  std::string host;             // empty: the server's address
  std::uint32_t expect_status = 0;  // 0: any 2xx/3xx
};
EffectiveHealthCheck effective_health_check(const Pool& pool);

struct EffectivePassiveCheck {
  std::uint32_t max_fails = 3;  // 0 = off
  milliseconds fail_timeout{10000};
};
EffectivePassiveCheck effective_passive_check(const Pool& pool);

struct EffectiveStickiness {
  Stickiness::Kind kind = Stickiness::KIND_UNSPECIFIED;  // none
  std::string cookie;
  milliseconds ttl{30 * 60 * 1000};
  std::uint32_t max_entries = 100000;
};
EffectiveStickiness effective_stickiness(const Pool& pool);

// The bind address of LISTENER on NODE (bind_overrides applied).
std::string effective_bind(const Node& node, const Listener& listener);

}  // namespace tandem::config
