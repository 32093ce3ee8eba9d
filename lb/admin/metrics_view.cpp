#include "lb/admin/metrics_view.h"

#include "common/prometheus_text.h"
#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

namespace {

double load(const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }
double load(const std::atomic<std::int64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

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
  const Counter counters[] = {
      {"tandem_connections_total", "Client connections accepted.", &ListenerStats::connections},
      {"tandem_requests_total", "Requests (HTTP) or sessions (TCP) received.", &ListenerStats::requests},
      {"tandem_bytes_in_total", "Bytes received from clients.", &ListenerStats::bytes_in},
      {"tandem_bytes_out_total", "Bytes sent to clients.", &ListenerStats::bytes_out},
      {"tandem_retries_total", "Connection attempts retried on another server.", &ListenerStats::retries},
      {"tandem_accept_paused_total", "Times accepting paused at max_connections.", &ListenerStats::accept_paused},
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

// Per listener: the request duration histogram.
void latency_histograms(PrometheusText& m, const Generation& gen) {
  m.family("tandem_request_duration_seconds", "histogram", "Time from request header to end of response.");
  for (const auto& l : gen.listeners) {
    std::uint64_t cumulative = 0;
    char bound[32];
    for (std::size_t i = 0; i <= LatencyHistogram::kBoundsSeconds.size(); ++i) {
      cumulative += l->stats->latency.bucket(i);
      if (i < LatencyHistogram::kBoundsSeconds.size()) {
        std::snprintf(bound, sizeof bound, "%g", LatencyHistogram::kBoundsSeconds[i]);
      } else {
        std::snprintf(bound, sizeof bound, "+Inf");
      }
      m.sample("tandem_request_duration_seconds_bucket", {{"listener", l->config.name()}, {"le", bound}},
               static_cast<double>(cumulative));
    }
    m.sample("tandem_request_duration_seconds_sum", {{"listener", l->config.name()}}, l->stats->latency.sum_seconds());
    m.sample("tandem_request_duration_seconds_count", {{"listener", l->config.name()}}, static_cast<double>(cumulative));
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
