// The shell around EtcdSet: for each pool with an `etcd` block, ranges the
// key prefix through etcd's JSON gateway, then watches it from the next
// revision, feeds every answer to the pool's EtcdSet and hands the set to
// the proxy (which adopts it as it adopts a DNS answer). A failure (etcd
// down, refused, a broken stream) keeps the last good set and reconnects to
// the next endpoint after a RetryBackoff delay; a reconnect resumes the
// watch from the last revision seen, and ranges again only when etcd says
// that revision was compacted. With the block's `tls`, every endpoint is
// HTTPS (the context built at load by tls::load_upstream_tls).
//
// Why a thread of its own, as DNS has (lb/runtime/dns_resolver): the
// control thread answers the admin listener, runs health checks and builds
// generations; a range of thousands of keys is parsed here, not there, and
// etcd's slowness never delays them. It runs its own io_context (Beast over
// Asio, one coroutine per pool) and talks to the rest through one callback,
// like the resolver. Stopping: the destructor stops that io_context and
// joins.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/proto/cluster.pb.h"
#include "lb/discovery/dns_set.h"
#include "lb/tls/upstream_context.h"

namespace tandem::lb {

struct EtcdTarget {
  std::string pool;
  config::PoolEtcd etcd;
  std::shared_ptr<tls::UpstreamContext> tls;  // set: HTTPS to every endpoint (the block's `tls`)
};

// What a pool's watch knows after an answer.
struct EtcdUpdate {
  std::vector<DiscoveredServer> set;  // never empty
  std::int64_t revision = 0;          // the etcd revision the set reflects
  std::uint64_t refused_keys = 0;     // keys under the prefix whose value is refused
};

class EtcdWatcher {
 public:
  // Called on the watcher's thread when POOL's set or its refused keys
  // change: post it to the thread that owns the configuration.
  using OnUpdate = std::function<void(const std::string& pool, EtcdUpdate update)>;

  EtcdWatcher(std::vector<EtcdTarget> targets, OnUpdate on_update);
  ~EtcdWatcher();
  EtcdWatcher(const EtcdWatcher&) = delete;
  EtcdWatcher& operator=(const EtcdWatcher&) = delete;

  // The pools with an `etcd` block in CLUSTER, with their TLS contexts
  // from TLS (load_upstream_tls's etcd_by_pool).
  static std::vector<EtcdTarget> targets_of(const config::Cluster& cluster, const tls::UpstreamTlsLoad& tls);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::lb
