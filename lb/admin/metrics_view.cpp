#include "lb/admin/metrics_view.h"

#include "common/prometheus_text.h"
#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

namespace {

double load(const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }
double load(const std::atomic<std::int64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

// The access log's writer: what reached the file and what did not.
void access_log_metrics(PrometheusText& m, const ProcessFacts& facts) {
  const auto& c = facts.access_log;
  m.family("tandem_access_log_enabled", "gauge", "1 when the access log is on.");
  m.sample("tandem_access_log_enabled", {}, facts.access_log_enabled ? 1 : 0);
  m.family("tandem_access_log_lines_total", "counter", "Access log lines written to the file.");
  m.sample("tandem_access_log_lines_total", {}, static_cast<double>(c.lines_written));
  m.family("tandem_access_log_dropped_lines_total", "counter",
           "Access log lines dropped: the disk was slower than the traffic (queue_kb full) or a write failed.");
  m.sample("tandem_access_log_dropped_lines_total", {}, static_cast<double>(c.lines_dropped));
  m.family("tandem_access_log_write_errors_total", "counter", "Failed writes or reopens of the access log file.");
  m.sample("tandem_access_log_write_errors_total", {}, static_cast<double>(c.write_errors));
  m.family("tandem_access_log_reopens_total", "counter", "Times the access log file was reopened (SIGUSR1).");
  m.sample("tandem_access_log_reopens_total", {}, static_cast<double>(c.reopens));
}

// The process: who it is, reloads, admin refusals.
void process_metrics(PrometheusText& m, const ProcessFacts& facts) {
  m.family("tandem_proxy_info", "gauge", "Node name and worker count of this lb-proxy.");
  m.sample("tandem_proxy_info", {{"node", facts.node}, {"workers", std::to_string(facts.workers)}}, 1);
  m.family("tandem_config_reloads_total", "counter", "Configuration reloads applied.");
  m.sample("tandem_config_reloads_total", {}, static_cast<double>(facts.reloads));
  m.family("tandem_config_reload_failures_total", "counter", "Reloads refused because the new file was invalid.");
  m.sample("tandem_config_reload_failures_total", {}, static_cast<double>(facts.reload_failures));
  m.family("tandem_admin_refused_total", "counter",
           "Admin requests refused: bad Host, cross-origin, unauthenticated state changes (per reason).");
  for (const auto& [reason, n] : facts.admin_refused)
    m.sample("tandem_admin_refused_total", {{"reason", reason}}, static_cast<double>(n));
  // Discovered pools (docs/discovery.md): a key etcd holds that is no
  // server is a registrar's bug someone should see on a graph.
  m.family("tandem_discovery_refused_keys", "gauge",
           "Keys under an etcd pool's prefix whose value is refused (not a server), per pool.");
  for (const auto& [pool, set] : facts.server_sets)
    if (set.source() == "etcd") m.sample("tandem_discovery_refused_keys", {{"pool", pool}}, static_cast<double>(set.refused_keys()));
  access_log_metrics(m, facts);
}

// Per listener: connections, requests, bytes, responses, refusals.
void listener_counters(PrometheusText& m, const Generation& gen) {
  struct Counter {
    const char* name;
    const char* help;
    const std::atomic<std::uint64_t> ListenerStats::*field;
  };
  m.family("tandem_connections_active", "gauge", "Open client connections per listener.");
  for (const auto& l : gen.listeners) m.sample("tandem_connections_active", {{"listener", l->config.name()}}, load(l->stats->active));
  m.family("tandem_tunnels_active", "gauge", "Upgraded (WebSocket) connections open per listener.");
  for (const auto& l : gen.listeners) m.sample("tandem_tunnels_active", {{"listener", l->config.name()}}, load(l->stats->tunnels_active));
  const Counter counters[] = {
      {"tandem_connections_total", "Client connections accepted.", &ListenerStats::connections},
      {"tandem_requests_total", "Requests (HTTP) or sessions (TCP) received.", &ListenerStats::requests},
      {"tandem_bytes_in_total", "Bytes received from clients.", &ListenerStats::bytes_in},
      {"tandem_bytes_out_total", "Bytes sent to clients.", &ListenerStats::bytes_out},
      {"tandem_retries_total", "Connection attempts retried on another server.", &ListenerStats::retries},
      {"tandem_accept_paused_total", "Times accepting paused at max_connections.", &ListenerStats::accept_paused},
      {"tandem_tunnels_total", "Connections upgraded to a tunnel after a 101.", &ListenerStats::tunnels},
      {"tandem_proxy_header_refused_total", "Connections from trusted sources closed for a missing, bad or late PROXY header.", &ListenerStats::proxy_header_refused},
      {"tandem_tls_handshakes_total", "TLS handshakes completed.", &ListenerStats::tls_handshakes},
      {"tandem_tls_handshake_failures_total", "TLS handshakes refused or broken off.", &ListenerStats::tls_handshake_failures},
      {"tandem_tls_handshake_timeouts_total", "TLS handshakes cut at handshake_timeout_ms.", &ListenerStats::tls_handshake_timeouts},
  };
  for (const auto& c : counters) {
    m.family(c.name, "counter", c.help);
    for (const auto& l : gen.listeners) m.sample(c.name, {{"listener", l->config.name()}}, load((*l->stats).*c.field));
  }
  m.family("tandem_responses_total", "counter", "Responses sent to clients by status class.");
  static const char* classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (const auto& l : gen.listeners) {
    for (std::size_t i = 0; i < 6; ++i) {
      m.sample("tandem_responses_total", {{"listener", l->config.name()}, {"class", classes[i]}}, load(l->stats->responses[i]));
    }
  }
  m.family("tandem_refused_total", "counter", "Requests refused or failed by the proxy, by reason.");
  for (const auto& l : gen.listeners) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(Refusal::count_); ++i) {
      m.sample("tandem_refused_total", {{"listener", l->config.name()}, {"reason", refusal_name(static_cast<Refusal>(i))}},
               load(l->stats->refusals[i]));
    }
  }
}

