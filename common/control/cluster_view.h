// The cluster view: what `lbctl status` and the agents' status page show,
// built from every node's StatusResponse (with its lb-proxy's typed status
// report embedded: common/proto/proxy_status.proto). Pure: no I/O, the times
// passed in. The view is a JSON object, so `lbctl --json`, the page's
// /cluster.json and the tables read the same thing; its fields are listed in
// docs/lbctl.md. The judgements behind its warnings (InstanceRoll, assess)
// are typed and tested on their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/control/remote_client.h"
#include "common/proto/control.pb.h"

namespace tandem::control {

// One node's answer (or why there was none).
struct NodeSample {
  std::string node;
  std::string address;
  std::optional<wire::StatusResponse> status;  // nullopt: unreachable
  std::string error;
  std::chrono::steady_clock::time_point at{};  // when the answer arrived
  std::int64_t latency_ms = -1;
  std::string key;              // fingerprint of the key the node signed its answer with ("": unknown)
  bool old_key = false;         // that key is not our signing key (a rotation not finished there)
};

// Samples from the answers to a status request sent to TARGETS (same order).
// KEYS (optional): the keys the calls used, to name the one each node signs with.
std::vector<NodeSample> samples_from(const std::vector<Target>& targets, const std::vector<CallResult>& results,
                                     const KeyRing* keys = nullptr);

// Counters seen at an earlier refresh, for rates between two samples.
// Keys: "NODE" (the proxy's requests) and "NODE/POOL/SERVER".
class RateMemory {
 public:
  // The per-second rate of a counter now at VALUE, against the remembered
  // sample of KEY; nullopt without a usable earlier sample (none, younger
  // than kMinInterval, or a counter that went back: a restarted proxy).
  // The sample is then remembered when the old one is at least
  // kMinInterval old (so two viewers polling at once do not shrink it).
  std::optional<double> rate(const std::string& key, std::uint64_t value, std::chrono::steady_clock::time_point at);

  static constexpr std::chrono::milliseconds kMinInterval{200};

 private:
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> samples_;
};

// Exit codes for monitoring: healthy, degraded (split brain, no master, a
// VIP held by no node, a proxy down), unreachable (a node did not answer) or
// error.
inline constexpr int kHealthy = 0, kDegraded = 1, kUnreachable = 2;

// One instance across the cluster: who runs it, who is master, who holds its VIPs.
struct InstanceFacts {
  std::string name;
  std::vector<std::string> vips;     // as the first node that runs it configures them
  std::vector<std::string> masters;  // nodes reporting MASTER
  std::vector<std::string> holders;  // nodes holding every VIP
  std::vector<std::string> runners;  // nodes running it
};

// The instances of the reachable nodes, in the order first seen.
class InstanceRoll {
 public:
  // NODE reported IN.
  void note(const std::string& node, const wire::InstanceStatus& in);
  const std::vector<InstanceFacts>& instances() const { return instances_; }

 private:
  std::vector<InstanceFacts> instances_;
};

// A line for the operator, and how bad it is (kHealthy: information only).
struct ViewWarning {
  std::string text;
  int severity = kHealthy;
};

// What is wrong with one instance: split brain or no master; a VIP held by
// several nodes or by none. PARTIAL: some nodes did not answer (so "none"
// means none of those that did).
std::vector<ViewWarning> assess(const InstanceFacts& instance, bool partial);

// The view of CLUSTER_NAME from SAMPLES at NOW_UNIX_MS; RATES gives
// requests/s and is updated.
boost::json::object build_cluster_view(const std::string& cluster_name, const std::vector<NodeSample>& samples,
                                       RateMemory& rates, std::uint64_t now_unix_ms);

// Per node, pool and server: the servers' state from the embedded proxy
// status (POOL empty: every pool); RATES gives requests/s.
boost::json::object build_servers_view(const std::vector<NodeSample>& samples, const std::string& pool,
                                       RateMemory& rates);

// Every transition of every reachable node, oldest first (newest last).
boost::json::array merged_transitions(const std::vector<NodeSample>& samples);

}  // namespace tandem::control
