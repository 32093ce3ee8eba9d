#include "ha/agent/agent.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <variant>

#include <spdlog/spdlog.h>

#include "ha/advert/peer_sequence_file.h"
#include "ha/advert/advert_mapping.h"
#include "ha/control/control_client.h"
#include "ha/track/serving.h"
#include "ha/agent/state_file.h"
#include "config/control_endpoints.h"
#include "config/loader.h"

namespace tandem::ha {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t unix_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

long long to_ms(Duration d) { return std::chrono::duration_cast<Milliseconds>(d).count(); }

std::set<std::string> node_names(const config::Cluster& cluster) {
  std::set<std::string> names;
  for (const auto& n : cluster.nodes()) names.insert(n.name());
  return names;
}

// What the verifier checks beyond signature and sequence (advert_codec.h).
AdvertChecks advert_checks(const config::Cluster& cluster, const HaSettings& settings) {
  AdvertChecks checks;
  for (const auto& n : cluster.nodes()) checks.node_addresses[n.name()] = node_address(n);
  checks.max_clock_skew_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(settings.max_clock_skew).count());
  return checks;
}

constexpr Milliseconds kLinkPoll{100};
constexpr std::chrono::milliseconds kDropWarnEvery{10000};

}  // namespace

struct Agent::Instance {
  Instance(asio::io_context& io, VipManager& vips, const std::string& ifname, InstancePlan p,
           AnnounceSettings announce)
      : plan(std::move(p)),
        machine(plan.machine),
        vip(io, vips, plan.machine.instance_name, ifname, plan.vips, announce),
        timer(io) {}

  const std::string& name() const { return plan.machine.instance_name; }

  InstancePlan plan;
  InstanceMachine machine;
  VipHolder vip;
  asio::steady_timer timer;
  std::uint64_t timer_generation = 0;
  std::vector<std::string> listeners;       // carrying the VIPs (ha/track/serving.h)
  std::optional<std::string> serving_why;   // the can-serve fact last given: "" = can serve
  std::optional<std::vector<std::string>> quorum_heard;  // last given to quorum_update
  std::optional<TimePoint> armed_for;
  std::uint64_t since_unix_ms = 0;
};

Agent::Agent(const config::Cluster& cluster, std::string node, KeyRing keys)
    : cluster_(cluster),
      node_(std::move(node)),
      keys_(std::move(keys)),
      settings_(ha_settings(cluster_)),
      verifier_(keys_.signing, node_, node_names(cluster_), advert_checks(cluster_, settings_)),
      notifier_(io_, settings_.notify, settings_.notify_timeout),
      signals_(io_),
      link_timer_(io_) {
  verifier_.set_keys(keys_);  // both keys during a rotation
  node_config_ = config::find_node(cluster_, node_);
  if (!node_config_) throw std::invalid_argument("no node '" + node_ + "' in the cluster file");
  if (node_config_->interface().empty())
    throw std::invalid_argument("node '" + node_ + "' has no `interface` (the LAN interface for adverts and VIPs)");
  origin_.node = node_;
  origin_.boot_id = new_boot_id();

  AdvertChannelConfig ac;
  ac.interface = node_config_->interface();
  ac.local_address = node_address(*node_config_);
  ac.port = settings_.port;
  ac.unicast = settings_.unicast;
  ac.group = settings_.multicast_group;
  for (const auto& n : cluster_.nodes())
    if (n.name() != node_) ac.unicast_peers.push_back(node_address(n));
  channel_ = std::make_unique<AdvertChannel>(io_, std::move(ac));
  sequences_ = std::make_unique<SequenceKeeper>(io_, peer_sequence_path(node_config_->state_file()), verifier_);
}

Agent::~Agent() = default;

// ------------------------------------------------------------------ start-up