// One histogram's samples under NAME with LABELS (plus le).
void histogram_samples(PrometheusText& m, const std::string& name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
                       const observe::HistogramSnapshot& s) {
  char bound[32];
  std::uint64_t cumulative = 0;
  const std::string bucket = name + "_bucket";
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    cumulative += s.buckets[i];
    if (i < observe::kLatencyBoundsSeconds.size()) {
      std::snprintf(bound, sizeof bound, "%g", observe::kLatencyBoundsSeconds[i]);
    } else {
      std::snprintf(bound, sizeof bound, "+Inf");
    }
    // At most two labels before le (listener; or pool and server).
    const auto* l = labels.begin();
    if (labels.size() == 1) {
      m.sample(bucket, {l[0], {"le", bound}}, static_cast<double>(cumulative));
    } else {
      m.sample(bucket, {l[0], l[1], {"le", bound}}, static_cast<double>(cumulative));
    }
  }
  m.sample(name + "_sum", labels, s.sum_seconds);
  m.sample(name + "_count", labels, static_cast<double>(cumulative));
}

struct HistogramKind {
  const char* name;  // after tandem_ (listeners) or tandem_server_ (servers)
  const char* help;
  const observe::LatencyHistogram observe::PhaseHistograms::*which;
};

constexpr HistogramKind kHistograms[] = {
    {"request_duration_seconds", "From the request's start (accept, or its first bytes) to the end of the response.",
     &observe::PhaseHistograms::duration},
    {"connect_duration_seconds", "Getting a server connection: queue wait and TCP connect (about 0 when pooled).",
     &observe::PhaseHistograms::connect},
    {"first_byte_seconds", "From the request's start to the server's response header (time to first byte).",
     &observe::PhaseHistograms::first_byte},
};

// Per listener (tandem_*, label listener) and per server (tandem_server_*,
// labels pool and server): request duration, connect time, time to first byte.
void latency_histograms(PrometheusText& m, const Generation& gen) {
  for (const auto& h : kHistograms) {
    const std::string name = std::string("tandem_") + h.name;
    m.family(name, "histogram", h.help);
    for (const auto& l : gen.listeners) histogram_samples(m, name, {{"listener", l->config.name()}}, (l->stats->latency.*h.which).snapshot());
  }
  for (const auto& h : kHistograms) {
    const std::string name = std::string("tandem_server_") + h.name;
    m.family(name, "histogram", h.help);
    for (const auto& p : gen.pools) {
      for (const auto& s : p->servers()) {
        histogram_samples(m, name, {{"pool", p->name()}, {"server", s->name}}, (s->latency.*h.which).snapshot());
      }
    }
  }
}

