#include "ha/agent/agent.h"

#include <chrono>
#include <set>
#include <stdexcept>
#include <variant>

#include <spdlog/spdlog.h>

#include "config/control_endpoints.h"
#include "config/loader.h"
#include "ha/advert/advert_mapping.h"
#include "ha/advert/peer_sequence_file.h"
#include "ha/agent/state_file.h"
#include "ha/control/control_client.h"
#include "ha/control/switchover.h"
#include "ha/failover/instance_driver.h"
#include "ha/io/deadline_timer.h"
#include "ha/track/serving.h"
#include "ha/vip/vip_holder.h"

namespace tandem::ha {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t unix_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::set<std::string> node_names(const config::Cluster& cluster) {
  std::set<std::string> names;
  for (const auto& n : cluster.nodes()) names.insert(n.name());
  return names;
}

// How NODE exchanges adverts: the socket, what the verifier checks beyond
// signature and sequence (advert_codec.h), where the sequences are kept.
AdvertExchangeSettings advert_settings(const config::Cluster& cluster, const config::Node& node,
                                       const HaSettings& settings) {
  AdvertExchangeSettings out;
  auto& ac = out.channel;
  ac.interface = node.interface();
  ac.local_address = node_address(node);
  ac.port = settings.port;
  ac.unicast = settings.unicast;
  ac.group = settings.multicast_group;
  for (const auto& n : cluster.nodes())
    if (n.name() != node.name()) ac.unicast_peers.push_back(node_address(n));
  out.node = node.name();
  out.known_nodes = node_names(cluster);
  for (const auto& n : cluster.nodes()) out.checks.node_addresses[n.name()] = node_address(n);
  out.checks.max_clock_skew_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(settings.max_clock_skew).count());
  out.sequence_path = peer_sequence_path(node.state_file());
  return out;
}

constexpr Milliseconds kLinkPoll{100};

}  // namespace

// One VRRP instance: its plan, its VIPs, its timer, and the driver that
// performs its machine's actions through them.
struct Agent::Instance {
  Instance(Agent& agent, InstancePlan p, AnnounceSettings announce)
      : plan(std::move(p)),
        vip(agent.io_, *agent.vips_, plan.machine.instance_name, agent.node_config_->interface(), plan.vips,
            announce),
        timer(agent.io_),
        listeners(listeners_for_vips(agent.cluster_, *agent.node_config_, plan.vips)),
        driver(plan.machine, ports(agent)) {}

  const std::string& name() const { return plan.machine.instance_name; }

  InstanceDriverPorts ports(Agent& agent) {
    InstanceDriverPorts p;
    p.send_advert = [&agent, this](const SendAdvert& send) {
      agent.adverts_->send(name(), plan.machine.advert_interval, send);
    };
    p.claim_vips = [this] { vip.claim(); };
    p.release_vips = [this] { vip.release(); };
    p.announce_vips = [this] { vip.announce_now("machine"); };
    p.transitioned = [&agent, this](const Transition& t) { agent.on_transition(*this, t); };
    p.set_timer = [&agent, this](std::optional<TimePoint> deadline) {
      timer.set(deadline, [&agent, this] {
        if (!agent.stopping_) agent.on_timer(*this);
      });
    };
    p.after_actions = [&agent](bool transitioned) { agent.after_actions(transitioned); };
    p.unix_now_ms = unix_now_ms;
    return p;
  }

  InstancePlan plan;
  VipHolder vip;
  DeadlineTimer timer;
  std::vector<std::string> listeners;  // carrying the VIPs (ha/track/serving.h)
  InstanceDriver driver;
};

