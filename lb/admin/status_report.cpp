#include "lb/admin/status_report.h"

#include "lb/balance/registry.h"

namespace tandem::lb {

namespace {

wire::ListenerMode mode_of(config::Mode m) {
  return m == config::TCP ? wire::LISTENER_MODE_TCP : wire::LISTENER_MODE_HTTP;
}

wire::ServerAdminState admin_state_of(config::ServerState s) {
  switch (s) {
    case config::READY: return wire::SERVER_ADMIN_READY;
    case config::DRAIN: return wire::SERVER_ADMIN_DRAIN;
    case config::MAINTENANCE: return wire::SERVER_ADMIN_MAINTENANCE;
    default: return wire::SERVER_ADMIN_STATE_UNSPECIFIED;
  }
}

void add_listener(const ListenerRuntime& l, wire::ProxyStatusReport& out) {
  auto& o = *out.add_listeners();
  o.set_name(l.config.name());
  o.set_bind(l.bind);
  o.set_mode(mode_of(l.config.mode()));
  o.set_pool(l.config.pool());
  o.set_active(l.stats->active.load());
  o.set_requests(l.stats->requests.load());
  o.set_max_connections(l.max_connections);
}

void add_pool(const PoolRuntime& p, SteadyTime now, const ProcessFacts& facts, wire::ProxyStatusReport& out) {
  auto& po = *out.add_pools();
  po.set_name(p.name());
  po.set_algorithm(std::string(algorithm_name(p.config().algorithm())));
  std::uint32_t up = 0;
  for (ServerIndex i = 0; i < p.servers().size(); ++i) {
    const auto& s = p.server(i);
    const auto cond = p.condition(i, now);
    const bool takes_new = p.takes_new(i, now);
    auto& so = *po.add_servers();
    so.set_name(s.name);
    so.set_address(s.address);
    so.set_weight(s.weight);
    so.set_admin_state(admin_state_of(cond.admin));
    so.set_health(cond.healthy ? wire::SERVER_HEALTH_UP : wire::SERVER_HEALTH_DOWN);
    so.set_ejected(cond.ejected);
    so.set_takes_new(takes_new);
    so.set_active(s.active.load());
    so.set_requests(s.requests.load());
    so.set_failures(s.failures.load());
    so.set_ejections(s.ejections.load());
    so.set_check_cause(s.check_cause);
    if (takes_new) ++up;
  }
  po.set_servers_up(up);
  po.set_panic(p.in_panic(now));
  if (auto* t = p.stick_table()) po.set_stick_entries(t->counters().entries);
  if (const auto it = facts.server_sets.find(p.name()); it != facts.server_sets.end())
    *po.mutable_server_set() = it->second;
}

}  // namespace

wire::ProxyStatusReport status_report(const Generation& gen, const ProcessFacts& facts, SteadyTime now) {
  wire::ProxyStatusReport out;
  out.set_node(facts.node);
  out.set_cluster(gen.cluster.name());
  out.set_workers(facts.workers);
  out.set_generation(gen.id);
  out.set_draining(facts.draining);
  out.set_open_connections(facts.open_connections);
  out.set_fd_limit(facts.fd_limit);
  out.set_fds_needed(facts.fds_needed);
  for (const auto& l : gen.listeners) add_listener(*l, out);
  for (const auto& p : gen.pools) add_pool(*p, now, facts, out);
  return out;
}

std::optional<wire::StickTableReport> stick_report(const Generation& gen, const std::string& pool_name,
                                                   SteadyTime now) {
  auto pool = gen.pool(pool_name);
  if (!pool) return std::nullopt;
  wire::StickTableReport out;
  out.set_pool(pool_name);
  if (auto* t = pool->stick_table()) {
    for (const auto& e : t->list(now)) {
      auto& o = *out.add_entries();
      o.set_key(e.key());
      o.set_server(e.server());
      o.set_ttl_remaining_ms(e.ttl_remaining_ms());
      o.set_origin(e.origin());
    }
  }
  return out;
}

}  // namespace tandem::lb
