// A pool's server set: the servers of the cluster file (the base) with the
// runtime changes of its overlay (common/proto/server_set.proto) applied.
// Pure: the same base and overlay give the same set, in the same order, on
// every node, so Maglev (lb/balance/maglev.h) picks the same server
// everywhere.
//
// The rule, for people (docs/discovery.md):
//  - The overlay holds one entry per server name: the server (name,
//    address, weight) or a tombstone (removed). An entry replaces the base
//    server of that name in place; a new name is appended, new names in
//    name order. A tombstone removes the base server of that name.
//  - Merging entries is last-writer-wins per name on the revision (the
//    pool version the change made); equal revisions with different content
//    keep the larger one (removed, then address, then weight), so the
//    result does not depend on the order entries arrive in.
//  - The pool's set version is the overlay's highest revision (0: the file
//    alone); its digest covers the effective (name, address, weight) list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/proto/server_set.pb.h"
#include "config/proto/cluster.pb.h"

namespace tandem::config {

// Upper bounds for what comes from outside (an admin request, a file).
inline constexpr std::size_t kMaxServerNameBytes = 128;
inline constexpr std::uint32_t kMaxServerWeight = 256;

// What is wrong with ENTRY as a change, for the operator; empty when fine:
// a name of [A-Za-z0-9._:-], an "ip:port" address with a port, a weight of
// 1..256, a revision >= 1; a removal carries only name and revision.
std::string entry_problem(const wire::ServerSetEntry& entry);

// True when A wins over B for the same name (higher revision; on a tie the
// larger content, so every node settles the same way).
bool entry_wins(const wire::ServerSetEntry& a, const wire::ServerSetEntry& b);

struct MergeOutcome {
  std::size_t applied = 0;  // entries that changed the overlay
  std::size_t stale = 0;    // entries older than (or equal to) what it had
};

// Merges ENTRIES (already checked with entry_problem) into OVERLAY, last
// writer wins per name; OVERLAY's entries stay sorted by name.
MergeOutcome merge_entries(wire::PoolOverlay& overlay, const std::vector<wire::ServerSetEntry>& entries);

// The highest revision in OVERLAY; 0 when it is empty.
std::uint64_t overlay_version(const wire::PoolOverlay& overlay);

// OVERLAY's entries with a revision above VERSION: what a node at VERSION
// lacks (it may also lack none of them, when it merged them otherwise).
std::vector<wire::ServerSetEntry> entries_after(const wire::PoolOverlay& overlay, std::uint64_t version);

// REMOTE's entries that would change LOCAL (null: empty) if merged: a name
// LOCAL lacks, or an entry that wins over LOCAL's (entry_wins). What a node
// at LOCAL should take from a peer at REMOTE; empty: nothing to learn.
std::vector<wire::ServerSetEntry> entries_winning(const wire::PoolOverlay* local, const wire::PoolOverlay& remote);

// The effective servers of BASE under OVERLAY (null: none), in the order
// described above. An overlay server keeps the base server's other fields
// (state) when it replaces one.
std::vector<Server> effective_servers(const Pool& base, const wire::PoolOverlay* overlay);

// 16 hex digits (FNV-1a 64) over the (name, address, weight) of SERVERS in
// order: two nodes with the same digest balance over the same set.
std::string set_digest(const std::vector<Server>& servers);

// What changed between two sets, by name.
struct SetDiff {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;  // address or weight
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};
SetDiff diff_sets(const std::vector<Server>& before, const std::vector<Server>& after);

// OVERLAY's entry list for POOL, or null.
const wire::PoolOverlay* find_pool_overlay(const wire::ServerOverlay& overlay, const std::string& pool);
// OVERLAY's entry list for POOL, created (in pool-name order) when absent.
wire::PoolOverlay& pool_overlay(wire::ServerOverlay& overlay, const std::string& pool);

// CLUSTER with every pool's servers replaced by its effective set. Overlay
// pools the cluster file does not have are ignored (kept in the overlay).
Cluster apply_overlay(const Cluster& cluster, const wire::ServerOverlay& overlay);

// The report of POOL's set under OVERLAY (version, digest, entries).
wire::ServerSetReport set_report(const Pool& base, const wire::PoolOverlay* overlay);

}  // namespace tandem::config
