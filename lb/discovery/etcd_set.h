// etcd discovery's decisions for one pool (issue 13 item 3; the shell is
// lb/runtime/etcd_watcher, see docs/discovery.md "etcd"). Pure: a range
// answer and watch messages in, the set to balance over and whether to
// range again out.
//
//  - Each key PREFIX + NAME is a server named NAME, with a JSON value
//    {"address": "ip:port", "weight": 1..256, "state": "enabled" | "drain" |
//    "disabled"} (weight 1 and enabled by default; other fields ignored).
//  - A value that is not that is refused: the key is no server, counted and
//    reported ("KEY: why") for the log. The set is a function of the keys
//    alone, not of which values a node saw before, so every node that saw
//    the same revision has the same set.
//  - No usable key (all deleted, all refused) keeps the last good set:
//    etcd discovery never empties a pool. Before any usable key the set is
//    empty and the pool keeps its servers from the file.
//  - A range replaces everything; watch events apply in revision order,
//    and an event at or below the revision already applied is skipped
//    (a watch resumed from an older revision repeats nothing).
//  - A watch canceled by etcd (its start revision compacted, or any other
//    reason) or one whose store revision went back (etcd restored from a
//    backup, a new cluster) means: range again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb/discovery/dns_set.h"
#include "lb/discovery/etcd_wire.h"

namespace tandem::lb {

// The server a key's VALUE describes, named NAME; nullopt with WHY set when
// the value is refused.
std::optional<DiscoveredServer> etcd_server(const std::string& name, std::string_view value, std::string& why);

class EtcdSet {
 public:
  explicit EtcdSet(std::string prefix) : prefix_(std::move(prefix)) {}

  struct Step {
    bool changed = false;               // set() differs from before
    bool rerange = false;               // the watch is over: range again
    std::vector<std::string> refused;   // "KEY: why", one per value refused by this step
    std::string note;                   // for the log: why the set was kept, why to range again
  };

  // A whole range answer: the keys under the prefix at RANGE.revision.
  // A range with `more` (over kMaxEtcdKeys keys) is refused: the set is
  // kept and the step says why (rerange stays false: the caller backs off).
  Step on_range(const EtcdRange& range);
  // One message of the watch stream.
  Step on_watch(const EtcdWatchMessage& message);

  // The set to balance over, sorted by name; empty only before a first
  // usable key.
  const std::vector<DiscoveredServer>& set() const { return set_; }
  // The store revision the keys reflect: watch from revision() + 1. 0
  // before the first range.
  std::int64_t revision() const { return revision_; }
  // Keys under the prefix now whose value is refused.
  std::size_t refused_keys() const;
  // Values refused since start (each PUT of a bad value counts).
  std::uint64_t refused_total() const { return refused_total_; }
  // True when no key is usable and set() is the last good set.
  bool keeping() const { return keeping_; }

 private:
  void put(const EtcdKv& kv, Step& step);
  void settle(Step& step);

  std::string prefix_;
  std::map<std::string, std::optional<DiscoveredServer>> keys_;  // by key; nullopt: refused
  std::vector<DiscoveredServer> set_;
  std::int64_t revision_ = 0;
  std::uint64_t refused_total_ = 0;
  bool keeping_ = false;
};

}  // namespace tandem::lb