Agent::Agent(const config::Cluster& cluster, std::string node, KeyRing keys)
    : cluster_(cluster),
      node_(std::move(node)),
      keys_(std::move(keys)),
      settings_(ha_settings(cluster_)),
      notifier_(io_, settings_.notify, settings_.notify_timeout),
      signals_(io_),
      link_timer_(io_) {
  node_config_ = config::find_node(cluster_, node_);
  if (!node_config_) throw std::invalid_argument("no node '" + node_ + "' in the cluster file");
  if (node_config_->interface().empty())
    throw std::invalid_argument("node '" + node_ + "' has no `interface` (the LAN interface for adverts and VIPs)");
  adverts_ = std::make_unique<AdvertExchange>(io_, advert_settings(cluster_, *node_config_, settings_), keys_);
}

Agent::~Agent() {
  // Every way out of run() has stopped the services (stop_services), the
  // status page's thread among them, so nothing posts to the loop now.
  io_.destroy_handlers();
}

// ------------------------------------------------------------------ start-up

void Agent::start_up() {
  started_ = Clock::now();
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  wait_signal();
  ::signal(SIGPIPE, SIG_IGN);

  refuse_second_agent();
  owns_node_ = true;
  std::string error;
  vips_ = VipManager::open(error);
  if (!vips_) throw std::runtime_error("rtnetlink: " + error);
  make_instances();
  start_announcer();
  open_adverts();
  start_proxy_channel();
  start_surfaces();
  start_sync();
  // The link's state before the machines start, so a dead link starts FAULT.
  poll_link();
  start_machines();
  start_track_scripts();
  if (announcer_) announcer_->start();

  std::string names;
  for (const auto& in : instances_) names += (names.empty() ? "" : ",") + in->name();
  spdlog::info("ready node={} instances={} boot_id={}", node_, names.empty() ? "-" : names,
               adverts_->origin().boot_id);
  running_ = true;
  write_state_file(true);
}

// Another agent for this node must not have its VIPs and sockets pulled
// away: if its control socket answers, refuse to start.
void Agent::refuse_second_agent() {
  const auto& path = node_config_->control_socket();
  if (path.empty()) return;
  wire::ControlRequest probe;
  probe.mutable_status();
  std::string probe_error;
  if (control_exchange(path, probe, std::chrono::milliseconds{500}, probe_error))
    throw std::runtime_error("another ha-agent answers on " + path + "; not starting a second one");
}

// One driver per instance this node runs; a VIP left behind by a crash of
// this agent goes first.
void Agent::make_instances() {
  const std::string& ifname = node_config_->interface();
  const AnnounceSettings announce{settings_.garp_count, settings_.garp_interval, settings_.garp_refresh};
  std::vector<Prefix> configured;
  for (auto& plan : plan_instances(cluster_, node_)) {
    for (const auto& p : plan.vips) configured.push_back(p);
    plan.machine.repeat_adverts = true;  // every advert twice (instance_machine.h, "Repeats")
    instances_.push_back(std::make_unique<Instance>(*this, std::move(plan), announce));
  }
  std::string error;
  auto removed = vips_->remove_leftovers(ifname, configured, error);
  if (!removed) throw std::runtime_error("removing leftover VIPs on " + ifname + ": " + error);
  for (const auto& p : *removed)
    spdlog::warn("leftover_vip_removed vip={} interface={}", format_prefix(p), ifname);
  if (removed->empty()) spdlog::info("leftover_vips none interface={}", ifname);
}

void Agent::open_adverts() {
  adverts_->open([this](const wire::Advert& advert) { on_advert(advert); });
  spdlog::info("advert_socket_open mode={} group={} port={} interface={}",
               settings_.unicast ? "unicast" : "multicast",
               settings_.unicast ? std::string("-") : settings_.multicast_group.to_string(), settings_.port,
               node_config_->interface());
}

void Agent::start_proxy_channel() {
  if (node_config_->local_channel().empty()) {
    spdlog::warn("proxy_tracking off reason=\"node has no local_channel\"");
    return;
  }
  proxy_ = std::make_unique<ProxyChannel>(io_, node_config_->local_channel(), settings_.proxy_heartbeat,
                                          settings_.proxy_dead_after, [this]() { on_proxy_change(); });
  proxy_->set_overlay_handler([this](const wire::ServerOverlay* overlay) { on_proxy_overlay(overlay); });
  proxy_->start();
}

