#include "config/defaults.h"

namespace tandem::config {

namespace {

void overlay(EffectiveTimeouts& out, const Timeouts& t) {
  if (t.connect_ms()) out.connect = milliseconds(t.connect_ms());
  if (t.request_header_ms()) out.request_header = milliseconds(t.request_header_ms());
  if (t.client_idle_ms()) out.client_idle = milliseconds(t.client_idle_ms());
  if (t.server_ms()) out.server = milliseconds(t.server_ms());
  if (t.server_idle_ms()) out.server_idle = milliseconds(t.server_idle_ms());
  if (t.queue_ms()) out.queue = milliseconds(t.queue_ms());
  if (t.drain_grace_ms()) out.drain_grace = milliseconds(t.drain_grace_ms());
}

void overlay(EffectiveHttpLimits& out, const HttpLimits& l) {
  if (l.max_header_bytes()) out.max_header_bytes = l.max_header_bytes();
  if (l.max_header_count()) out.max_header_count = l.max_header_count();
  if (l.max_body_bytes()) out.max_body_bytes = l.max_body_bytes();
}

}  // namespace

EffectiveTimeouts effective_timeouts(const Cluster& cluster, const Listener& listener) {
  EffectiveTimeouts out;
  overlay(out, cluster.defaults().timeouts());
  overlay(out, listener.timeouts());
  return out;
}

EffectiveHttpLimits effective_http_limits(const Cluster& cluster, const Listener& listener) {
  EffectiveHttpLimits out;
  overlay(out, cluster.defaults().http_limits());
  overlay(out, listener.http_limits());
  return out;
}

EffectiveHttp2 effective_http2(const Cluster& cluster, const Listener& listener) {
  EffectiveHttp2 out;
  out.max_header_list_bytes = effective_http_limits(cluster, listener).max_header_bytes;
  const auto& h2 = listener.http2();
  if (h2.has_enabled()) out.enabled = h2.enabled();
  if (h2.max_concurrent_streams()) out.max_concurrent_streams = h2.max_concurrent_streams();
  if (h2.initial_window_bytes()) out.initial_window_bytes = h2.initial_window_bytes();
  if (h2.connection_window_bytes()) out.connection_window_bytes = h2.connection_window_bytes();
  if (h2.max_header_list_bytes()) out.max_header_list_bytes = h2.max_header_list_bytes();
  if (h2.max_header_frames()) out.max_header_frames = h2.max_header_frames();
  if (h2.flood_window_ms()) out.flood_window = milliseconds(h2.flood_window_ms());
  if (h2.max_resets_per_window()) out.max_resets_per_window = h2.max_resets_per_window();
  if (h2.max_control_frames_per_window()) out.max_control_frames_per_window = h2.max_control_frames_per_window();
  return out;
}

std::uint32_t effective_max_connections(const Cluster& cluster, const Listener& listener) {
  if (listener.max_connections()) return listener.max_connections();
  if (cluster.defaults().max_connections()) return cluster.defaults().max_connections();
  return 10000;
}

EffectiveHealthCheck effective_health_check(const Pool& pool) {
  EffectiveHealthCheck out;
  if (!pool.has_health_check()) return out;
  const auto& hc = pool.health_check();
  out.enabled = true;
  out.kind = hc.kind() == HealthCheck::HTTP ? HealthCheck::HTTP : HealthCheck::TCP;
  if (hc.interval_ms()) out.interval = milliseconds(hc.interval_ms());
  if (hc.timeout_ms()) out.timeout = milliseconds(hc.timeout_ms());
  if (hc.rise()) out.rise = hc.rise();
  if (hc.fall()) out.fall = hc.fall();
  if (!hc.path().empty()) out.path = hc.path();
  out.host = hc.host();
  out.expect_status = hc.expect_status();
  return out;
}

EffectivePassiveCheck effective_passive_check(const Pool& pool) {
  EffectivePassiveCheck out;
  if (!pool.has_passive_check()) return out;
  if (pool.passive_check().has_max_fails()) out.max_fails = pool.passive_check().max_fails();
  if (pool.passive_check().fail_timeout_ms()) out.fail_timeout = milliseconds(pool.passive_check().fail_timeout_ms());
  return out;
}

EffectiveStickiness effective_stickiness(const Pool& pool) {
  EffectiveStickiness out;
  if (!pool.has_stickiness()) return out;
  const auto& s = pool.stickiness();
  out.kind = s.kind();
  out.cookie = s.cookie();
  if (s.ttl_ms()) out.ttl = milliseconds(s.ttl_ms());
  if (s.max_entries()) out.max_entries = s.max_entries();
  return out;
}

std::string effective_bind(const Node& node, const Listener& listener) {
  const std::string prefix = listener.name() + "=";
  for (const auto& o : node.bind_overrides()) {
    if (o.rfind(prefix, 0) == 0) return o.substr(prefix.size());
  }
  return listener.bind();
}

}  // namespace tandem::config
