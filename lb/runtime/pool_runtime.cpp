#include "lb/runtime/pool_runtime.h"

#include <spdlog/spdlog.h>

#include "common/address.h"
#include "lb/balance/registry.h"

namespace tandem::lb {

namespace {

boost::asio::ip::tcp::endpoint endpoint_of(const std::string& address) {
  std::string error;
  auto hp = parse_host_port(address, error);  // validated before we get here
  return hp ? boost::asio::ip::tcp::endpoint(hp->address, hp->port) : boost::asio::ip::tcp::endpoint();
}

}  // namespace

ServerRuntime::ServerRuntime(const config::Server& cfg, const config::EffectivePassiveCheck& passive_check)
    : name(cfg.name()),
      address(cfg.address()),
      endpoint(endpoint_of(cfg.address())),
      weight(config::server_weight(cfg)),
      admin_state(cfg.state()),
      passive(passive_check.max_fails, passive_check.fail_timeout) {}

PoolRuntime::PoolRuntime(const config::Pool& cfg, const std::string& node_name)
    : config_(cfg),
      health_check_(config::effective_health_check(cfg)),
      passive_(config::effective_passive_check(cfg)),
      stickiness_(config::effective_stickiness(cfg)),
      slow_start_(cfg.slow_start_ms()),
      key_(key_function(cfg.algorithm())) {
  for (const auto& s : cfg.servers()) {
    servers_.push_back(std::make_unique<ServerRuntime>(s, passive_));
    servers_.back()->send_proxy = s.send_proxy() != config::SEND_PROXY_NONE ? s.send_proxy() : cfg.send_proxy();
    sends_proxy_ = sends_proxy_ || servers_.back()->send_proxy != config::SEND_PROXY_NONE;
    servers_.back()->max_idle = config::pool_max_idle_per_server(cfg);
  }
  was_ejected_.assign(servers_.size(), false);
  ramping_.assign(servers_.size(), false);
  if (stickiness_.kind == config::Stickiness::SOURCE_IP || stickiness_.kind == config::Stickiness::LEARN_COOKIE) {
    StickTableOptions options;
    options.pool = cfg.name();
    options.node = node_name;
    options.ttl = stickiness_.ttl;
    options.max_entries = stickiness_.max_entries;
    stick_ = std::make_shared<StickTable>(options);
  }
}

int PoolRuntime::find(std::string_view name) const {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i]->name == name) return static_cast<int>(i);
  }
  return -1;
}

ServerCondition PoolRuntime::condition(ServerIndex i, SteadyTime now) const {
  const auto& s = *servers_[i];
  return {static_cast<config::ServerState>(s.admin_state.load(std::memory_order_relaxed)),
          s.healthy.load(std::memory_order_relaxed),
          s.ejected_until_ns.load(std::memory_order_relaxed) > to_ns(now)};
}

bool PoolRuntime::takes_new(ServerIndex i, SteadyTime now) const { return takes_new_clients(condition(i, now)); }

bool PoolRuntime::takes_stuck(ServerIndex i, SteadyTime now) const { return takes_stuck_clients(condition(i, now)); }

std::optional<ServerIndex> PoolRuntime::stuck_server(std::string_view name, SteadyTime now) const {
  const int i = find(name);
  if (i < 0 || !takes_stuck(static_cast<ServerIndex>(i), now)) return std::nullopt;
  return static_cast<ServerIndex>(i);
}

std::vector<ServerCondition> PoolRuntime::conditions(SteadyTime now) const {
  std::vector<ServerCondition> out;
  out.reserve(servers_.size());
  for (ServerIndex i = 0; i < servers_.size(); ++i) out.push_back(condition(i, now));
  return out;
}

bool PoolRuntime::in_panic(SteadyTime now) const { return ejections_disregarded(conditions(now)); }

std::vector<Candidate> PoolRuntime::usable(SteadyTime now) const {
  auto conditions = this->conditions(now);
  // The panic rule (lb/health/eligibility.h): ejection never empties a pool.
  const bool panic = ejections_disregarded(conditions);
  std::vector<Candidate> out;
  for (ServerIndex i = 0; i < servers_.size(); ++i) {
    if (panic) conditions[i].ejected = false;
    if (!takes_new_clients(conditions[i])) continue;
    const auto& s = *servers_[i];
    std::uint32_t weight = s.weight;
    const auto up_since = s.up_since_ns.load(std::memory_order_relaxed);
    if (slow_start_.count() > 0 && up_since > 0) {
      weight = slow_start_weight(s.weight, now - from_ns(up_since), slow_start_);
    }
    out.push_back({i, weight, s.name});
  }
  return out;
}