void Agent::start_up() {
  started_ = Clock::now();
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  wait_signal();
  ::signal(SIGPIPE, SIG_IGN);

  std::string error;
  // Another agent for this node must not have its VIPs and sockets pulled
  // away: if its control socket answers, refuse to start.
  if (const auto& path = node_config_->control_socket(); !path.empty()) {
    wire::ControlRequest probe;
    probe.mutable_status();
    std::string probe_error;
    if (control_exchange(path, probe, std::chrono::milliseconds{500}, probe_error))
      throw std::runtime_error("another ha-agent answers on " + path + "; not starting a second one");
  }
  owns_node_ = true;
  vips_ = VipManager::open(error);
  if (!vips_) throw std::runtime_error("rtnetlink: " + error);

  const std::string& ifname = node_config_->interface();
  AnnounceSettings announce{settings_.garp_count, settings_.garp_interval, settings_.garp_refresh};
  std::vector<Prefix> configured;
  for (auto& plan : plan_instances(cluster_, node_)) {
    for (const auto& p : plan.vips) configured.push_back(p);
    plan.machine.repeat_adverts = true;  // every advert twice (instance_machine.h, "Repeats")
    instances_.push_back(std::make_unique<Instance>(io_, *vips_, ifname, std::move(plan), announce));
    instances_.back()->listeners = listeners_for_vips(cluster_, *node_config_, instances_.back()->plan.vips);
  }

  // A VIP left behind by a crash of this agent goes first.
  auto removed = vips_->remove_leftovers(ifname, configured, error);
  if (!removed) throw std::runtime_error("removing leftover VIPs on " + ifname + ": " + error);
  for (const auto& p : *removed)
    spdlog::warn("leftover_vip_removed vip={} interface={}", format_prefix(p), ifname);
  if (removed->empty()) spdlog::info("leftover_vips none interface={}", ifname);

  sequences_->load(verifier_);  // before the first advert is read
  channel_->open();
  channel_->start([this](std::string_view bytes, const boost::asio::ip::udp::endpoint& from) {
    on_datagram(bytes, from);
  });
  spdlog::info("advert_socket_open mode={} group={} port={} interface={}",
               settings_.unicast ? "unicast" : "multicast",
               settings_.unicast ? std::string("-") : settings_.multicast_group.to_string(), settings_.port, ifname);

  if (!node_config_->control_socket().empty()) {
    control_ = std::make_unique<ControlServer>(
        io_, node_config_->control_socket(),
        [this](const wire::ControlRequest& request) { return handle_control(request); });
    control_->start();
  }
  if (!node_config_->local_channel().empty()) {
    proxy_ = std::make_unique<ProxyChannel>(io_, node_config_->local_channel(), settings_.proxy_heartbeat,
                                            settings_.proxy_dead_after, [this]() { on_proxy_change(); });
    proxy_->start();
  } else {
    spdlog::warn("proxy_tracking off reason=\"node has no local_channel\"");
  }
  if (!node_config_->agent_admin().empty()) {
    auto hp = parse_host_port(node_config_->agent_admin(), error);
    if (!hp) throw std::runtime_error("agent_admin: " + error);
    admin_ = std::make_unique<AdminHttp>(io_, boost::asio::ip::tcp::endpoint(hp->address, hp->port),
                                         [this](const std::string& path) { return handle_admin(path); });
    admin_->start();
  }

  start_remote_control();
  start_sync();

  // The link's state before the machines start, so a dead link starts FAULT.
  poll_link();
  start_machines();

  for (const auto& ts : track_scripts(cluster_)) {
    const std::string track = "script:" + ts.name;
    tracks_[track] = TrackView{track, true, ts.weight};
    auto script = std::make_unique<TrackScript>(io_, ts, [this, track, weight = ts.weight](bool healthy,
                                                                                           const std::string& detail) {
      apply_track(track, healthy, weight, detail);
    });
    script->start();
    scripts_.push_back(std::move(script));
  }

  std::string names;
  for (const auto& in : instances_) names += (names.empty() ? "" : ",") + in->name();
  spdlog::info("ready node={} instances={} boot_id={}", node_, names.empty() ? "-" : names, origin_.boot_id);
  running_ = true;
  write_state_file(true);
}

// The authenticated remote control endpoint, and the status page on the
// admin listener that aggregates every node's endpoint.
void Agent::start_remote_control() {
  remote_ = std::make_unique<RemoteControl>(
      io_, boost::asio::ip::tcp::endpoint(node_address(*node_config_), config::control_port(cluster_)),
      keys_, node_, node_config_->proxy_admin(), [this](const wire::ControlRequest& request) { return handle_control(request); });
  remote_->start();
  if (!admin_) return;
  status_page_ = std::make_unique<StatusPage>(cluster_.name(), config::control_targets(cluster_), keys_, node_);
  admin_->set_async_handler([this](std::string path) { return status_page_->handle(std::move(path)); });
  admin_->set_extra_metrics([this]() { return remote_->metrics_text(); });
}