// The control socket, remote control and the admin listener; they see the
// agent through its AgentView, and may ask it for a switchover only.
void Agent::start_surfaces() {
  SurfaceSettings s;
  s.node = node_;
  s.control_socket = node_config_->control_socket();
  s.remote = boost::asio::ip::tcp::endpoint(node_address(*node_config_), config::control_port(cluster_));
  s.proxy_admin = node_config_->proxy_admin();
  s.agent_admin = node_config_->agent_admin();
  s.cluster_name = cluster_.name();
  s.cluster_nodes = config::control_targets(cluster_);
  auto switchover = [this](const wire::SwitchoverRequest& request) {
    std::vector<InstanceDriver*> drivers;
    for (auto& in : instances_) drivers.push_back(&in->driver);
    return run_switchover(drivers, request, Clock::now());
  };
  ControlHandler::RouteDrain route_drain;
  if (announcer_)
    route_drain = [this](const wire::RouteDrainRequest& request) { return announcer_->drain(request.drained()); };
  const AgentView& view = *this;
  surfaces_ = std::make_unique<OperatorSurfaces>(io_, std::move(s), keys_, view, std::move(switchover),
                                                 std::move(route_drain));
  surfaces_->start();
}

void Agent::start_machines() {
  const auto now = Clock::now();
  update_serving(now);  // before start: a node starts unable to serve until its proxy says so
  for (auto& in : instances_) in->driver.start(now);
}

// Every node active (ha.announce): the announcer is built before the
// surfaces (lbctl drain reaches it) and started after the machines.
void Agent::start_announcer() {
  if (!cluster_.ha().has_announce()) return;
  auto settings = announce_settings(cluster_, *node_config_);
  announce_listeners_ = listeners_for_vips(cluster_, *node_config_, settings.vips);
  announcer_ = std::make_unique<RouteAnnouncer>(io_, std::move(settings), *vips_);
}

void Agent::start_track_scripts() {
  for (const auto& ts : track_scripts(cluster_)) {
    const std::string track = "script:" + ts.name;
    tracks_.add_script(track, ts.weight);
    auto script = std::make_unique<TrackScript>(io_, ts, [this, track, weight = ts.weight](bool healthy,
                                                                                           const std::string& detail) {
      apply_track(tracks_.script(track, healthy, weight, detail));
    });
    script->start();
    scripts_.push_back(std::move(script));
  }
}

int Agent::run() {
  try {
    start_up();
    io_.run();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("fatal error=\"{}\"", e.what());
    if (!owns_node_) return 1;  // another agent runs this node: touch nothing
    stopping_ = true;
    for (auto& in : instances_) in->vip.remove_on_exit();
    if (announcer_) announcer_->stop();
    running_ = false;
    write_state_file(false);
    adverts_->flush();
    stop_services();
    return 1;
  }
}

// ------------------------------------------------------------------ events

void Agent::on_advert(const wire::Advert& wire_advert) {
  if (stopping_) return;
  Instance* target = nullptr;
  for (auto& in : instances_)
    if (in->name() == wire_advert.instance_id()) target = in.get();
  if (!target) {
    nodes_heard_.heard(wire_advert.node(), Clock::now());
    adverts_->count_not_ours();
    spdlog::debug("advert_ignored reason=not_ours instance={} node={}", wire_advert.instance_id(), wire_advert.node());
    return;
  }
  auto advert = to_machine(wire_advert);
  if (!advert) {
    adverts_->count_not_ours();
    spdlog::debug("advert_ignored reason=unrepresentable node={} priority={}", wire_advert.node(),
                  wire_advert.priority());
    return;
  }
  const auto now = Clock::now();
  nodes_heard_.heard(wire_advert.node(), now);
  update_quorum(now);
  target->driver.advert_received(*advert, now);
}

