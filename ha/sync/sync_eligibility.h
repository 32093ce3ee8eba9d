// Whether stick sync lets this node become MASTER. Pure: events in, a
// verdict out; time comes in as `now`.
//
// THE RULE (written here and nowhere else; the agent maps the verdict onto
// its tracks; config/proto/cluster.proto points here):
//
//   A node that starts must not take clients while a peer holds the
//   cluster's stick table and the node's own proxy does not.
//
//   1. kWaiting, from start: the fault-mode track "sync" fails, so the node
//      stays FAULT and never claims. It lasts until
//        (a) every peer has delivered a complete snapshot, or was found not
//            to run an agent (its sync port refused us), and
//        (b) the local proxy has acknowledged (StickApplied) a full resync
//            of the agent's table that was sent after (a) held. (b) applies
//            only when the node runs a proxy link, has sticky pools and a
//            peer actually sent a snapshot: otherwise there is nothing to
//            hand over.
//      or until the deadline (start + 3 s: StickSyncSettings::initial_sync_timeout).
//   2. kEligible once (a) and (b) hold. It never goes back.
//   3. kLastResort when the deadline passed first (a peer that does not
//      answer: a partition, a host down, a snapshot cut off). The node may
//      leave FAULT, but with the lowest priority there is (the weight track
//      "sync_table" lowers it to 1), so it claims only when no peer holding
//      a table is there to. After the deadline one complete snapshot is
//      enough for (a) (each peer holds the merged cluster table): once it
//      and (b) hold, the node is kEligible at its own priority.
//
// A peer configured at priority 1 ties with a node in last resort; the
// address then decides (RFC 5798). Do not configure priority 1.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "ha/sync/peer_state.h"

namespace tandem::ha::sync {

// See the file comment.
enum class Eligibility : std::uint8_t { kWaiting, kLastResort, kEligible };

// "waiting", "last_resort", "eligible".
const char* to_string(Eligibility e);

// See the file comment.
class SyncEligibility {
 public:
  // PEERS: every other node. PROXY_LINK: the node hands its table to a local
  // proxy (has a local channel and sticky pools). DEADLINE: start + timeout.
  SyncEligibility(std::set<std::string> peers, bool proxy_link, TimePoint deadline);

  // A peer's snapshot ended (snapshot_end).
  void snapshot_complete(const std::string& peer);
  // A peer's sync port refused us: no agent there, no table to wait for.
  void peer_absent(const std::string& peer);
  // The agent sent its whole table to the proxy as full resync ID (ids grow).
  void proxy_snapshot_sent(std::uint64_t id, TimePoint now);
  // The proxy reported full resync ID applied.
  void proxy_applied(std::uint64_t id);

  // The agent must send its whole table to the proxy now: the table is
  // ready (a) and no resync went out since.
  bool proxy_snapshot_due(TimePoint now) const;

  // The verdict at NOW; kEligible, once returned, is final (a peer that
  // turns up later with a snapshot does not close the gate again).
  Eligibility update(TimePoint now);
  // The verdict update() would return at NOW, without latching it.
  Eligibility verdict(TimePoint now) const;
  // Why, for logs and status: each peer, the proxy, the deadline.
  std::string describe(TimePoint now) const;

  const InitialSyncGate& peers() const { return gate_; }

 private:
  bool table_ready(TimePoint now) const;
  bool proxy_needed() const { return proxy_link_ && snapshots_ > 0; }
  bool proxy_holds_table() const;

  InitialSyncGate gate_;
  bool proxy_link_;
  std::size_t snapshots_ = 0;                  // complete snapshots received
  std::optional<std::uint64_t> wanted_;        // first resync sent with the table ready
  std::uint64_t applied_ = 0;                  // highest resync the proxy applied
  bool eligible_ = false;                      // latched by update()
};

}  // namespace tandem::ha::sync
