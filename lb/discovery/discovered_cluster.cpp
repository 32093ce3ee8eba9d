#include "lb/discovery/discovered_cluster.h"

#include <algorithm>
#include <cstdio>

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

std::string discovery_source(const config::Pool& pool) {
  return pool.has_dns() ? "dns" : pool.has_etcd() ? "etcd" : "";
}

std::chrono::milliseconds etcd_retry_min(const config::PoolEtcd& etcd) {
  return std::chrono::milliseconds(etcd.retry_min_ms() ? etcd.retry_min_ms() : 500);
}

std::chrono::milliseconds etcd_retry_max(const config::PoolEtcd& etcd) {
  return std::max(etcd_retry_min(etcd), std::chrono::milliseconds(etcd.retry_max_ms() ? etcd.retry_max_ms() : 10000));
}

std::chrono::milliseconds etcd_timeout(const config::PoolEtcd& etcd) {
  return std::chrono::milliseconds(etcd.timeout_ms() ? etcd.timeout_ms() : 2000);
}

std::string discovered_digest(const std::vector<DiscoveredServer>& set) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&](std::string_view bytes) {
    for (const char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // a separator no field holds, so ("ab","c") differs from ("a","bc")
    h *= 1099511628211ull;
  };
  for (const auto& s : set) {
    mix(s.name);
    mix(s.address);
    mix(std::to_string(s.weight));
    mix(std::to_string(static_cast<int>(s.state)));
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

config::Cluster with_discovered(const config::Cluster& cluster, const DiscoveredSets& sets) {
  config::Cluster out = cluster;
  for (auto& pool : *out.mutable_pools()) {
    const auto it = sets.find(pool.name());
    if (discovery_source(pool).empty() || it == sets.end() || it->second.empty()) continue;
    pool.clear_servers();
    for (const auto& d : it->second) {
      auto* s = pool.add_servers();
      s->set_name(d.name);
      s->set_address(d.address);
      s->set_weight(d.weight);
      s->set_state(d.state);
    }
  }
  return out;
}

void forget_undiscovered(DiscoveredSets& sets, const config::Cluster& cluster) {
  std::erase_if(sets, [&](const auto& entry) {
    for (const auto& pool : cluster.pools())
      if (pool.name() == entry.first) return discovery_source(pool).empty();
    return true;
  });
}

}  // namespace tandem::lb
