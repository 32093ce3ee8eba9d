// The proxy's server sets: the cluster file as loaded (the base), the
// node's overlay of runtime changes (config/server_set), and the overlay
// file they persist to. It answers a change request with the merged cluster
// to build the next generation from, or with why not; the overlay file is
// written before the change is applied, so an applied change survives a
// restart. Control thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/server_set.pb.h"
#include "config/loader.h"
#include "config/server_set/server_set.h"

namespace tandem::lb {

class ServerSetStore {
 public:
  // BASE as loaded from the file, OVERLAY as loaded from OVERLAY_PATH.
  ServerSetStore(config::Cluster base, wire::ServerOverlay overlay, std::string overlay_path);

  // Loads the overlay of NODE for the cluster file at CLUSTER_PATH (already
  // loaded as BASE) and checks the merge; problems for the operator.
  static std::optional<ServerSetStore> load(const config::Cluster& base, const std::string& node,
                                            const std::string& cluster_path, std::vector<config::Problem>& problems);

  // The cluster the proxy runs: the base with every pool's overlay applied.
  const config::Cluster& merged() const { return merged_; }
  const config::Cluster& base() const { return base_; }
  const wire::ServerOverlay& overlay() const { return overlay_; }
  const std::string& overlay_path() const { return overlay_path_; }

  // POOL's set: version, digest and overlay entries (for /status).
  wire::ServerSetReport report(const std::string& pool) const;

  struct ChangeResult {
    unsigned status = 200;           // HTTP status of the admin reply
    std::string body;                // what happened, for the operator
    bool changed = false;            // merged() moved: build a new generation
    config::SetDiff diff;            // when changed
  };
  // Applies the changes of QUERY (config/server_set/change_query.h) to POOL:
  // parse, merge, validate the merged cluster, persist, then adopt.
  ChangeResult change(const std::string& pool, std::string_view query);
  // Merges ENTRIES (learned from peers through the agent, or parsed from a
  // query) into POOL's overlay the same way: checked, merged last writer
  // wins, the merged cluster validated, persisted, then adopted.
  ChangeResult merge(const std::string& pool, const std::vector<wire::ServerSetEntry>& entries);

  // Catching up with peers (ha/sync/overlay_catch_up.h). What this node
  // offers them: every pool that takes runtime changes (not DNS or etcd),
  // with the digest of its servers in the file (base_digest) and its
  // entries, if any.
  wire::ServerOverlay shared_overlay() const;
  // Entries peers hold for one pool: merged as a change when the pool takes
  // runtime changes and its file servers have the same digest, else 409.
  ChangeResult learn(const wire::PoolOverlay& from_peers);

 private:
  config::Cluster base_;
  wire::ServerOverlay overlay_;
  std::string overlay_path_;
  config::Cluster merged_;
};

}  // namespace tandem::lb
