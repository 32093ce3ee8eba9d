// Small pure pieces of peer sync that the I/O shell (ha/sync/stick_sync.h)
// drives: reconnect backoff, the lag statistics, and the initial-sync gate
// that keeps a freshly started node from claiming MASTER before it has the
// cluster's table. No sockets, no clock reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tandem::ha::sync {

using TimePoint = std::chrono::steady_clock::time_point;
using Milliseconds = std::chrono::milliseconds;

// Reconnect delays: FIRST, doubling up to MAX; reset() after a connection
// that completed its handshake. JITTER01 (0..1, injected) spreads the delay
// over 75%..100% so peers restarted together do not dial in lockstep.
class Backoff {
 public:
  Backoff(Milliseconds first, Milliseconds max) : first_(first), max_(max), next_(first) {}
  Milliseconds next(double jitter01);
  void reset() { next_ = first_; }

 private:
  Milliseconds first_, max_, next_;
};

// Sync lag samples (the last CAPACITY), in ms, with quantiles.
// Lag of one change: from the moment it was queued on the sending agent to
// the moment that agent received the peer's acknowledgement of the batch
// carrying it (the peer acks after applying). Both ends are read on the
// sender's own clock, so clocks need not agree; it includes the flush
// interval and one network round trip.
class LagStats {
 public:
  explicit LagStats(std::size_t capacity = 4096) : capacity_(capacity) {}
  void add(double ms);
  // The Q quantile (0..1) of the samples held; 0 when there are none.
  double quantile(double q) const;
  std::uint64_t count() const { return count_; }

 private:
  std::size_t capacity_;
  std::vector<double> ring_;
  std::size_t next_ = 0;
  std::uint64_t count_ = 0;
};

// The initial-sync gate. A node that starts must not become MASTER with an
// empty table while a peer holds the cluster's: the gate stays closed until
// every peer has either delivered a complete snapshot or been found not to
// run an agent (its sync port refused us), or until DEADLINE (peers that do
// not answer at all: a host down, a partition). SyncEligibility
// (ha/sync/sync_eligibility.h) builds the whole rule on it.
class InitialSyncGate {
 public:
  InitialSyncGate(std::set<std::string> peers, TimePoint deadline);

  void snapshot_complete(const std::string& peer) { settle(peer, "snapshot received"); }
  void peer_absent(const std::string& peer) { settle(peer, "no agent listening"); }

  // True once open (it never closes again). Open at NOW when every peer is
  // settled or NOW >= deadline.
  bool open(TimePoint now) const;
  // Why it is (still) closed or why it opened, for logs and status.
  std::string describe(TimePoint now) const;
  std::optional<TimePoint> deadline() const { return deadline_; }
  // The peers not settled yet.
  std::vector<std::string> waiting() const;

 private:
  void settle(const std::string& peer, const char* how);
  std::map<std::string, std::string> peers_;  // peer -> how it settled ("" = waiting)
  TimePoint deadline_;
};

}  // namespace tandem::ha::sync