void Agent::start_machines() {
  const auto now = Clock::now();
  update_serving(now);  // before start: a node starts unable to serve until its proxy says so
  for (auto& in : instances_) {
    in->since_unix_ms = unix_now_ms();
    perform(*in, in->machine.start(now), now);
    arm(*in);
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
    release_everything();
    running_ = false;
    write_state_file(false);
    sequences_->flush();
    if (control_) control_->stop();
    if (remote_) remote_->stop();
    if (sync_) sync_->stop();
    if (proxy_) proxy_->stop();
    return 1;
  }
}

// ------------------------------------------------------------------ events

void Agent::on_datagram(std::string_view bytes, const boost::asio::ip::udp::endpoint& from) {
  if (stopping_) return;
  auto verdict = verifier_.verify(bytes, from.address());
  if (auto* reason = std::get_if<DropReason>(&verdict)) {
    note_drop(*reason, from);
    return;
  }
  sequences_->changed();
  const auto& wire_advert = std::get<wire::Advert>(verdict);
  Instance* target = nullptr;
  for (auto& in : instances_)
    if (in->name() == wire_advert.instance_id()) target = in.get();
  if (!target) {
    nodes_heard_.heard(wire_advert.node(), Clock::now());
    ++traffic_.not_ours;
    spdlog::debug("advert_ignored reason=not_ours instance={} node={}", wire_advert.instance_id(), wire_advert.node());
    return;
  }
  auto advert = to_machine(wire_advert);
  if (!advert) {
    ++traffic_.not_ours;
    spdlog::debug("advert_ignored reason=unrepresentable node={} priority={}", wire_advert.node(),
                  wire_advert.priority());
    return;
  }
  const auto now = Clock::now();
  nodes_heard_.heard(wire_advert.node(), now);
  update_quorum(now);
  perform(*target, target->machine.advert_received(*advert, now), now);
  arm(*target);
}

void Agent::note_drop(DropReason reason, const boost::asio::ip::udp::endpoint& from) {
  spdlog::debug("advert_dropped reason={} from={}", to_string(reason), from.address().to_string());
  auto& limit = drop_warned_.try_emplace(reason, kDropWarnEvery).first->second;
  if (const auto since = limit.note(Clock::now())) {
    spdlog::warn("adverts_dropped reason={} count={} last_from={} total={}", to_string(reason), since,
                 from.address().to_string(), verifier_.counters().dropped(reason));
  }
}

void Agent::arm(Instance& in) {
  const auto deadline = in.machine.next_deadline();
  if (deadline == in.armed_for) return;
  in.armed_for = deadline;
  const std::uint64_t generation = ++in.timer_generation;
  if (!deadline) {
    in.timer.cancel();
    return;
  }
  in.timer.expires_at(*deadline);
  in.timer.async_wait([this, &in, generation](const boost::system::error_code& ec) {
    if (ec || generation != in.timer_generation || stopping_) return;
    in.armed_for.reset();
    on_timer(in);
  });
}

void Agent::on_timer(Instance& in) {
  // Stall tolerance: adverts that arrived while we were not scheduled are
  // delivered before the timer is acted on, so a pause never fakes a failover.
  const std::size_t drained = channel_->drain();
  if (drained > 0) spdlog::debug("timer_drained instance={} adverts={}", in.name(), drained);
  const auto now = Clock::now();
  perform(in, in.machine.timer_fired(now), now);
  arm(in);
}

void Agent::apply_track(const std::string& name, bool healthy, unsigned weight, const std::string& detail) {
  if (stopping_) return;
  if (auto it = tracks_.find(name); it != tracks_.end()) it->second.healthy = healthy;
  spdlog::log(healthy ? spdlog::level::info : spdlog::level::warn, "track name={} healthy={} effect={} detail=\"{}\"",
              name, healthy, weight == 0 ? "fault" : "priority -" + std::to_string(weight), detail);
  const auto now = Clock::now();
  for (auto& in : instances_) {
    Actions actions;
    if (weight == 0) {
      actions = healthy ? in->machine.tracked_recovery(name, now) : in->machine.tracked_failure(name, now);
    } else {
      actions = in->machine.priority_adjust(name, healthy ? 0 : weight, now);
    }
    perform(*in, actions, now);
    arm(*in);
  }
}

