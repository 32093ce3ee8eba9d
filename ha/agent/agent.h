// The ha-agent process: the thin Asio shell around the failover machines
// (ha/failover/instance_machine.h). It turns sockets, timers, signals and
// tracked conditions into machine events, and performs the actions the
// machines return (send adverts, claim/release VIPs, announce them, log,
// notify, rewrite the state file). It decides nothing itself.
//
// Single-threaded: one io_context, run on the calling thread; every handler
// below runs there, so nothing is locked.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "common/warn_limiter.h"
#include "common/key_ring.h"
#include "common/proto/control.pb.h"
#include "config/proto/cluster.pb.h"
#include "ha/advert/advert_codec.h"
#include "ha/advert/sequence_source.h"
#include "ha/agent/admin_http.h"
#include "ha/agent/advert_mapping.h"
#include "ha/agent/advert_channel.h"
#include "ha/agent/asio_aliases.h"
#include "ha/agent/control_server.h"
#include "ha/agent/metrics.h"
#include "ha/agent/notify.h"
#include "ha/agent/proxy_tracker.h"
#include "ha/failover/nodes_heard.h"
#include "ha/agent/remote_control.h"
#include "ha/agent/sequence_keeper.h"
#include "ha/agent/settings.h"
#include "ha/agent/status_builder.h"
#include "ha/agent/status_page.h"
#include "ha/sync/stick_sync.h"
#include "ha/agent/track_script.h"
#include "ha/agent/vip_holder.h"
#include "ha/failover/instance_machine.h"
#include "ha/vip/vip_manager.h"

namespace tandem::ha {

class Agent {
 public:
  // Builds everything from CLUSTER for NODE with the cluster KEYS (KEYS.signing
  // signs; both are accepted); no I/O yet. Throws std::invalid_argument on
  // configuration the agent cannot use.
  Agent(const config::Cluster& cluster, std::string node, KeyRing keys);

  // Reads the key files again (SIGHUP): the keys, or nullopt with ERROR.
  using KeyReloader = std::function<std::optional<KeyRing>(std::string& error)>;
  void set_key_reloader(KeyReloader reloader) { key_reloader_ = std::move(reloader); }
  ~Agent();

  // Start-up (leftover VIPs removed, sockets opened, machines started), then
  // runs until SIGTERM/SIGINT (returns 0) or a fatal error (VIPs removed,
  // returns 1).
  int run();

 private:
  struct Instance;

  void start_up();
  void start_remote_control();
  void start_sync();
  void on_sync_peer_lost(const std::string& peer, std::optional<TimePoint> confirmed_aligned);
  void start_machines();
  void on_datagram(std::string_view bytes, const boost::asio::ip::udp::endpoint& from);
  void on_timer(Instance& in);
  void arm(Instance& in);
  void perform(Instance& in, const Actions& actions, TimePoint now);
  void send_advert(Instance& in, const SendAdvert& send);
  // Gives each machine the nodes heard recently (quorum mode only).
  void update_quorum(TimePoint now);
  // Gives each machine its can-serve fact (ha/agent/serving.h) when it changed.
  void update_serving(TimePoint now);
  void after_event();
  void apply_track(const std::string& name, bool healthy, unsigned weight, const std::string& detail);
  void on_proxy_change();
  void poll_link();
  void shutdown(const std::string& why);
  void release_everything();
  void write_state_file(bool running);
  std::string overall_role() const;
  void note_drop(DropReason reason, const boost::asio::ip::udp::endpoint& from);
  void wait_signal();
  void reload_keys();

  wire::StatusResponse status();
  wire::ControlResponse handle_control(const wire::ControlRequest& request);
  AdminReply handle_admin(const std::string& path);

  asio::io_context io_;
  const config::Cluster cluster_;
  const std::string node_;
  KeyRing keys_;     // keys_.signing signs adverts; both keys are accepted everywhere
  KeyReloader key_reloader_;
  const config::Node* node_config_ = nullptr;
  HaSettings settings_;
  std::optional<VipManager> vips_;
  AdvertVerifier verifier_;
  SequenceSource sequence_;
  AdvertOrigin origin_;
  std::unique_ptr<AdvertChannel> channel_;
  std::unique_ptr<SequenceKeeper> sequences_;  // the replay guard's memory across restarts
  std::vector<std::unique_ptr<Instance>> instances_;
  std::unique_ptr<ProxyChannel> proxy_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<AdminHttp> admin_;
  std::unique_ptr<RemoteControl> remote_;    // lbctl and the status pages (node.address:ha.control_port)
  std::unique_ptr<StatusPage> status_page_;  // GET / and /cluster.json on admin_
  std::unique_ptr<StickSync> sync_;          // stick-table sync with the proxy and the peers
  bool sync_gate_failed_ = false;            // the "sync" track was reported failing
  std::vector<std::unique_ptr<TrackScript>> scripts_;
  Notifier notifier_;
  asio::signal_set signals_;
  asio::steady_timer link_timer_;

  TimePoint started_{};
  bool running_ = false;
  bool stopping_ = false;
  bool owns_node_ = false;  // past the duplicate-agent check: ours to clean up
  bool proxy_alive_applied_ = true;  // the verdict last given to the machines
  std::optional<bool> link_up_applied_;
  std::map<std::string, TrackView> tracks_;  // link, script:NAME
  NodesHeard nodes_heard_;                   // any instance's adverts, for quorum
  AdvertTraffic traffic_;
  std::uint64_t stalls_ = 0;
  TransitionCounts transition_counts_;
  std::string state_text_;  // last written
  std::map<DropReason, WarnLimiter> drop_warned_;  // one rate limit per reason
  std::string last_role_;
};

}  // namespace tandem::ha
