// DNS discovery's decisions for one pool (issue 13 item 2; the shell that
// asks c-ares and feeds this is lb/runtime/dns_resolver, see
// docs/discovery.md "DNS"). Pure: answers and the time in, the set to
// balance over and when to ask again out.
//
//  - An A/AAAA answer gives one server per address, on the configured port;
//    an SRV answer one per (target address, port), with the SRV weight
//    (clamped to 1..256), and only the records of the lowest priority value
//    (RFC 2782: higher values are fallbacks).
//  - The next query is due after the answer's smallest TTL, clamped to
//    [min_ttl, max_ttl], so a TTL of 0 does not turn into a query storm and a
//    day-long TTL does not hide a change for a day.
//  - A failure, a timeout or an empty answer (NXDOMAIN, NODATA) keeps the
//    last good set: discovery never empties a pool. It is retried after
//    retry_base, doubling up to retry_max.
//  - Server names are the address, "ip:port" ("2001:db8::1:80" for IPv6, the
//    port after the last colon), so every node names the same server the same
//    way and Maglev picks alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/proto/cluster.pb.h"

namespace tandem::lb {

// One resolved record, as the resolver shell hands it over.
struct DnsRecord {
  std::string address;       // an IPv4 or IPv6 literal, no brackets
  std::uint16_t port = 0;    // SRV: the record's port; A/AAAA: 0 (the configured one)
  std::uint32_t ttl_s = 0;
  std::uint16_t priority = 0;  // SRV only
  std::uint16_t weight = 0;    // SRV only
};

enum class DnsOutcome { answer, empty, failure };

// One server the pool should have.
struct DiscoveredServer {
  std::string name;     // see above
  std::string address;  // "ip:port" / "[ip]:port"
  std::uint32_t weight = 1;
  config::ServerState state = config::READY;  // DNS: always READY; etcd: from the value's "state"
  bool operator==(const DiscoveredServer&) const = default;
};

struct DnsSettings {
  std::uint16_t port = 0;  // A/AAAA records' port
  std::chrono::milliseconds min_ttl{1000};
  std::chrono::milliseconds max_ttl{300000};
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{30000};
};

class DnsSet {
 public:
  using Time = std::chrono::steady_clock::time_point;

  explicit DnsSet(DnsSettings settings) : settings_(settings) {}

  struct Step {
    bool changed = false;  // set() differs from before
    Time next_query{};     // when to ask again
    const char* note = "";  // for the log: "answer", "kept: empty answer", "kept: failure"
  };

  // The answer to the latest query at NOW: OUTCOME with RECORDS (answer only).
  Step on_result(DnsOutcome outcome, const std::vector<DnsRecord>& records, Time now);

  // The set to balance over, sorted by name; empty only before a first answer.
  const std::vector<DiscoveredServer>& set() const { return set_; }
  // Consecutive failures or empty answers since the last good answer.
  std::uint32_t failures() const { return failures_; }

 private:
  DnsSettings settings_;
  std::vector<DiscoveredServer> set_;
  std::uint32_t failures_ = 0;
};

// The server of ADDRESS and PORT as the set names it.
DiscoveredServer discovered_server(const std::string& address, std::uint16_t port, std::uint32_t weight);

}  // namespace tandem::lb
