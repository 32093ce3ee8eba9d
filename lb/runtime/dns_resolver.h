// The shell around DnsSet: asks DNS for each discovering pool with c-ares,
// feeds the answers to the pool's DnsSet, and hands a changed set to the
// proxy (which builds the next generation from it, as a runtime server
// change does).
//
// Why a thread of its own: c-ares runs its own event loop (ares_fds /
// ares_timeout / ares_process over its sockets and retry timers). Driving it
// from the asio control loop would mean wrapping every socket c-ares opens
// and closes in asio descriptors; a worker loop must never wait on DNS. A
// dedicated thread runs c-ares as it is designed to be run, does nothing
// but DNS (a few queries per TTL), and talks to the rest through one
// callback. Stopping: the destructor wakes it through a pipe and joins.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/proto/cluster.pb.h"
#include "lb/discovery/dns_set.h"

namespace tandem::lb {

struct DnsTarget {
  std::string pool;
  config::PoolDns dns;
};

class DnsResolver {
 public:
  // Called on the resolver thread with POOL's new set (never empty): post
  // it to the thread that owns the configuration.
  using OnChange = std::function<void(const std::string& pool, std::vector<DiscoveredServer> set)>;

  // Starts asking for every target at once. Throws when c-ares cannot be
  // set up (the message says which pool and why).
  DnsResolver(std::vector<DnsTarget> targets, OnChange on_change);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // The pools with a `dns` block in CLUSTER.
  static std::vector<DnsTarget> targets_of(const config::Cluster& cluster);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::lb
