// What `lbctl failover` reads from the samples while and after an instance
// is handed over, and how it reports the result. Pure (the command in
// ctl/commands/failover.cpp does the calls, the waiting and the probe).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/control/cluster_view.h"
#include "config/proto/cluster.pb.h"
#include "ctl/vip_probe.h"

namespace tandem::ctl {

// NODE's state of INSTANCE ("" when unknown) and whether it holds the VIP.
std::pair<std::string, bool> state_of(const std::vector<control::NodeSample>& samples, const std::string& node,
                                      const std::string& instance);

// The node that took INSTANCE over from OLD_MASTER: it reports MASTER and
// holds the VIP while OLD_MASTER no longer reports MASTER; TO (when set) is
// the only candidate. "" while there is none.
std::string new_master_in(const std::vector<control::NodeSample>& samples, const std::string& instance,
                          const std::string& old_master, const std::string& to);

// The last transition of NODE's INSTANCE into (INTO) or out of (!INTO) MASTER.
std::optional<std::uint64_t> master_edge(const std::vector<control::NodeSample>& samples, const std::string& node,
                                         const std::string& instance, bool into);

// Where to probe for INSTANCE: its first VIP and the port of a listener bound
// to it or to a wildcard address.
std::optional<std::pair<std::string, std::uint16_t>> probe_target(const config::Cluster& cluster,
                                                                   const std::string& instance);

// One instance handed over.
struct Handover {
  std::string instance, from, to;
  double took_ms = 0;                      // request sent -> new master serves the VIP
  std::string messages;                    // the old master's, joined with "; "
  std::optional<double> transitions_gap;   // new master's transition - old master's (agents' clocks)
  std::optional<Gap> gap;                  // the TCP probe's measure, when it ran
  std::pair<std::string, std::uint16_t> target;  // what the probe connected to
};

// Its --json object.
boost::json::object handover_json(const Handover& h);
// Its lines for people.
std::string handover_text(const Handover& h, bool color);

}  // namespace tandem::ctl