void Agent::update_serving(TimePoint now) {
  if (!proxy_) return;  // no proxy tracked: every instance can serve
  const auto& liveness = proxy_->liveness();
  const std::string dead = liveness.why_dead(now);
  for (auto& in : instances_) {
    const auto verdict = instance_serving(in->listeners, liveness.last_report(), dead.empty(), dead);
    if (in->serving_why == verdict.why) continue;
    in->serving_why = verdict.why;
    spdlog::log(verdict.can_serve ? spdlog::level::info : spdlog::level::warn,
                "serving instance={} can_serve={} why=\"{}\"", in->name(), verdict.can_serve, verdict.why);
    perform(*in, in->machine.serving_update(verdict.can_serve, verdict.why, now), now);
    arm(*in);
  }
}

void Agent::update_quorum(TimePoint now) {
  for (auto& in : instances_) {
    if (!in->plan.machine.quorum) continue;
    auto heard = nodes_heard_.within(master_down_interval(in->plan.machine.advert_interval, kMinPriority), now);
    if (in->quorum_heard == heard) continue;
    in->quorum_heard = heard;
    perform(*in, in->machine.quorum_update(std::move(heard), now), now);
    arm(*in);
  }
}

void Agent::on_proxy_change() {
  if (!proxy_ || stopping_) return;
  const auto now = Clock::now();
  if (running_) update_serving(now);
  const std::string why = proxy_->liveness().why_dead(now);
  const bool alive = why.empty();
  if (alive == proxy_alive_applied_) return;
  proxy_alive_applied_ = alive;
  apply_track("proxy", alive, settings_.proxy_weight, alive ? "heartbeats and serving" : why);
}

void Agent::poll_link() {
  if (stopping_) return;
  std::string error;
  auto up = vips_->link_is_up(node_config_->interface(), error);
  if (!up) spdlog::debug("link_check_failed interface={} error=\"{}\"", node_config_->interface(), error);
  const bool is_up = up.value_or(false);
  if (!link_up_applied_ || *link_up_applied_ != is_up) {
    tracks_["link"] = TrackView{"link", is_up, 0};
    if (link_up_applied_ || !is_up)
      apply_track("link", is_up, 0, is_up ? node_config_->interface() + " up" :
                                             node_config_->interface() + " down" + (error.empty() ? "" : ": " + error));
    link_up_applied_ = is_up;
  }
  if (running_) update_quorum(Clock::now());  // nodes fall silent without an event
  link_timer_.expires_after(kLinkPoll);
  link_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_link();
  });
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
  verifier_.set_keys(keys_);
  if (remote_) remote_->set_keys(keys_);
  if (status_page_) status_page_->set_keys(keys_);
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

// ------------------------------------------------------------------ actions

void Agent::send_advert(Instance& in, const SendAdvert& send) {
  const auto advert =
      to_wire(send, in.name(), in.plan.machine.advert_interval, origin_, sequence_.next(), send.repeat_delay);
  std::string error;
  const std::size_t failed = channel_->send(encode_advert(advert, keys_.signing), error);
  traffic_.sent = channel_->sent();
  if (failed) {
    traffic_.send_errors += failed;
    spdlog::log(traffic_.send_errors % 100 == 1 ? spdlog::level::warn : spdlog::level::debug,
                "advert_send_failed instance={} errors_total={} error=\"{}\"", in.name(), traffic_.send_errors,
                error);
  }
  if (send.priority == 0)
    spdlog::info("advert_resign instance={} state={} successor={}", in.name(), to_string(send.state),
                 send.successor.value_or("-"));
}

// Every advert goes out twice: the machine decides the copies
// (ha/failover/instance_machine.h, "Repeats").
void Agent::perform(Instance& in, const Actions& actions, TimePoint now) {
  (void)now;
  bool burst_started = false;
  bool transitioned = false;
  for (const auto& action : actions) {
    if (const auto* send = std::get_if<SendAdvert>(&action)) {
      send_advert(in, *send);
    } else if (std::holds_alternative<ClaimVip>(action)) {
      in.vip.claim();
      burst_started = true;
    } else if (std::holds_alternative<ReleaseVip>(action)) {
      in.vip.release();
    } else if (std::holds_alternative<SendGratuitousArp>(action)) {
      // A claim just started a burst whose first announcement went out now.
      if (!burst_started) in.vip.announce_now("machine");
    } else if (const auto* t = std::get_if<Transition>(&action)) {
      spdlog::info("transition instance={} from={} to={} cause=\"{}\"", in.name(), to_string(t->from),
                   to_string(t->to), t->cause);
      ++transition_counts_[{in.name(), std::string(to_string(t->to))}];
      in.since_unix_ms = unix_now_ms();
      notifier_.notify(NotifyEvent{in.name(), std::string(to_string(t->from)), std::string(to_string(t->to)),
                                   t->cause, node_});
      transitioned = true;
    } else if (const auto* stall = std::get_if<Stall>(&action)) {
      ++stalls_;
      spdlog::warn("stall instance={} gap_ms={} late_ms={} message=\"scheduler stall of {} ms\"", in.name(),
                   to_ms(stall->gap), to_ms(stall->late), to_ms(stall->late));
    } else if (const auto* notice = std::get_if<Notice>(&action)) {
      spdlog::info("notice instance={} text=\"{}\"", in.name(), notice->text);
    }
  }
  if (transitioned && proxy_) {
    const std::string role = overall_role();
    if (role != last_role_) {
      last_role_ = role;
      proxy_->send_role(role);
    }
  }
  if (running_) write_state_file(true);
}

