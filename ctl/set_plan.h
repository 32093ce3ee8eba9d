// lbctl servers add|remove|weight|sync and lbctl export: what to send to
// each node, from what each node reports of a pool's server set. Pure.
//
// Every node's overlay (common/proto/server_set.proto) is a last-writer-wins
// map, so lbctl merges all of them (the most complete set any node has),
// stamps a change with that merge's version + 1, and sends each node the
// entries it lacks plus the change: a node that was down or missed a change
// catches up at the next change, or with `lbctl servers sync`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/proto/server_set.pb.h"
#include "config/proto/cluster.pb.h"

namespace tandem::ctl {

// One node's report of the pool's set (nullopt: unreachable, or no proxy).
struct NodeSet {
  std::string node;
  std::optional<wire::ServerSetReport> set;
};

struct SetChange {
  enum class Kind { add, remove, weight, sync };
  Kind kind = Kind::sync;
  std::string name;
  std::string address;       // add
  std::uint32_t weight = 1;  // add, weight
};

struct NodeSend {
  std::string node;
  std::vector<wire::ServerSetEntry> entries;  // empty: nothing to send (up to date)
};

struct SetPlan {
  std::string error;                 // set: nothing is sent; the operator's message
  std::uint64_t version = 0;         // the pool's version once applied
  wire::PoolOverlay merged;          // every reachable node's overlay merged, with the change
  std::vector<NodeSend> sends;       // reachable nodes, in NODES' order
  std::vector<std::string> unreachable;
};

// The plan for CHANGE to BASE (the pool in the cluster file) given NODES.
SetPlan plan_set_change(const config::Pool& base, const std::vector<NodeSet>& nodes, const SetChange& change);

// Whether the reachable nodes agree on the pool's set: the nodes whose
// digest differs from that of the highest version (of the digest most
// nodes at that version hold, when they differ among themselves); empty:
// agreed.
std::vector<std::string> disagreeing_nodes(const std::vector<NodeSet>& nodes);

// ENTRIES cut into requests of at most config::kMaxChangesPerRequest.
std::vector<std::vector<wire::ServerSetEntry>> batches(const std::vector<wire::ServerSetEntry>& entries);

}  // namespace tandem::ctl
