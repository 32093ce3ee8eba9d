#include "lb/discovery/discovered_cluster.h"

#include <algorithm>

namespace tandem::lb {

DnsSettings dns_settings(const config::PoolDns& dns) {
  DnsSettings s;
  s.port = static_cast<std::uint16_t>(dns.type() == config::PoolDns::SRV ? 0 : dns.port());
  s.min_ttl = std::chrono::milliseconds(dns.min_ttl_ms() ? dns.min_ttl_ms() : 1000);
  s.max_ttl = std::chrono::milliseconds(dns.max_ttl_ms() ? dns.max_ttl_ms() : 300000);
  s.retry_base = s.min_ttl;
  s.retry_max = std::max(s.min_ttl, std::min(s.max_ttl, std::chrono::milliseconds(30000)));
  return s;
}

std::chrono::milliseconds dns_timeout(const config::PoolDns& dns) {
  return std::chrono::milliseconds(dns.timeout_ms() ? dns.timeout_ms() : 2000);
}

config::Cluster with_discovered(const config::Cluster& cluster, const DiscoveredSets& sets) {
  config::Cluster out = cluster;
  for (auto& pool : *out.mutable_pools()) {
    const auto it = sets.find(pool.name());
    if (!pool.has_dns() || it == sets.end() || it->second.empty()) continue;
    pool.clear_servers();
    for (const auto& d : it->second) {
      auto* s = pool.add_servers();
      s->set_name(d.name);
      s->set_address(d.address);
      s->set_weight(d.weight);
    }
  }
  return out;
}

void forget_undiscovered(DiscoveredSets& sets, const config::Cluster& cluster) {
  std::erase_if(sets, [&](const auto& entry) {
    for (const auto& pool : cluster.pools())
      if (pool.name() == entry.first) return !pool.has_dns();
    return true;
  });
}

}  // namespace tandem::lb
