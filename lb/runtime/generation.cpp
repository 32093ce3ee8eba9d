#include "lb/runtime/generation.h"

#include "common/address.h"
#include "config/loader.h"

namespace tandem::lb {

std::shared_ptr<PoolRuntime> Generation::pool(const std::string& name) const {
  for (const auto& p : pools) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

void retire_missing_servers(const Generation& old, const Generation& next) {
  for (const auto& pool : old.pools) {
    const auto kept = next.pool(pool->name());
    bool retired = false;
    for (ServerIndex i = 0; i < pool->servers().size(); ++i) {
      auto& s = pool->server(i);
      const int j = kept ? kept->find(s.name) : -1;
      if (j >= 0 && kept->server(static_cast<ServerIndex>(j)).address == s.address) continue;
      if (s.admin_state.exchange(config::MAINTENANCE) != config::MAINTENANCE) retired = true;
    }
    if (retired) pool->bump();
  }
}

std::shared_ptr<Generation> build_generation(const config::Cluster& cluster, const std::string& node,
                                             const Generation* previous, std::uint64_t id) {
  auto gen = std::make_shared<Generation>();
  gen->id = id;
  gen->cluster = cluster;
  gen->node = *config::find_node(cluster, node);
  for (const auto& p : cluster.pools()) {
    auto pool = std::make_shared<PoolRuntime>(p, node);
    if (previous) {
      if (auto old = previous->pool(p.name())) pool->inherit(*old);
    }
    gen->pools.push_back(std::move(pool));
  }
  for (const auto& l : cluster.listeners()) {
    auto lr = std::make_shared<ListenerRuntime>();
    lr->config = l;
    lr->bind = config::effective_bind(gen->node, l);
    std::string error;
    auto hp = parse_host_port(lr->bind, error);
    lr->endpoint = boost::asio::ip::tcp::endpoint(hp->address, hp->port);
    lr->timeouts = config::effective_timeouts(cluster, l);
    lr->limits = config::effective_http_limits(cluster, l);
    lr->http2 = config::effective_http2(cluster, l);
    lr->max_connections = config::effective_max_connections(cluster, l);
    lr->forwarded_headers = !l.has_forwarded_headers() || l.forwarded_headers();
    if (l.has_accept_proxy()) {
      lr->proxy_trust = proxy_protocol::TrustedSources::parse(
          {l.accept_proxy().trusted_sources().begin(), l.accept_proxy().trusted_sources().end()}, error);
      if (l.accept_proxy().header_timeout_ms()) {
        lr->proxy_header_timeout = std::chrono::milliseconds(l.accept_proxy().header_timeout_ms());
      }
    }
    lr->pool = gen->pool(l.pool());
    if (previous) {
      for (const auto& old : previous->listeners) {
        if (old->config.name() == l.name()) lr->stats = old->stats;
      }
    }
    if (!lr->stats) lr->stats = std::make_shared<ListenerStats>();
    gen->listeners.push_back(std::move(lr));
  }
  return gen;
}

}  // namespace tandem::lb
