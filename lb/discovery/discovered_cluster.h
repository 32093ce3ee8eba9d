// Where DNS answers and etcd keys meet the configuration: a pool's `dns`
// or `etcd` block as the settings its discovery decides with, and the
// cluster the proxy runs once pools have discovered servers. Pure.
//
// A pool with a discovered set balances over exactly that set: the file's
// servers (and the runtime overlay's, docs/discovery.md) are only what it
// starts with until the first good answer. One source of truth per pool
// keeps "which servers does web have" answerable; mixing both would make a
// server removed from DNS come back from the file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/proto/cluster.pb.h"
#include "lb/discovery/dns_set.h"

namespace tandem::lb {

// Discovered servers by pool name; a pool without an entry (or an empty
// one) keeps its configured servers. The same for DNS and etcd pools: one
// adopt path (Proxy::adopt_discovered).
using DiscoveredSets = std::map<std::string, std::vector<DiscoveredServer>>;

// DNS's settings of DNS: defaults filled in (min_ttl 1 s, max_ttl 300 s).
// Failures are retried from min_ttl, doubling up to 30 s (or max_ttl when
// lower), so a resolver back from an outage is used again soon.
DnsSettings dns_settings(const config::PoolDns& dns);

// One query's timeout (default 2 s).
std::chrono::milliseconds dns_timeout(const config::PoolDns& dns);

// Where a pool's servers come from: "dns", "etcd", or "" (the file and
// the runtime overlay).
std::string discovery_source(const config::Pool& pool);

// An etcd pool's reconnect delays (defaults: from 500 ms, doubling up to
// 10 s) and its connect and range timeout (default 2 s).
std::chrono::milliseconds etcd_retry_min(const config::PoolEtcd& etcd);
std::chrono::milliseconds etcd_retry_max(const config::PoolEtcd& etcd);
std::chrono::milliseconds etcd_timeout(const config::PoolEtcd& etcd);

// 16 hex digits (FNV-1a 64) over SET's (name, address, weight, state), in
// order: two nodes with the same digest balance over the same servers.
std::string discovered_digest(const std::vector<DiscoveredServer>& set);

// CLUSTER with the servers of every pool in SETS replaced by its set, in
// the set's (name) order: weight and state from the answer (DNS: READY).
config::Cluster with_discovered(const config::Cluster& cluster, const DiscoveredSets& sets);

// Drops from SETS what no longer applies to CLUSTER: pools that are gone
// or have no `dns` or `etcd` block. Used at a reload.
void forget_undiscovered(DiscoveredSets& sets, const config::Cluster& cluster);

}  // namespace tandem::lb
