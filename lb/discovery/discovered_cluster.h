// Where DNS answers meet the configuration: a pool's `dns` block as the
// settings DnsSet decides with, and the cluster the proxy runs once pools
// have discovered servers. Pure.
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
// one) keeps its configured servers.
using DiscoveredSets = std::map<std::string, std::vector<DiscoveredServer>>;

// DNS's settings of DNS: defaults filled in (min_ttl 1 s, max_ttl 300 s).
// Failures are retried from min_ttl, doubling up to 30 s (or max_ttl when
// lower), so a resolver back from an outage is used again soon.
DnsSettings dns_settings(const config::PoolDns& dns);

// One query's timeout (default 2 s).
std::chrono::milliseconds dns_timeout(const config::PoolDns& dns);

// CLUSTER with the servers of every pool in SETS replaced by its set, in
// the set's (name) order: weight from the answer, state READY.
config::Cluster with_discovered(const config::Cluster& cluster, const DiscoveredSets& sets);

// Drops from SETS what no longer applies to CLUSTER: pools that are gone
// or have no `dns` block. Used at a reload.
void forget_undiscovered(DiscoveredSets& sets, const config::Cluster& cluster);

}  // namespace tandem::lb
