// What `lbctl failover` will hand over, decided from one status view
// (common/control/cluster_view.h) before anything is sent. Pure.
//
// It refuses (error set, exit 2) rather than report success for work it
// cannot do: no node answered (wrong key, all down), the --to node did not
// answer, an instance no answering node runs, an instance with no single
// master. An instance whose master already is --to needs nothing and says
// so; a plan with nothing to do for any other reason is an error.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

namespace tandem::ctl {

struct FailoverPlan {
  std::vector<std::pair<std::string, std::string>> work;  // (instance, its master now), in view order
  std::vector<std::string> already;                        // instances whose master is --to already
  std::string error;                                       // set: switch nothing, exit 2
};

// VIEW: the cluster view before the switchover. INSTANCES: every instance
// of the cluster file. INSTANCE: --instance (empty: all). TO: --to (empty:
// each master's best backup).
FailoverPlan plan_failover(const boost::json::object& view, const std::vector<std::string>& instances,
                           const std::string& instance, const std::string& to);

}  // namespace tandem::ctl