void PoolRuntime::report_failure(ServerIndex i, SteadyTime now, const char* cause) {
  auto& s = *servers_[i];
  s.failures.fetch_add(1, std::memory_order_relaxed);
  s.consecutive_failures.fetch_add(1, std::memory_order_relaxed);
  std::optional<Transition> change;
  {
    std::lock_guard lock(s.passive_mutex);
    change = s.passive.on_result(false, now);
  }
  if (change && change->to == Health::kDown) {
    s.ejected_until_ns.store(to_ns(s.passive.ejected_until()), std::memory_order_relaxed);
    s.ejections.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("server_ejected pool={} server={} cause=\"{}\" last_error={}", name(), s.name, change->cause, cause);
    bump();
  }
}

void PoolRuntime::report_success(ServerIndex i, SteadyTime now) {
  auto& s = *servers_[i];
  if (s.consecutive_failures.load(std::memory_order_relaxed) == 0) return;  // the common case: no lock
  s.consecutive_failures.store(0, std::memory_order_relaxed);
  std::lock_guard lock(s.passive_mutex);
  s.passive.on_result(true, now);
}

void PoolRuntime::set_healthy(ServerIndex i, bool healthy, SteadyTime now, const std::string& cause) {
  auto& s = *servers_[i];
  if (s.healthy.exchange(healthy) == healthy) return;
  s.check_cause = cause;
  if (healthy) {
    s.up_since_ns.store(to_ns(now), std::memory_order_relaxed);
    spdlog::info("server_up pool={} server={} cause=\"{}\"", name(), s.name, cause);
  } else {
    spdlog::warn("server_down pool={} server={} cause=\"{}\"", name(), s.name, cause);
  }
  bump();
}

void PoolRuntime::set_admin_state(ServerIndex i, config::ServerState state) {
  auto& s = *servers_[i];
  const int old = s.admin_state.exchange(state);
  if (old == state) return;
  spdlog::info("server_admin_state pool={} server={} from={} to={}", name(), s.name,
               config::ServerState_Name(static_cast<config::ServerState>(old)), config::ServerState_Name(state));
  bump();
}

void PoolRuntime::tick(SteadyTime now) {
  bool changed = false;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    auto& s = *servers_[i];
    const auto until = s.ejected_until_ns.load(std::memory_order_relaxed);
    const bool ejected = until > to_ns(now);
    if (was_ejected_[i] && !ejected) {
      spdlog::info("server_reintroduced pool={} server={} cause=\"ejection cool-down over\"", name(), s.name);
      s.up_since_ns.store(to_ns(now), std::memory_order_relaxed);
      changed = true;
    }
    was_ejected_[i] = ejected;
    // Slow start: rebuild balancers while a weight is still ramping.
    const auto up_since = s.up_since_ns.load(std::memory_order_relaxed);
    const bool ramping = slow_start_.count() > 0 && up_since > 0 && now - from_ns(up_since) < slow_start_;
    if (ramping || ramping_[i]) changed = true;
    ramping_[i] = ramping;
  }
  // The panic rule: logged and counted on entry, logged on exit.
  const bool panic = in_panic(now);
  if (panic != was_panic_) {
    if (panic) {
      panics_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("pool_panic pool={} on=true cause=\"every server that passes its checks is ejected; "
                   "balancing over the ejected ones\"", name());
    } else {
      spdlog::info("pool_panic pool={} on=false cause=\"a server takes new clients again\"", name());
    }
    was_panic_ = panic;
  }
  if (stick_) stick_->expire(now);
  if (changed) bump();
}

void PoolRuntime::inherit(const PoolRuntime& old) {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    auto& s = servers_[i];
    const int j = old.find(s->name);
    // A server new to the pool (a runtime add, DNS, a reload) ramps up
    // like one back from an ejection.
    const bool fresh = j < 0 || old.server(static_cast<ServerIndex>(j)).address != s->address;
    if (fresh) {
      if (slow_start_.count() > 0) s->up_since_ns.store(to_ns(std::chrono::steady_clock::now()));
      continue;
    }
    const auto& o = old.server(static_cast<ServerIndex>(j));
    s->healthy.store(o.healthy.load());
    s->ejected_until_ns.store(o.ejected_until_ns.load());
    s->up_since_ns.store(o.up_since_ns.load());
    s->check_cause = o.check_cause;
    // An operator's drain/disable survives a reload unless the file itself
    // changed that server's state.
    if (old.config_.servers(j).state() == config_.servers(static_cast<int>(i)).state()) {
      s->admin_state.store(o.admin_state.load());
    }
    s->requests.store(o.requests.load());
    s->failures.store(o.failures.load());
  }
  // Same stickiness settings: keep the learned table (the sessions live on).
  if (old.stick_ && stick_ && old.stickiness_.kind == stickiness_.kind &&
      old.stickiness_.ttl == stickiness_.ttl && old.stickiness_.max_entries == stickiness_.max_entries) {
    stick_ = old.stick_;
  }
  bump();
}

}  // namespace tandem::lb
