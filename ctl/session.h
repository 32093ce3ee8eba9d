// What every lbctl command starts from: the cluster file, the key, where
// each node's control endpoint is, and the calls to them.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/control/cluster_view.h"
#include "common/control/remote_client.h"
#include "config/proto/cluster.pb.h"
#include "ctl/options.h"

namespace tandem::ctl {

class Session {
 public:
  // Loads the cluster file and the key named by OPTIONS; nullopt with ERROR
  // (every configuration problem, one a line) when either fails.
  static std::optional<Session> open(const Options& options, std::string& error);

  const config::Cluster& cluster() const { return cluster_; }
  const std::vector<control::Target>& targets() const { return targets_; }
  const Options& options() const { return options_; }
  bool color() const { return color_; }

  // A status request (with the proxies' status) to every node at once.
  std::vector<control::NodeSample> sample(bool with_proxy = true) const;

  // REQUEST to every node at once.
  std::vector<control::CallResult> call_all(const wire::ControlRequest& request) const;
  // Several different calls at once.
  std::vector<control::CallResult> call_each(std::vector<control::Call> calls) const;

  // The target of NODE, or nullptr.
  const control::Target* target(const std::string& node) const;

 private:
  Options options_;
  config::Cluster cluster_;
  std::vector<control::Target> targets_;
  control::CallOptions call_options_;
  bool color_ = false;
};

// SESSION's samples for a view with rates: two INTERVAL apart (FIRST sees
// the first, to remember its counters), or one when INTERVAL is 0.
std::vector<control::NodeSample> sample_for_rates(
    const Session& session, std::chrono::milliseconds interval,
    const std::function<void(const std::vector<control::NodeSample>&)>& first);

// Unix time now, ms.
std::uint64_t unix_now_ms();

// "14:03:07.123" (local time) of a Unix ms time.
std::string clock_text(std::uint64_t unix_ms);

}  // namespace tandem::ctl