std::string Agent::overall_role() const {
  bool fault = false, backup = false;
  for (const auto& in : instances_) {
    if (in->machine.state() == State::kMaster) return "MASTER";
    fault = fault || in->machine.state() == State::kFault;
    backup = backup || in->machine.state() == State::kBackup;
  }
  return fault ? "FAULT" : backup ? "BACKUP" : "INIT";
}

void Agent::write_state_file(bool running) {
  const std::string& path = node_config_->state_file();
  if (path.empty()) return;
  std::vector<StateFileRow> rows;
  for (const auto& in : instances_) {
    const Status s = in->machine.status();
    rows.push_back(StateFileRow{in->name(), s.state, s.effective_priority, s.master.value_or(""), in->since_unix_ms});
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

void Agent::release_everything() {
  for (auto& in : instances_) {
    for (const auto& prefix : in->vip.prefixes()) {
      if (!vips_) break;
      std::string error;
      auto present = vips_->present(node_config_->interface(), prefix, error);
      if (present && !*present) continue;
      if (vips_->remove(node_config_->interface(), prefix, error)) {
        spdlog::info("vip_removed instance={} vip={} interface={} why=exit", in->name(), format_prefix(prefix),
                     node_config_->interface());
      } else {
        spdlog::error("vip_remove_failed instance={} vip={} error=\"{}\"", in->name(), format_prefix(prefix), error);
      }
    }
  }
}

void Agent::shutdown(const std::string& why) {
  if (stopping_) return;
  spdlog::info("stopping signal={}", why);
  const auto now = Clock::now();
  for (auto& in : instances_) perform(*in, in->machine.shutdown(now), now);
  stopping_ = true;
  for (auto& in : instances_) {
    ++in->timer_generation;
    in->timer.cancel();
  }
  release_everything();
  running_ = false;
  write_state_file(false);
  sequences_->flush();
  sequences_->stop();
  for (auto& s : scripts_) s->stop();
  if (control_) control_->stop();
  if (remote_) remote_->stop();
  if (sync_) sync_->stop();
  if (proxy_) proxy_->stop();
  if (admin_) admin_->stop();
  channel_->close();
  signals_.cancel();
  link_timer_.cancel();
  spdlog::info("stopped node={} state_file=stale", node_);
  io_.stop();
}

// ------------------------------------------------------------------ status

wire::StatusResponse Agent::status() {
  StatusInputs in;
  in.node = node_;
  in.started = started_;
  in.now = Clock::now();
  in.now_unix_ms = unix_now_ms();
  for (auto& inst : instances_) {
    in.instances.push_back(InstanceView{inst->machine.status(), inst->plan.vip_texts, inst->vip.held()});
  }
  if (proxy_) {
    const auto& l = proxy_->liveness();
    in.proxy = ProxyView{l.is_connected(), l.serving(), l.alive(in.now), l.last_heartbeat()};
  }
  for (const auto& [name, view] : tracks_) in.tracks.push_back(view);
  in.adverts = traffic_;
  in.adverts.verifier = verifier_.counters();
  in.adverts.sent = channel_->sent();
  in.stalls = stalls_;
  auto out = build_status(in);
  if (sync_) *out.mutable_sync() = sync_->status(in.now);
  return out;
}

wire::ControlResponse Agent::handle_control(const wire::ControlRequest& request) {
  wire::ControlResponse response;
  if (request.has_status()) {
    *response.mutable_status() = status();
    return response;
  }
  if (!request.has_switchover()) {
    response.set_error("empty request: set `status` or `switchover`");
    return response;
  }
  const auto& sw = request.switchover();
  auto* out = response.mutable_switchover();
  const std::optional<std::string> to = sw.to().empty() ? std::nullopt : std::optional<std::string>(sw.to());
  bool matched = false;
  for (auto& in : instances_) {
    if (!sw.instance().empty() && in->name() != sw.instance()) continue;
    if (sw.instance().empty() && in->machine.state() != State::kMaster) continue;
    matched = true;
    const bool was_master = in->machine.state() == State::kMaster;
    const auto now = Clock::now();
    const Actions actions = in->machine.switchover_requested(to, now);
    spdlog::info("switchover_requested instance={} to={}", in->name(), to.value_or("-"));
    std::string message = in->name() + ": ";
    std::optional<std::string> successor;
    for (const auto& a : actions) {
      if (const auto* n = std::get_if<Notice>(&a)) message += n->text + "; ";
      if (const auto* s = std::get_if<SendAdvert>(&a); s && s->priority == 0) successor = s->successor;
    }
    perform(*in, actions, now);
    arm(*in);
    const bool handed_over = was_master && in->machine.state() != State::kMaster;
    if (handed_over) {
      out->set_accepted(true);
      message += "handed over to " + successor.value_or("the best backup");
    } else if (message.size() >= 2 && message.ends_with("; ")) {
      message.resize(message.size() - 2);
    } else {
      message += "not handed over (state " + std::string(to_string(in->machine.state())) + ")";
    }
    out->add_messages(message);
  }
  if (!matched) {
    out->add_messages(sw.instance().empty() ? "this node is master of no instance"
                                            : "no instance '" + sw.instance() + "' on this node");
  }
  return response;
}

AdminReply Agent::handle_admin(const std::string& path) {
  if (path == "/metrics") {
    return AdminReply{200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(status(), transition_counts_)};
  }
  if (path == "/status") return AdminReply{200, "application/json", status_json(status()) + "\n"};
  return AdminReply{404, "text/plain; charset=utf-8", "not found: try /metrics or /status\n"};
}

// ------------------------------------------------------------------ stick sync

// Stick-table sync (ha/agent/stick_sync.h). Its eligibility verdict (the
// rule: ha/sync/sync_eligibility.h) maps onto two tracks: "sync" (fault mode)
// fails while waiting, so a node restarted from nothing stays FAULT;
// "sync_table" (weight mode) lowers a node in last resort to priority 1.
void Agent::start_sync() {
  StickSyncHooks hooks;
  hooks.connection_lost = [this](const std::string& peer) { on_sync_peer_lost(peer, std::nullopt); };
  hooks.confirmed_down = [this](const std::string& peer, TimePoint aligned) { on_sync_peer_lost(peer, aligned); };
  hooks.eligibility = [this](sync::Eligibility verdict, const std::string& why) {
    const bool last_resort = verdict == sync::Eligibility::kLastResort;
    // The priority drops before the node leaves FAULT, never after.
    if (last_resort || tracks_.contains("sync_table")) {
      tracks_["sync_table"] = TrackView{"sync_table", !last_resort, kMaxPriority};
      apply_track("sync_table", !last_resort, kMaxPriority, std::string(sync::to_string(verdict)) + ": " + why);
    }
    tracks_["sync"] = TrackView{"sync", true, 0};
    if (sync_gate_failed_) apply_track("sync", true, 0, std::string(sync::to_string(verdict)) + ": " + why);
    sync_gate_failed_ = false;
  };
  auto sync_settings = stick_sync_settings(cluster_, node_, keys_.signing);
  sync_settings.next_key = keys_.other;
  sync_ = std::make_unique<StickSync>(io_, std::move(sync_settings), std::move(hooks));
  sync_->start(proxy_.get());
  if (sync_->eligibility() == sync::Eligibility::kWaiting) {
    sync_gate_failed_ = true;
    tracks_["sync"] = TrackView{"sync", false, 0};
    apply_track("sync", false, 0, "waiting for the initial sync from peers and its hand-over to the proxy");
  }
}

// A peer's sync connection closed (CONFIRMED_ALIGNED set: and fast probes
// found no agent there): the master we follow may be gone, its host up.
void Agent::on_sync_peer_lost(const std::string& peer, std::optional<TimePoint> confirmed_aligned) {
  if (stopping_) return;
  const auto now = Clock::now();
  for (auto& in : instances_) {
    perform(*in,
            confirmed_aligned ? in->machine.peer_confirmed_down(peer, *confirmed_aligned, now)
                              : in->machine.peer_connection_lost(peer, now),
            now);
    arm(*in);
  }
}

}  // namespace tandem::ha
