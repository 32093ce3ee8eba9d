// The agent's view of the cluster file: the `ha` values with their defaults
// applied, and the instances this node runs turned into machine configs.
// Pure: no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/address.h"
#include "config/proto/cluster.pb.h"
#include "ha/failover/instance_machine.h"
#include "ha/track/track_script_settings.h"

namespace tandem::ha {

// `ha { ... }` with every default applied (see config/proto/cluster.proto).
struct HaSettings {
  boost::asio::ip::address multicast_group;          // 224.0.0.18
  std::uint16_t port = 5798;
  bool unicast = false;
  bool quorum = false;
  std::string notify;                                // "" = no hook
  std::chrono::milliseconds notify_timeout{5000};
  unsigned garp_count = 5;
  std::chrono::milliseconds garp_interval{100};
  std::chrono::milliseconds garp_refresh{10000};     // 0 = off
  std::chrono::milliseconds proxy_heartbeat{100};
  std::chrono::milliseconds proxy_dead_after{500};
  unsigned proxy_weight = 0;                         // 0 = FAULT when dead
  std::chrono::milliseconds max_clock_skew{2000};    // advert timestamp vs our clock
};

// One instance this node runs: its machine config and its VIPs.
struct InstancePlan {
  InstanceConfig machine;
  std::vector<Prefix> vips;
  std::vector<std::string> vip_texts;  // as configured
};

// The `ha` section of CLUSTER with defaults. Throws std::invalid_argument on
// values the validator lets through but the agent cannot use.
HaSettings ha_settings(const config::Cluster& cluster);

// Every instance that lists NODE in its priorities, in file order. Throws
// std::invalid_argument with every problem when a machine config is invalid.
std::vector<InstancePlan> plan_instances(const config::Cluster& cluster, const std::string& node);

// The track scripts with defaults.
std::vector<TrackScriptSettings> track_scripts(const config::Cluster& cluster);

// The address of node NAME ("198.18.0.11", or "ip:port" whose port is ignored).
// Throws std::invalid_argument when unparsable.
boost::asio::ip::address node_address(const config::Node& node);

}  // namespace tandem::ha
