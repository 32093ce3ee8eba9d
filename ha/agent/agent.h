// The ha-agent process root: it builds the parts, routes events to them and
// stops them. It decides nothing itself:
//   - each VRRP instance is an InstanceDriver (ha/failover/instance_driver.h)
//     that performs its machine's actions and keeps its timer;
//   - adverts come in and go out through ha/advert; VIPs are ha/vip's;
//   - tracked conditions (link, scripts, the proxy, stick sync) are turned
//     into track events for every driver here;
//   - the operator surfaces (ha/control) see the agent only through its
//     read-only AgentView.
//
// Single-threaded: one io_context, run on the calling thread; every handler
// below runs there, so nothing is locked. (The cluster status page renders
// on its own thread: ha/control/status_page.h.)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "common/key_ring.h"
#include "common/owned_io_context.h"
#include "config/proto/cluster.pb.h"
#include "ha/advert/advert_exchange.h"
#include "ha/announce/route_announcer.h"
#include "ha/agent/notify.h"
#include "ha/agent/settings.h"
#include "ha/control/agent_view.h"
#include "ha/control/operator_surfaces.h"
#include "ha/control/status_builder.h"
#include "ha/failover/nodes_heard.h"
#include "ha/io/asio_aliases.h"
#include "ha/sync/overlay_catch_up.h"
#include "ha/sync/stick_sync.h"
#include "ha/track/proxy_tracker.h"
#include "ha/track/track_board.h"
#include "ha/track/track_script.h"
#include "ha/vip/vip_manager.h"

namespace tandem::ha {

class Agent : private AgentView {
 public:
  // Builds everything from CLUSTER for NODE with the cluster KEYS (KEYS.signing
  // signs; both are accepted); no I/O yet. Throws std::invalid_argument on
  // configuration the agent cannot use.
  Agent(const config::Cluster& cluster, std::string node, KeyRing keys);

  // Reads the key files again (SIGHUP): the keys, or nullopt with ERROR.
  using KeyReloader = std::function<std::optional<KeyRing>(std::string& error)>;
  void set_key_reloader(KeyReloader reloader) { key_reloader_ = std::move(reloader); }
  ~Agent() override;

  // Start-up (leftover VIPs removed, sockets opened, machines started), then
  // runs until SIGTERM/SIGINT (returns 0) or a fatal error (VIPs removed,
  // returns 1).
  int run();

 private:
  struct Instance;

  // start-up
  void start_up();
  void refuse_second_agent();
  void make_instances();
  void open_adverts();
  void start_proxy_channel();
  void start_surfaces();
  void start_sync();
  void start_machines();
  void start_track_scripts();
  void start_announcer();
  // events
  void on_advert(const wire::Advert& wire_advert);
  void on_timer(Instance& in);
  void apply_track(const TrackChange& change);
  // Gives each driver the nodes heard recently (quorum mode only).
  void update_quorum(TimePoint now);
  // Gives each driver its can-serve fact (ha/track/serving.h).
  void update_serving(TimePoint now);
  void on_proxy_change();
  void on_sync_peer_lost(const std::string& peer, std::optional<TimePoint> confirmed_aligned);
  // Runtime server changes a node missed, from its peers
  // (ha/sync/overlay_catch_up.h): the proxy's overlay (null: proxy gone),
  // and what to send the proxy after either side changed.
  void on_proxy_overlay(const wire::ServerOverlay* overlay);
  void offer_overlay();
  void poll_link();
  void forget_unresolved_neighbours();
  void wait_signal();
  void reload_keys();
  // what the drivers' actions need
  void on_transition(const Instance& in, const Transition& t);
  void after_actions(bool transitioned);
  wire::NodeRole overall_role() const;
  void write_state_file(bool running);
  // stopping
  void shutdown(const std::string& why);
  void stop_services();

  // AgentView, for the operator surfaces.
  wire::StatusResponse status() const override;
  const TransitionCounts& transition_counts() const override { return transition_counts_; }

  // Emptied of its handlers first in ~Agent(): the frames of connections
  // still open at exit (peers, lbctl, the proxy) touch the members below
  // (common/owned_io_context.h).
  OwnedIoContext io_;
  const config::Cluster cluster_;
  const std::string node_;
  KeyRing keys_;  // keys_.signing signs adverts; both keys are accepted everywhere
  KeyReloader key_reloader_;
  const config::Node* node_config_ = nullptr;
  HaSettings settings_;

  // ha/advert: in and out
  std::unique_ptr<AdvertExchange> adverts_;
  NodesHeard nodes_heard_;  // any instance's adverts, for quorum

  // ha/failover + ha/vip: one driver per instance
  std::optional<VipManager> vips_;
  std::vector<std::unique_ptr<Instance>> instances_;
  // ha/announce: every node active (ha.announce); null without it
  std::unique_ptr<RouteAnnouncer> announcer_;
  std::vector<std::string> announce_listeners_;  // carrying the announced VIPs

  // ha/track and sync: what the drivers are told about
  std::unique_ptr<ProxyChannel> proxy_;
  std::unique_ptr<StickSync> sync_;  // stick-table sync with the proxy and the peers
  sync::OverlayCatchUp overlay_catch_up_;
  std::vector<std::unique_ptr<TrackScript>> scripts_;
  TrackBoard tracks_;  // link, script:NAME, proxy, sync, sync_table

  // ha/control: lbctl, ha-agent --status, /metrics, the status page
  std::unique_ptr<OperatorSurfaces> surfaces_;

  // the process
  Notifier notifier_;
  asio::signal_set signals_;
  asio::steady_timer link_timer_;
  TimePoint started_{};
  bool running_ = false;
  bool stopping_ = false;
  bool owns_node_ = false;  // past the duplicate-agent check: ours to clean up
  TransitionCounts transition_counts_;
  std::string state_text_;  // last written
  wire::NodeRole last_role_ = wire::NODE_ROLE_UNSPECIFIED;  // last sent to the proxy
};

}  // namespace tandem::ha