void Agent::on_timer(Instance& in) {
  // Stall tolerance: adverts that arrived while we were not scheduled are
  // delivered before the timer is acted on, so a pause never fakes a failover.
  const std::size_t drained = adverts_->drain();
  if (drained > 0) spdlog::debug("timer_drained instance={} adverts={}", in.name(), drained);
  in.driver.timer_fired(Clock::now());
}

void Agent::apply_track(const TrackChange& c) {
  if (stopping_) return;
  spdlog::log(c.healthy ? spdlog::level::info : spdlog::level::warn, "track name={} healthy={} effect={} detail=\"{}\"",
              c.name, c.healthy, c.weight == 0 ? "fault" : "priority -" + std::to_string(c.weight), c.detail);
  const auto now = Clock::now();
  for (auto& in : instances_) in->driver.track_changed(c.name, c.healthy, c.weight, now);
}

void Agent::update_serving(TimePoint now) {
  if (!proxy_) {  // no proxy tracked: every instance can serve
    if (announcer_) announcer_->serving(true, "");
    return;
  }
  const auto& liveness = proxy_->liveness();
  const std::string dead = liveness.why_dead(now);
  for (auto& in : instances_) {
    const auto verdict = instance_serving(in->listeners, liveness.last_report(), dead.empty(), dead);
    in->driver.serving_update(verdict.can_serve, verdict.why, now);
  }
  if (announcer_) {
    const auto verdict = instance_serving(announce_listeners_, liveness.last_report(), dead.empty(), dead);
    announcer_->serving(verdict.can_serve, verdict.why);
  }
}

void Agent::update_quorum(TimePoint now) {
  for (auto& in : instances_) {
    if (!in->plan.machine.quorum) continue;
    in->driver.quorum_update(
        nodes_heard_.within(master_down_interval(in->plan.machine.advert_interval, kMinPriority), now), now);
  }
}

void Agent::on_proxy_change() {
  if (!proxy_ || stopping_) return;
  const auto now = Clock::now();
  if (running_) update_serving(now);
  const std::string why = proxy_->liveness().why_dead(now);
  if (auto change = tracks_.proxy(why.empty(), settings_.proxy_weight, why)) apply_track(*change);
}

void Agent::poll_link() {
  if (stopping_) return;
  std::string error;
  auto up = vips_->link_is_up(node_config_->interface(), error);
  if (!up) spdlog::debug("link_check_failed interface={} error=\"{}\"", node_config_->interface(), error);
  const bool is_up = up.value_or(false);
  const std::string& ifname = node_config_->interface();
  if (auto change = tracks_.link(is_up, is_up ? ifname + " up" : ifname + " down" + (error.empty() ? "" : ": " + error))) {
    if (is_up) forget_unresolved_neighbours();
    apply_track(*change);
  }
  if (running_) update_quorum(Clock::now());  // nodes fall silent without an event
  link_timer_.expires_after(kLinkPoll);
  link_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_link();
  });
}

// The cable is back: neighbour entries that failed while it was out would
// hold packets for up to a second (VipManager::forget_unresolved_neighbours).
// Done before the track change, so the claim that may follow finds them gone.
void Agent::forget_unresolved_neighbours() {
  std::string error;
  const std::string& ifname = node_config_->interface();
  const auto deleted = vips_->forget_unresolved_neighbours(ifname, error);
  if (!deleted) {
    spdlog::warn("neighbours_not_cleared interface={} error=\"{}\"", ifname, error);
  } else if (*deleted > 0) {
    spdlog::info("neighbours_cleared interface={} unresolved={} why=\"link up: probe again at once\"", ifname,
                 *deleted);
  }
}

