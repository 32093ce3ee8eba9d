// Every node active (ha.announce, docs/scaling.md): the shell around
// AnnounceDecision. It holds the VIPs on the announce interface (lo) for as
// long as the agent runs, writes or deletes their host routes in the
// dedicated routing table as the decision says (route_table.h; the node's
// BIRD learns and exports them), remembers an operator drain across
// restarts (a file STATE_FILE.drained), and reads BIRD's sessions once a
// second for lbctl status (bird_client.h). Single-threaded (the agent's
// io_context).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/proto/control.pb.h"
#include "config/proto/cluster.pb.h"
#include "ha/announce/announce_decision.h"
#include "ha/announce/route_table.h"
#include "ha/io/asio_aliases.h"
#include "ha/io/deadline_timer.h"
#include "ha/vip/vip_manager.h"

namespace tandem::ha {

struct RouteAnnounceSettings {
  std::vector<Prefix> vips;
  std::vector<std::string> vip_texts;       // as configured
  unsigned table = 200;
  std::string interface = "lo";
  std::chrono::milliseconds hold_down{1000};
  std::string routing_socket = "/run/bird/bird.ctl";  // "" = do not ask
  std::string drained_file;                 // "" = a drain is not remembered
};

// ha.announce of CLUSTER for NODE with defaults; throws std::invalid_argument
// on values the agent cannot use.
RouteAnnounceSettings announce_settings(const config::Cluster& cluster, const config::Node& node);

class RouteAnnouncer {
 public:
  RouteAnnouncer(asio::io_context& io, RouteAnnounceSettings settings, VipManager& vips);

  // Holds the VIPs, deletes any route a crashed agent left, reads the drain
  // file. Throws std::runtime_error when the kernel refuses.
  void start();
  // The facts (AnnounceDecision).
  void serving(bool can_serve, const std::string& why);
  void table_ready(bool ready);
  // An operator's drain; the status after it.
  wire::AnnounceStatus drain(bool on);
  // Withdraws for good and lets go of the VIPs (graceful stop, fatal error).
  void stop();

  wire::AnnounceStatus status() const;

 private:
  void apply(const char* cause);
  void poll_daemon();

  asio::io_context& io_;
  RouteAnnounceSettings settings_;
  VipManager& vips_;
  std::optional<RouteTable> table_;
  AnnounceDecision decision_;
  DeadlineTimer hold_timer_;
  asio::steady_timer poll_timer_;
  bool announced_ = false;
  bool stopped_ = false;
  std::string why_ = "starting";
  std::uint64_t announcements_ = 0, withdrawals_ = 0;
  std::vector<wire::RoutingSession> sessions_;
  std::string daemon_error_ = "not read yet";
  bool polling_ = false;
};

}  // namespace tandem::ha
