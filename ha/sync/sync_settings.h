// What stick sync needs from the cluster file (`sync { ... }`, the nodes and
// the pools with table stickiness), defaults applied.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "config/proto/cluster.pb.h"
#include "ha/sync/stick_store.h"

namespace tandem::ha {

// See the file comment.
struct StickSyncSettings {
  std::string cluster;
  std::string node;
  std::string key;
  std::string next_key;              // also accepted in a peer's hello (key rotation); empty: none
  boost::asio::ip::address address;  // ours: where we listen
  std::uint16_t port = 5800;
  std::vector<std::pair<std::string, boost::asio::ip::address>> peers;  // every other node
  std::chrono::milliseconds flush{50};
  std::size_t batch = 256;
  std::size_t queue_limit = 65536;
  std::map<std::string, sync::PoolLimits> pools;  // pools with table stickiness
  std::chrono::milliseconds initial_sync_timeout{3000};
};

// `sync { ... }` and the pools of CLUSTER for NODE. Throws
// std::invalid_argument on an unusable node address.
StickSyncSettings stick_sync_settings(const config::Cluster& cluster, const std::string& node, std::string key);

}  // namespace tandem::ha