// SIGHUP: the key files again (a key rotation, docs/security.md). Only the
// keys: every other change still needs a restart.
void Agent::reload_keys() {
  std::string error;
  auto keys = key_reloader_ ? key_reloader_(error) : std::nullopt;
  if (!keys) {
    spdlog::error("reload_keys_refused error=\"{}\" keeping=previous keys", key_reloader_ ? error : "no reloader");
    return;
  }
  keys_ = std::move(*keys);
  adverts_->set_keys(keys_);
  if (surfaces_) surfaces_->set_keys(keys_);
  if (sync_) sync_->set_keys(keys_.signing, keys_.other);
  spdlog::info("keys_reloaded signing={} also_accepted={} (SIGHUP reloads only the keys; restart for other changes)",
               key_fingerprint(keys_.signing), keys_.other.empty() ? "-" : key_fingerprint(keys_.other));
}

void Agent::wait_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload_keys();
      wait_signal();
      return;
    }
    shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

// ------------------------------------------------------------------ the drivers' actions

void Agent::on_transition(const Instance& in, const Transition& t) {
  ++transition_counts_[{in.name(), std::string(to_string(t.to))}];
  notifier_.notify(NotifyEvent{in.name(), std::string(to_string(t.from)), std::string(to_string(t.to)), t.cause, node_});
}

// After a driver's actions: the proxy learns the node's role, and the state
// file is rewritten.
void Agent::after_actions(bool transitioned) {
  if (transitioned && proxy_) {
    const wire::NodeRole role = overall_role();
    if (role != last_role_) {
      last_role_ = role;
      proxy_->send_role(role);
    }
  }
  if (running_) write_state_file(true);
}

wire::NodeRole Agent::overall_role() const {
  bool fault = false, backup = false;
  for (const auto& in : instances_) {
    const State state = in->driver.machine().state();
    if (state == State::kMaster) return wire::NODE_ROLE_MASTER;
    fault = fault || state == State::kFault;
    backup = backup || state == State::kBackup;
  }
  return fault ? wire::NODE_ROLE_FAULT : backup ? wire::NODE_ROLE_BACKUP : wire::NODE_ROLE_INIT;
}

void Agent::write_state_file(bool running) {
  const std::string& path = node_config_->state_file();
  if (path.empty()) return;
  std::vector<StateFileRow> rows;
  for (const auto& in : instances_) {
    const Status s = in->driver.machine().status();
    rows.push_back(
        StateFileRow{in->name(), s.state, s.effective_priority, s.master.value_or(""), in->driver.since_unix_ms()});
  }
  const std::string text = state_file_text(rows, running);
  if (text == state_text_) return;
  std::string error;
  if (write_file_atomically(path, text, error)) {
    state_text_ = text;
  } else {
    spdlog::error("state_file_failed path={} error=\"{}\"", path, error);
  }
}

// ------------------------------------------------------------------ stopping

void Agent::shutdown(const std::string& why) {
  if (stopping_) return;
  spdlog::info("stopping signal={}", why);
  const auto now = Clock::now();
  for (auto& in : instances_) in->driver.shutdown(now);
  stopping_ = true;
  for (auto& in : instances_) in->vip.remove_on_exit();
  if (announcer_) announcer_->stop();
  running_ = false;
  write_state_file(false);
  adverts_->stop();
  for (auto& s : scripts_) s->stop();
  stop_services();
  signals_.cancel();
  link_timer_.cancel();
  spdlog::info("stopped node={} state_file=stale", node_);
  io_.stop();
}

void Agent::stop_services() {
  if (surfaces_) surfaces_->stop();
  if (sync_) sync_->stop();
  if (proxy_) proxy_->stop();
}

// ------------------------------------------------------------------ status

