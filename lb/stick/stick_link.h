// The proxy's end of the stick exchange with the node's agent: what goes out
// over the local channel (common/proto/local_channel.proto) and what comes
// in. The agent's end is ha/sync/proxy_feed.h. AgentLink (lb/agent_link)
// carries the bytes; every decision about them is here:
// - out: the tables' changes (StickTable::drain_changes) in batches; the
//   whole tables (snapshot, then snapshot_end) instead after a change-queue
//   overflow, for a table not seen before (a new pool or a reload), and
//   when asked (a (re)connect);
// - in: entries from the agent, applied to the tables; a full resync with
//   an id is acknowledged (StickApplied) once applied, since the agent's
//   initial-sync gate waits for it.
//
// No Asio, no clock reads: time comes in as `now`. Control thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "common/proto/local_channel.pb.h"
#include "lb/stick/stick_table.h"

namespace tandem::lb {

// Counters of the stick traffic on the link.
struct StickLinkCounters {
  std::uint64_t sent = 0;      // entries sent (changes and snapshots)
  std::uint64_t received = 0;  // entries received from the agent
  std::uint64_t resyncs = 0;   // full snapshots sent
};

// See the file comment.
class StickLink {
 public:
  // Entries per message, clamped to [1, kMaxBatch]: frames to the agent stay
  // far below its 1 MiB cap (entries are a few hundred bytes at most).
  static constexpr std::size_t kMaxBatch = 512;
  explicit StickLink(std::size_t batch);

  // Sends the whole tables next time (a reload).
  void request_full_resync() { full_resync_ = true; }
  // A new connection (perhaps a new agent): the whole tables next time, and
  // snapshot ids start over (they are per agent run).
  void connected() {
    full_resync_ = true;
    applied_snapshot_ = 0;
    acked_ = 0;
  }

  // The messages due now for TABLES (the current generation's).
  std::vector<wire::StickChanges> outgoing(const std::vector<StickTable*>& tables, TimePoint now);

  // A message from the agent: its entries go to APPLY. True when it ended a
  // full resync with an id: take_ack() then has it.
  bool incoming(const wire::StickChanges& changes,
                const std::function<void(const std::vector<wire::StickEntry>&)>& apply);
  // The id of a full resync applied and not yet acknowledged.
  std::optional<std::uint64_t> take_ack();

  const StickLinkCounters& counters() const { return counters_; }

 private:
  void add_snapshot(StickTable& table, TimePoint now, std::vector<wire::StickChanges>& out);
  void add_changes(StickTable& table, TimePoint now, std::vector<wire::StickChanges>& out);

  std::size_t batch_;
  bool full_resync_ = true;
  std::set<const StickTable*> known_tables_;
  std::uint64_t applied_snapshot_ = 0;  // the agent's last full resync in our tables
  std::uint64_t acked_ = 0;             // the last one acknowledged
  StickLinkCounters counters_;
};

}  // namespace tandem::lb