// Per pool and server: state gauges (up, panic, healthy, active).
void server_gauges(PrometheusText& m, const Generation& gen, SteadyTime now) {
  m.family("tandem_server_up", "gauge", "1 when the server takes new clients (healthy, not ejected, READY).");
  for (const auto& p : gen.pools) {
    for (ServerIndex i = 0; i < p->servers().size(); ++i) {
      m.sample("tandem_server_up", {{"pool", p->name()}, {"server", p->server(i).name}}, p->takes_new(i, now) ? 1 : 0);
    }
  }
  m.family("tandem_pool_panic", "gauge",
           "1 while passive ejection alone left no server and the ejected ones take clients (panic rule).");
  for (const auto& p : gen.pools) m.sample("tandem_pool_panic", {{"pool", p->name()}}, p->in_panic(now) ? 1 : 0);
  m.family("tandem_pool_panics_total", "counter", "Times the pool entered the panic rule.");
  for (const auto& p : gen.pools)
    m.sample("tandem_pool_panics_total", {{"pool", p->name()}}, static_cast<double>(p->panics()));
  m.family("tandem_server_healthy", "gauge", "1 when active health checks pass (or none are configured).");
  for (const auto& p : gen.pools) {
    for (const auto& s : p->servers()) m.sample("tandem_server_healthy", {{"pool", p->name()}, {"server", s->name}}, s->healthy ? 1 : 0);
  }
  m.family("tandem_server_active", "gauge", "Requests or connections in flight to the server.");
  for (const auto& p : gen.pools) {
    for (const auto& s : p->servers()) m.sample("tandem_server_active", {{"pool", p->name()}, {"server", s->name}}, load(s->active));
  }
}

// Per pool and server: counters; per pool: the stick table's size and evictions.
void server_counters(PrometheusText& m, const Generation& gen) {
  struct ServerCounter {
    const char* name;
    const char* help;
    const std::atomic<std::uint64_t> ServerRuntime::*field;
  };
  const ServerCounter server_counters[] = {
      {"tandem_server_requests_total", "Requests or sessions sent to the server.", &ServerRuntime::requests},
      {"tandem_server_failures_total", "Connect errors, resets and timeouts.", &ServerRuntime::failures},
      {"tandem_server_ejections_total", "Passive-check ejections.", &ServerRuntime::ejections},
      {"tandem_server_bytes_in_total", "Body bytes received from the server.", &ServerRuntime::bytes_in},
      {"tandem_server_bytes_out_total", "Body bytes sent to the server.", &ServerRuntime::bytes_out},
      {"tandem_server_tls_handshakes_total", "TLS handshakes with the server (pools with tls).", &ServerRuntime::tls_handshakes},
      {"tandem_server_tls_resumed_total", "TLS handshakes that resumed the server's session.", &ServerRuntime::tls_resumed},
      {"tandem_server_tls_failures_total", "TLS handshakes refused or timed out (untrusted certificate, wrong name).", &ServerRuntime::tls_failures},
  };
  for (const auto& c : server_counters) {
    m.family(c.name, "counter", c.help);
    for (const auto& p : gen.pools) {
      for (const auto& s : p->servers()) m.sample(c.name, {{"pool", p->name()}, {"server", s->name}}, load((*s).*c.field));
    }
  }
  m.family("tandem_stick_entries", "gauge", "Live entries in the pool's stick table.");
  for (const auto& p : gen.pools) {
    if (auto* t = p->stick_table()) m.sample("tandem_stick_entries", {{"pool", p->name()}}, static_cast<double>(t->counters().entries));
  }
  m.family("tandem_stick_evictions_total", "counter", "Stick entries evicted at the size bound (the soonest to expire).");
  for (const auto& p : gen.pools) {
    if (auto* t = p->stick_table()) m.sample("tandem_stick_evictions_total", {{"pool", p->name()}}, static_cast<double>(t->counters().evictions));
  }
}

}  // namespace

std::string render_metrics(const Generation& gen, const ProcessFacts& facts) {
  PrometheusText m;
  process_metrics(m, facts);
  listener_counters(m, gen);
  latency_histograms(m, gen);
  server_gauges(m, gen, Clock::now());
  server_counters(m, gen);
  return m.text();
}

}  // namespace tandem::lb
