#include "ha/agent/settings.h"

#include <stdexcept>

#include "config/loader.h"

namespace tandem::ha {

namespace {

using std::chrono::milliseconds;

}  // namespace

boost::asio::ip::address node_address(const config::Node& node) {
  std::string error;
  if (auto prefix = parse_prefix(node.address(), error)) return prefix->address;
  if (auto hp = parse_host_port(node.address(), error, true)) return hp->address;
  throw std::invalid_argument("node '" + node.name() + "': address '" + node.address() + "': " + error);
}

HaSettings ha_settings(const config::Cluster& cluster) {
  const auto& ha = cluster.ha();
  HaSettings s;
  const std::string group = ha.multicast_group().empty() ? "224.0.0.18" : ha.multicast_group();
  std::string error;
  auto parsed = parse_prefix(group, error);
  if (!parsed || !parsed->address.is_multicast())
    throw std::invalid_argument("ha: multicast_group '" + group + "' is not a multicast address");
  s.multicast_group = parsed->address;
  if (ha.port()) s.port = static_cast<std::uint16_t>(ha.port());
  s.unicast = ha.unicast();
  s.quorum = ha.quorum();
  s.notify = ha.notify();
  if (ha.notify_timeout_ms()) s.notify_timeout = milliseconds(ha.notify_timeout_ms());
  if (ha.garp_count()) s.garp_count = ha.garp_count();
  if (ha.garp_interval_ms()) s.garp_interval = milliseconds(ha.garp_interval_ms());
  if (ha.garp_refresh_ms()) s.garp_refresh = milliseconds(ha.garp_refresh_ms());
  // proto3 cannot tell garp_refresh_ms 0 from absent: 0 means the default.
  if (ha.proxy().heartbeat_ms()) s.proxy_heartbeat = milliseconds(ha.proxy().heartbeat_ms());
  if (ha.proxy().dead_after_ms()) s.proxy_dead_after = milliseconds(ha.proxy().dead_after_ms());
  s.proxy_weight = ha.proxy().weight();
  if (ha.max_clock_skew_ms()) {
    if (ha.max_clock_skew_ms() < 100)
      throw std::invalid_argument("ha: max_clock_skew_ms " + std::to_string(ha.max_clock_skew_ms()) +
                                  " is below 100: clocks kept by NTP differ by a few ms, but scheduling and "
                                  "network delays add more; use 100 or more (default 2000)");
    s.max_clock_skew = milliseconds(ha.max_clock_skew_ms());
  }
  return s;
}

std::vector<InstancePlan> plan_instances(const config::Cluster& cluster, const std::string& node) {
  std::vector<InstancePlan> plans;
  std::string problems;
  const config::Node* self = config::find_node(cluster, node);
  if (!self) throw std::invalid_argument("no node '" + node + "' in the cluster file");
  for (const auto& inst : cluster.ha().instances()) {
    const config::NodePriority* mine = nullptr;
    for (const auto& p : inst.priorities())
      if (p.node() == node) mine = &p;
    if (!mine) continue;
    InstancePlan plan;
    auto& m = plan.machine;
    m.instance_id = inst.id();
    m.instance_name = inst.name();
    m.node = node;
    m.address = node_address(*self);
    m.priority = static_cast<std::uint8_t>(mine->priority() > 255 ? 0 : mine->priority());
    if (inst.advert_interval_ms()) m.advert_interval = milliseconds(inst.advert_interval_ms());
    m.preempt = inst.has_preempt() ? inst.preempt() : true;
    m.preempt_delay = milliseconds(inst.preempt_delay_ms());
    for (const auto& p : inst.priorities()) {
      if (p.node() == node) continue;
      const config::Node* peer = config::find_node(cluster, p.node());
      if (!peer) continue;  // the validator reports unknown nodes
      m.peers.push_back(Peer{p.node(), node_address(*peer)});
    }
    m.quorum = cluster.ha().quorum();
    m.cluster_size = static_cast<std::size_t>(cluster.nodes_size());
    for (const auto& text : inst.vips()) {
      std::string error;
      auto prefix = parse_prefix(text, error);
      if (!prefix) {
        problems += "instance '" + inst.name() + "': vip " + error + "\n";
        continue;
      }
      plan.vips.push_back(*prefix);
      plan.vip_texts.push_back(text);
    }
    for (const auto& problem : InstanceMachine::validate(m))
      problems += "instance '" + inst.name() + "': " + problem + "\n";
    plans.push_back(std::move(plan));
  }
  if (!problems.empty()) {
    problems.pop_back();
    throw std::invalid_argument(problems);
  }
  return plans;
}

std::vector<TrackScriptSettings> track_scripts(const config::Cluster& cluster) {
  std::vector<TrackScriptSettings> out;
  for (const auto& ts : cluster.ha().track_scripts()) {
    TrackScriptSettings s;
    s.name = ts.name();
    s.command = ts.command();
    if (ts.interval_ms()) s.interval = milliseconds(ts.interval_ms());
    if (ts.timeout_ms()) s.timeout = milliseconds(ts.timeout_ms());
    s.weight = ts.weight();
    if (ts.fall()) s.fall = ts.fall();
    if (ts.rise()) s.rise = ts.rise();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace tandem::ha