wire::StatusResponse Agent::status() const {
  StatusInputs in;
  in.node = node_;
  in.started = started_;
  in.now = Clock::now();
  in.now_unix_ms = unix_now_ms();
  for (const auto& inst : instances_) {
    in.instances.push_back(InstanceView{inst->driver.machine().status(), inst->plan.vip_texts, inst->vip.held()});
    in.stalls += inst->driver.stalls();
  }
  if (proxy_) {
    const auto& l = proxy_->liveness();
    in.proxy = ProxyView{l.is_connected(), l.serving(), l.alive(in.now), l.last_heartbeat()};
  }
  in.tracks = tracks_.views();
  in.adverts = AdvertTraffic{adverts_->verifier_counters(), adverts_->not_ours(), adverts_->sent(),
                             adverts_->send_errors()};
  auto out = build_status(in);
  if (sync_) *out.mutable_sync() = sync_->status(in.now);
  if (announcer_) *out.mutable_announce() = announcer_->status();
  return out;
}

// ------------------------------------------------------------------ stick sync

// Stick-table sync (ha/sync/stick_sync.h). Its eligibility verdict (the
// rule: ha/sync/sync_eligibility.h) becomes the "sync" and "sync_table"
// tracks (ha/track/track_board.h).
void Agent::start_sync() {
  StickSyncHooks hooks;
  hooks.connection_lost = [this](const std::string& peer) { on_sync_peer_lost(peer, std::nullopt); };
  hooks.confirmed_down = [this](const std::string& peer, TimePoint aligned) { on_sync_peer_lost(peer, aligned); };
  hooks.eligibility = [this](sync::Eligibility verdict, const std::string& why) {
    for (const auto& change : tracks_.sync_verdict(verdict, why)) apply_track(change);
    if (announcer_ && !stopping_) announcer_->table_ready(verdict != sync::Eligibility::kWaiting);
  };
  hooks.peer_overlay = [this](const std::string& peer, const wire::ServerOverlay& overlay) {
    overlay_catch_up_.peer(peer, overlay);
    offer_overlay();
  };
  auto sync_settings = stick_sync_settings(cluster_, node_, keys_.signing);
  sync_settings.next_key = keys_.other;
  sync_ = std::make_unique<StickSync>(io_, std::move(sync_settings), std::move(hooks));
  sync_->start(proxy_.get());
  if (const auto& overlay = overlay_catch_up_.local_overlay()) sync_->share_overlay(*overlay);
  if (sync_->eligibility() == sync::Eligibility::kWaiting) {
    apply_track(tracks_.sync_waiting());
    if (announcer_) announcer_->table_ready(false);
  }
}

// A peer's sync connection closed (CONFIRMED_ALIGNED set: and fast probes
// found no agent there): the master we follow may be gone, its host up.
void Agent::on_sync_peer_lost(const std::string& peer, std::optional<TimePoint> confirmed_aligned) {
  if (stopping_) return;
  const auto now = Clock::now();
  for (auto& in : instances_) in->driver.peer_lost(peer, confirmed_aligned, now);
}

// ------------------------------------------------------------ server overlay

// The proxy reports its overlay on connect and after every change: peers
// get it over sync, and it is what their overlays are compared with.
void Agent::on_proxy_overlay(const wire::ServerOverlay* overlay) {
  if (!overlay) {
    overlay_catch_up_.local_lost();
    return;
  }
  overlay_catch_up_.local(*overlay);
  if (sync_) sync_->share_overlay(*overlay);
  offer_overlay();
}

void Agent::offer_overlay() {
  if (!proxy_ || stopping_) return;
  const auto offer = overlay_catch_up_.offer();
  if (!offer) return;
  std::string pools;
  std::size_t entries = 0;
  for (const auto& pool : offer->pools()) {
    pools += (pools.empty() ? "" : ",") + pool.pool();
    entries += static_cast<std::size_t>(pool.entries_size());
  }
  spdlog::info("server_set_catch_up pools={} entries={}", pools, entries);
  proxy_->send_overlay(*offer);
}

}  // namespace tandem::ha
