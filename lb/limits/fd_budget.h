// How many file descriptors lb-proxy needs, and what to set RLIMIT_NOFILE's
// soft limit to. Pure: the process root reads the limits, calls plan_fd_limit
// and applies the plan (lb/proxy.cpp).
//
// The rule is HAProxy's maxsock: two descriptors per client connection a
// listener admits (the client's and its server's; an idle pooled server
// connection is one a client used before, so it stays within the two), plus
// each worker's listening sockets, plus a reserve for everything else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::lb::limits {

// Descriptors outside the connections: the admin listener and its clients,
// one health check per server at a time (counted apart), the agent link,
// the access log, the DNS resolver, and each worker's epoll and eventfd.
inline constexpr std::uint64_t kReserveDescriptors = 64;

struct FdDemand {
  std::vector<std::uint32_t> listener_max_connections;  // each listener's effective max_connections (per node)
  std::uint64_t servers = 0;                            // servers in all pools (a health check each)
  unsigned workers = 1;                                 // each binds every listener (SO_REUSEPORT)
};

// The descriptors DEMAND needs at most.
std::uint64_t descriptors_needed(const FdDemand& demand);

// Client connections a limit of LIMIT descriptors carries with DEMAND's
// listeners, servers and workers (two descriptors each).
std::uint64_t connections_within(std::uint64_t limit, const FdDemand& demand);

// What to do with RLIMIT_NOFILE. Unlimited is represented by kUnlimited.
inline constexpr std::uint64_t kUnlimited = ~std::uint64_t{0};

struct FdLimitPlan {
  std::uint64_t soft_before = 0;
  std::uint64_t hard = 0;
  std::uint64_t soft = 0;          // what the soft limit is to become (>= soft_before)
  std::uint64_t needed = 0;        // descriptors_needed(demand)
  std::uint64_t connections = 0;   // client connections SOFT carries
  bool enough = false;             // soft >= needed
  bool raise() const { return soft > soft_before; }
  // The warning when !enough, telling the operator what to change.
  std::string shortfall() const;
};

// Raises the soft limit to the hard one, as the kernel allows an
// unprivileged process: descriptors cost nothing until used, and a proxy
// that runs out refuses clients it was configured for. An unlimited hard
// limit is taken as NR_OPEN (fs.nr_open, the kernel's per-process ceiling,
// which setrlimit cannot exceed).
FdLimitPlan plan_fd_limit(const FdDemand& demand, std::uint64_t soft, std::uint64_t hard, std::uint64_t nr_open);

}  // namespace tandem::lb::limits
