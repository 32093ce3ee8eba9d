#include "ha/sync/sync_settings.h"

#include <algorithm>
#include <stdexcept>

#include "common/address.h"
#include "config/defaults.h"
#include "config/loader.h"

namespace tandem::ha {

namespace {

// Where NODE's agent listens for sync: its address, with or without a
// prefix length or a port.
boost::asio::ip::address sync_address(const config::Node& node) {
  std::string error;
  if (auto prefix = parse_prefix(node.address(), error)) return prefix->address;
  if (auto hp = parse_host_port(node.address(), error, true)) return hp->address;
  throw std::invalid_argument("node '" + node.name() + "': address '" + node.address() + "': " + error);
}

}  // namespace

StickSyncSettings stick_sync_settings(const config::Cluster& cluster, const std::string& node, std::string key) {
  StickSyncSettings s;
  s.cluster = cluster.name();
  s.node = node;
  s.key = std::move(key);
  const config::Node* self = config::find_node(cluster, node);
  if (!self) throw std::invalid_argument("no node '" + node + "' in the cluster file");
  s.address = sync_address(*self);
  const auto& sc = cluster.sync();
  s.port = static_cast<std::uint16_t>(sc.port() ? sc.port() : 5800);
  s.flush = std::chrono::milliseconds(sc.flush_interval_ms() ? sc.flush_interval_ms() : 50);
  s.batch = sc.batch_size() ? sc.batch_size() : 256;
  s.batch = std::clamp<std::size_t>(s.batch, 1, 4096);
  s.queue_limit = sc.queue_limit() ? sc.queue_limit() : 65536;
  for (const auto& n : cluster.nodes())
    if (n.name() != node) s.peers.emplace_back(n.name(), sync_address(n));
  for (const auto& p : cluster.pools()) {
    const auto st = config::effective_stickiness(p);
    if (st.kind != config::Stickiness::SOURCE_IP && st.kind != config::Stickiness::LEARN_COOKIE) continue;
    s.pools[p.name()] = sync::PoolLimits{st.ttl, st.max_entries};
  }
  return s;
}

}  // namespace tandem::ha
