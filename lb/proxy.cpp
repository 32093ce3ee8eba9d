#include "lb/proxy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

#include <sys/resource.h>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "common/address.h"
#include "common/key_ring.h"
#include "common/owned_io_context.h"
#include "config/loader.h"
#include "lb/admin/admin_server.h"
#include "lb/agent_link/agent_link.h"
#include "lb/discovery/discovered_cluster.h"
#include "lb/limits/fd_budget.h"
#include "lb/runtime/dns_resolver.h"
#include "lb/runtime/etcd_watcher.h"
#include "lb/observe/access_log_settings.h"
#include "lb/runtime/health_checker.h"
#include "lb/runtime/worker.h"
#include "lb/server_set/server_set_store.h"
#include "lb/tls/server_context.h"
#include "lb/tls/upstream_context.h"

namespace tandem::lb {

struct Proxy::Impl {
  explicit Impl(ProxyOptions o) : options(std::move(o)), signals(control, SIGTERM, SIGINT, SIGHUP), tick_timer(control) {
    signals.add(SIGUSR1);  // reopen the access log (logrotate), as nginx does
  }

  // Handlers still on the control loop at exit (admin connections, health
  // checks, the agent link) are destroyed while the members they touch
  // live, before the members go (common/owned_io_context.h). The DNS
  // resolver's thread posts to the loop: it stops first.
  ~Impl() {
    dns.reset();
    control.destroy_handlers();
  }

  ProxyOptions options;
  OwnedIoContext control{1};
  asio::signal_set signals;
  asio::steady_timer tick_timer;
  std::vector<std::unique_ptr<Worker>> workers;
  std::shared_ptr<const Generation> generation;  // control thread only
  std::unique_ptr<HealthChecker> health;
  std::unique_ptr<AdminServer> admin;
  std::unique_ptr<AgentLink> agent_link;
  std::optional<ServerSetStore> server_sets;  // the file, the overlay, their merge
  DiscoveredSets discovered;                  // pools' servers from DNS and etcd (control thread)
  std::unique_ptr<DnsResolver> dns;           // its own thread; null when no pool has `dns`
  std::vector<DnsTarget> dns_targets;         // what it was started with
  std::unique_ptr<EtcdWatcher> etcd;          // its own thread; null when no pool has `etcd`
  std::vector<EtcdTarget> etcd_targets;       // what it was started with
  // An etcd pool's set version (the etcd revision it reflects) and its
  // refused keys, for /status; DNS sets have no version (0).
  std::map<std::string, EtcdUpdate> etcd_facts;
  tls::TlsLoad current_tls;  // the TLS listeners' contexts, kept across runtime server changes
  tls::UpstreamTlsLoad current_upstream_tls;  // the pools' TLS to servers, likewise
  // Generations that open connections may still use (keep-alive clients
  // keep the one they started with): a server removed later is retired in
  // each of them too.
  std::vector<std::weak_ptr<const Generation>> older_generations;
  // Outlives the workers' buffers (they hold it too) and writes their last lines.
  std::shared_ptr<observe::AccessLogWriter> access_log = std::make_shared<observe::AccessLogWriter>();
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
  bool draining = false;
  int exit_code = 0;
  limits::FdLimitPlan fd_limit;  // what the start did with RLIMIT_NOFILE

  ProcessFacts facts() const {
    ProcessFacts f;
    f.node = options.node;
    f.workers = static_cast<unsigned>(workers.size());
    for (const auto& w : workers) f.open_connections += w->open_sessions();
    f.fd_limit = fd_limit.soft;
    f.fds_needed = fd_limit.needed;
    f.reloads = reloads;
    f.reload_failures = reload_failures;
    f.draining = draining;
    if (server_sets)
      for (const auto& p : server_sets->base().pools()) f.server_sets[p.name()] = server_sets->report(p.name());
    // A discovered pool's set is what DNS or etcd gave (or the file's until
    // then): its digest covers what the node balances over, so lbctl status
    // compares nodes on that, not on the overlay the pool ignores.
    if (generation)
      for (const auto& p : generation->cluster.pools()) {
        const auto source = discovery_source(p);
        if (source.empty()) continue;
        auto& report = f.server_sets[p.name()];
        report.Clear();
        report.set_source(source);
        std::vector<DiscoveredServer> running;
        for (const auto& s : p.servers())
          running.push_back(DiscoveredServer{s.name(), s.address(), s.has_weight() ? s.weight() : 1, s.state()});
        report.set_digest(discovered_digest(running));
        report.set_servers(static_cast<std::uint32_t>(running.size()));
        if (const auto it = etcd_facts.find(p.name()); it != etcd_facts.end()) {
          report.set_version(static_cast<std::uint64_t>(it->second.revision));
          report.set_refused_keys(it->second.refused_keys);
        }
      }
    f.access_log_enabled = access_log->enabled();
    f.access_log = access_log->counters();
    return f;
  }

  void start(const config::Cluster& cluster) {
    auto tls = tls::load_listener_tls(cluster, options.config_path, nullptr, ticket_secrets(cluster));
    if (!tls.problems.empty()) throw std::runtime_error(config::format_problems(tls.problems));
    auto upstream_tls = tls::load_upstream_tls(cluster, options.config_path, nullptr);
    if (!upstream_tls.problems.empty()) throw std::runtime_error(config::format_problems(upstream_tls.problems));
    current_tls = std::move(tls);
    adopt_upstream_tls(std::move(upstream_tls));
    std::vector<config::Problem> problems;
    server_sets = ServerSetStore::load(cluster, options.node, options.config_path, problems);
    if (!server_sets) throw std::runtime_error(config::format_problems(problems));
    auto first = build_generation(running_cluster(), options.node, nullptr, 1);
    attach_tls(*first, current_tls, current_upstream_tls);
    generation = first;
    unsigned count = options.workers ? options.workers : generation->node.workers();
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    configure_access_log(generation->cluster, true);
    raise_fd_limit(*generation, count);
    for (unsigned i = 0; i < count; ++i) {
      workers.push_back(std::make_unique<Worker>(i, options.node));
      workers.back()->open(generation);
      workers.back()->attach_access_log(access_log);
    }
    if (!generation->node.proxy_admin().empty()) {
      std::string error;
      auto hp = parse_host_port(generation->node.proxy_admin(), error);
      admin = std::make_unique<AdminServer>(control, tcp::endpoint(hp->address, hp->port),
                                            AdminHandlers{[this] { return generation; }, [this] { return facts(); },
                                                          [this](const std::string& pool, std::string_view query) {
                                                            return change_servers(pool, query);
                                                          }},
                                            AdminPolicy(admin_keys(cluster, true), {options.node}));
    }
    health = std::make_unique<HealthChecker>(control, generation);
    start_dns(cluster);
    start_etcd(cluster);
    start_agent_link();
    for (auto& w : workers) w->start();
    wait_signal();
    schedule_tick();
    std::string binds;
    for (const auto& l : generation->listeners) binds += (binds.empty() ? "" : ",") + l->config.name() + "@" + l->bind;
    spdlog::info("ready node={} workers={} listeners={} admin={}", options.node, workers.size(), binds,
                 generation->node.proxy_admin().empty() ? "off" : generation->node.proxy_admin());
  }

  // RLIMIT_NOFILE: the soft limit up to the hard one, before any listener
  // opens (a default soft 1024 holds about 500 proxied connections), and
  // again on every reload.
  void raise_fd_limit(const Generation& gen, unsigned worker_count) {
    limits::FdDemand demand;
    demand.workers = worker_count;
    for (const auto& l : gen.listeners) demand.listener_max_connections.push_back(l->max_connections);
    for (const auto& p : gen.pools) demand.servers += p->servers().size();
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    std::uint64_t nr_open = 1048576;  // the kernel's default fs.nr_open
    if (std::ifstream f("/proc/sys/fs/nr_open"); f) f >> nr_open;
    const auto as_u64 = [](rlim_t v) { return v == RLIM_INFINITY ? limits::kUnlimited : std::uint64_t{v}; };
    fd_limit = limits::plan_fd_limit(demand, as_u64(now.rlim_cur), as_u64(now.rlim_max), nr_open);
    if (fd_limit.raise()) {
      rlimit raised = now;
      raised.rlim_cur = static_cast<rlim_t>(fd_limit.soft);
      if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        spdlog::warn("fd_limit_not_raised soft={} wanted={} error=\"{}\"", fd_limit.soft_before, fd_limit.soft,
                     std::strerror(errno));
        fd_limit.soft = fd_limit.soft_before;
        fd_limit.enough = fd_limit.soft >= fd_limit.needed;
        fd_limit.connections = limits::connections_within(fd_limit.soft, demand);
      }
    }
    spdlog::info("fd_limit soft={} was={} hard={} needed={} connections={}", fd_limit.soft, fd_limit.soft_before,
                 fd_limit.hard == limits::kUnlimited ? std::string("unlimited") : std::to_string(fd_limit.hard),
                 fd_limit.needed, fd_limit.connections);
    if (!fd_limit.enough) spdlog::warn("fd_limit_short {}", fd_limit.shortfall());
  }

  // The cluster the generations are built from: the file, the runtime
  // overlay, then the pools' servers from DNS.
  config::Cluster running_cluster() const { return with_discovered(server_sets->merged(), discovered); }

  // (Re)starts DNS discovery for the pools of CLUSTER with a `dns` block.
  // Answers arrive on the resolver's thread and are posted here, so the
  // configuration stays a control-thread affair.
  void start_dns(const config::Cluster& cluster) {
    dns.reset();
    auto targets = DnsResolver::targets_of(cluster);
    dns_targets = targets;
    if (targets.empty()) return;
    for (const auto& t : targets)
      spdlog::info("dns_discovery pool={} name={} type={} resolver={}", t.pool, t.dns.name(),
                   config::PoolDns::Type_Name(t.dns.type()), t.dns.resolver().empty() ? "system" : t.dns.resolver());
    dns = std::make_unique<DnsResolver>(std::move(targets), [this](const std::string& pool, std::vector<DiscoveredServer> set) {
      asio::post(control, [this, pool, set = std::move(set)]() mutable { adopt_discovered(pool, std::move(set), "dns"); });
    });
  }

  // (Re)starts etcd discovery for the pools of CLUSTER with an `etcd`
  // block; as with DNS, answers are posted to the control thread.
  void start_etcd(const config::Cluster& cluster) {
    etcd.reset();
    auto targets = EtcdWatcher::targets_of(cluster, current_upstream_tls);
    etcd_targets = targets;
    std::erase_if(etcd_facts, [&](const auto& f) {
      return std::none_of(targets.begin(), targets.end(), [&](const auto& t) { return t.pool == f.first; });
    });
    if (targets.empty()) return;
    for (const auto& t : targets) {
      std::string endpoints;
      for (const auto& e : t.etcd.endpoints()) endpoints += (endpoints.empty() ? "" : ",") + e;
      spdlog::info("etcd_discovery pool={} endpoints={} prefix=\"{}\"", t.pool, endpoints, t.etcd.prefix());
    }
    etcd = std::make_unique<EtcdWatcher>(std::move(targets), [this](const std::string& pool, EtcdUpdate update) {
      asio::post(control, [this, pool, update = std::move(update)]() mutable {
        auto set = update.set;
        etcd_facts[pool] = std::move(update);
        adopt_discovered(pool, std::move(set), "etcd");
      });
    });
  }

  // POOL's servers changed in DNS: the next generation, as a runtime
  // server change builds it (added servers in slow start, vanished ones
  // retired in older generations so their requests finish).
  void adopt_discovered(const std::string& pool, std::vector<DiscoveredServer> set, const char* source) {
    if (draining || !server_sets) return;
    auto before = with_discovered(server_sets->merged(), discovered);
    discovered[pool] = std::move(set);
    auto cluster = running_cluster();
    std::vector<config::Server> old_servers, new_servers;
    for (const auto& p : before.pools())
      if (p.name() == pool) old_servers.assign(p.servers().begin(), p.servers().end());
    for (const auto& p : cluster.pools())
      if (p.name() == pool) new_servers.assign(p.servers().begin(), p.servers().end());
    const auto diff = config::diff_sets(old_servers, new_servers);
    // etcd also sets a server's state (drain, disabled), which diff_sets
    // (name, address, weight) does not see.
    std::vector<std::string> states;
    for (const auto& n : new_servers)
      for (const auto& o : old_servers)
        if (o.name() == n.name() && o.state() != n.state())
          states.push_back(n.name() + ":" + config::ServerState_Name(n.state()));
    if (diff.empty() && states.empty()) return;
    const auto next = adopt(cluster);
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& n : v) out += (out.empty() ? "" : ",") + n;
      return out.empty() ? std::string("-") : out;
    };
    spdlog::info("{}_set_changed pool={} generation={} added={} removed={} changed={} states={}", source, pool,
                 next->id, join(diff.added), join(diff.removed), join(diff.changed), join(states));
  }

  // The keys TLS session tickets are derived from (lb/tls/ticket_keys.h):
  // the cluster key ring, so every node issues and accepts the same
  // tickets. None (no ha.key_file, or unreadable): tickets from this
  // process only.
  static std::vector<std::string> ticket_secrets(const config::Cluster& cluster) {
    if (cluster.ha().key_file().empty()) return {};
    KeyRing keys;
    std::string error;
    if (!read_private_key_ring(cluster.ha().key_file(), cluster.ha().next_key_file(), keys, error)) {
      spdlog::warn("tls_tickets shared=false error=\"{}\"", error);
      return {};
    }
    std::vector<std::string> secrets{keys.signing};
    if (!keys.other.empty()) secrets.push_back(keys.other);
    return secrets;
  }

  // Hands each TLS listener of GEN its contexts, and each pool with `tls` its.
  static void attach_tls(Generation& gen, const tls::TlsLoad& tls, const tls::UpstreamTlsLoad& upstream) {
    for (auto& l : gen.listeners) {
      auto it = tls.by_listener.find(l->config.name());
      if (it == tls.by_listener.end()) continue;
      l->tls = it->second;
      spdlog::info("tls_listener listener={} certificates=\"{}\"", l->config.name(), it->second->summary());
    }
    for (auto& p : gen.pools) {
      if (auto it = upstream.by_pool.find(p->name()); it != upstream.by_pool.end()) p->set_upstream_tls(it->second);
    }
  }

  // The pools' TLS contexts from now on (a start, a reload), logged once.
  void adopt_upstream_tls(tls::UpstreamTlsLoad load) {
    for (const auto& [pool, context] : load.by_pool) {
      spdlog::info("tls_upstream pool={} {}", pool, context->summary());
    }
    for (const auto& [pool, context] : load.etcd_by_pool) spdlog::info("tls_etcd pool={} {}", pool, context->summary());
    for (const auto& warning : load.warnings) spdlog::warn("tls_upstream_unverified {}", warning);
    current_upstream_tls = std::move(load);
  }

  // The cluster key(s) that authorise admin state changes (ha.key_file,
  // ha.next_key_file); none configured: state changes are refused. At
  // start an unreadable key file is fatal; at a reload the old keys stay.
  KeyRing admin_keys(const config::Cluster& cluster, bool at_start) {
    KeyRing keys;
    if (cluster.ha().key_file().empty()) {
      spdlog::info("admin_state_changes enabled=false reason=\"no ha.key_file\"");
      return keys;
    }
    std::string error;
    if (!read_private_key_ring(cluster.ha().key_file(), cluster.ha().next_key_file(), keys, error)) {
      if (at_start) throw std::runtime_error(error);
      spdlog::error("reload_keys_refused error=\"{}\" keeping=previous keys", error);
      return {};
    }
    spdlog::info("admin_keys signing={} other={}", key_fingerprint(keys.signing),
                 keys.other.empty() ? "-" : key_fingerprint(keys.other));
    return keys;
  }

  // The access log's file and settings (lb/observe). At start a file that
  // cannot be opened is fatal; at a reload the old file keeps being written.
  void configure_access_log(const config::Cluster& cluster, bool at_start) {
    const auto settings = observe::access_log_settings(cluster);
    std::string error;
    if (!access_log->configure(settings, error)) {
      if (at_start) throw std::runtime_error(error);
      spdlog::error("reload_access_log_refused error=\"{}\" keeping=the open file", error);
      return;
    }
    spdlog::info("access_log enabled={} path={} sample={}", settings.enabled, settings.enabled ? settings.path : "-",
                 settings.sample);
  }

  // Heartbeats to the node's ha-agent, when the cluster runs one.
  void start_agent_link() {
    const auto& path = generation->node.local_channel();
    const auto& ha = generation->cluster.ha();
    if (path.empty() || (ha.instances_size() == 0 && !ha.has_announce())) return;
    const auto ms = generation->cluster.ha().proxy().heartbeat_ms();
    agent_link = std::make_unique<AgentLink>(control, path, std::chrono::milliseconds(ms ? ms : 100),
                                             [this] { return heartbeat(); }, stick_link_hooks(), overlay_link_hooks());
  }

  // The overlay of runtime server changes over the agent link: ours goes to
  // the agent (and on to its peers); what peers hold that wins over ours
  // comes back and is merged like a signed change (docs/discovery.md,
  // "Catching up").
  OverlayLinkHooks overlay_link_hooks() {
    OverlayLinkHooks hooks;
    hooks.current = [this] { return server_sets ? server_sets->shared_overlay() : wire::ServerOverlay{}; };
    hooks.learned = [this](const wire::ServerOverlay& overlay) { learn_servers(overlay); };
    return hooks;
  }

  void learn_servers(const wire::ServerOverlay& overlay) {
    if (!server_sets) return;
    bool changed = false;
    for (const auto& pool : overlay.pools()) {
      auto result = server_sets->learn(pool);
      const auto said = result.body.substr(0, result.body.empty() ? 0 : result.body.size() - 1);
      if (result.changed) {
        const auto next = adopt(running_cluster());
        spdlog::info("server_set_changed pool={} generation={} source=peers {}", pool.pool(), next->id, said);
        changed = true;
      } else if (result.status != 200) {
        spdlog::warn("server_set_catch_up_refused pool={} status={} reason=\"{}\"", pool.pool(), result.status, said);
      }
    }
    if (changed && agent_link) agent_link->overlay_changed();
  }

  // ---- stick-table sync over the agent link (control thread) ----

  // The link drains the tables' changes every flush interval and applies
  // what the agent learned from peers (lb/agent_link/agent_link.h).
  StickLinkHooks stick_link_hooks() {
    StickLinkHooks hooks;
    hooks.tables = [this] {
      std::vector<StickTable*> out;
      for (const auto& p : generation->pools)
        if (auto* t = p->stick_table()) out.push_back(t);
      return out;
    };
    hooks.apply = [this](const std::vector<wire::StickEntry>& entries) { apply_from_agent(entries); };
    const auto& sync = generation->cluster.sync();
    hooks.flush = std::chrono::milliseconds(std::clamp<std::uint32_t>(sync.flush_interval_ms() ? sync.flush_interval_ms() : 50, 5, 20));
    hooks.batch = sync.batch_size() ? sync.batch_size() : 256;
    return hooks;
  }

  void apply_from_agent(const std::vector<wire::StickEntry>& entries) {
    std::map<std::string, std::vector<wire::StickEntry>> by_pool;
    for (const auto& e : entries) by_pool[e.pool()].push_back(e);
    const auto now = Clock::now();
    for (const auto& [name, list] : by_pool) {
      auto pool = generation->pool(name);
      if (auto* t = pool ? pool->stick_table() : nullptr) t->apply(list, now);
    }
  }

  // `serving` means listening and not draining (the agent's liveness
  // verdict). What each listener can do is reported per listener: how many
  // servers of its pool take new clients (checks passed, not ejected,
  // READY). The agent turns that into each instance's can-serve fact, which
  // ranks before priority (ha/failover/instance_machine.h, "Serving"); a node
  // with no usable server still answers 503 rather than refusing connections.
  wire::ProxyHeartbeat heartbeat() const {
    wire::ProxyHeartbeat hb;
    hb.set_serving(!draining);
    const auto now = Clock::now();
    for (const auto& p : generation->pools) {
      for (ServerIndex i = 0; i < p->servers().size(); ++i) {
        hb.set_servers_total(hb.servers_total() + 1);
        if (p->takes_new(i, now)) hb.set_servers_up(hb.servers_up() + 1);
      }
    }
    for (const auto& l : generation->listeners) {
      auto* out = hb.add_listeners();
      out->set_listener(l->config.name());
      out->set_pool(l->config.pool());
      if (const auto pool = generation->pool(l->config.pool())) {
        out->set_servers_total(static_cast<std::uint32_t>(pool->servers().size()));
        std::uint32_t usable = 0;
        for (ServerIndex i = 0; i < pool->servers().size(); ++i)
          if (pool->takes_new(i, now)) ++usable;
        out->set_usable_servers(usable);
      }
    }
    std::uint64_t requests = 0;
    for (const auto& l : generation->listeners) requests += l->stats->requests.load(std::memory_order_relaxed);
    hb.set_requests_total(requests);
    hb.set_active_connections(facts().open_connections);
    return hb;
  }

  void wait_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
        wait_signal();
      } else if (signo == SIGUSR1) {
        access_log->reopen();  // logrotate moved the file (packaging/logrotate/tandem)
        wait_signal();
      } else {
        begin_drain(signo == SIGTERM ? "SIGTERM" : "SIGINT");
      }
    });
  }

  void reload() {
    spdlog::info("reload_requested path={}", options.config_path);
    auto result = config::load_for_node(options.config_path, options.node);
    if (!result.cluster) {
      ++reload_failures;
      for (const auto& p : result.problems) spdlog::error("reload_refused where={} problem=\"{}\"", p.where, p.message);
      spdlog::error("reload_refused problems={} keeping=generation-{}", result.problems.size(), generation->id);
      return;
    }
    // Certificates are re-read on every reload; a bad one refuses the whole
    // reload, and the listeners keep the contexts they serve with.
    auto tls = tls::load_listener_tls(*result.cluster, result.filename, result.locations.get(),
                                      ticket_secrets(*result.cluster));
    std::vector<config::Problem> problems = std::move(tls.problems);
    auto upstream_tls = tls::load_upstream_tls(*result.cluster, result.filename, result.locations.get());
    problems.insert(problems.end(), upstream_tls.problems.begin(), upstream_tls.problems.end());
    std::optional<ServerSetStore> sets;
    if (problems.empty()) sets = ServerSetStore::load(*result.cluster, options.node, options.config_path, problems);
    if (!sets) {
      ++reload_failures;
      for (const auto& p : problems) spdlog::error("reload_refused where={} problem=\"{}\"", p.where, p.message);
      spdlog::error("reload_refused problems={} keeping=generation-{}", problems.size(), generation->id);
      return;
    }
    current_tls = std::move(tls);
    adopt_upstream_tls(std::move(upstream_tls));
    server_sets = std::move(sets);
    forget_undiscovered(discovered, *result.cluster);
    auto next = adopt(running_cluster());
    restart_dns_if_changed(*result.cluster);
    restart_etcd_if_changed(*result.cluster);
    configure_access_log(next->cluster, false);
    // A reload may raise max_connections or add servers: plan the
    // descriptors again, so /status and the log say whether they still fit.
    raise_fd_limit(*next, static_cast<unsigned>(workers.size()));
    if (agent_link) {
      agent_link->request_full_resync();  // tables may have been rebuilt
      agent_link->overlay_changed();      // the overlay file may have been edited
    }
    if (admin)
      if (auto keys = admin_keys(next->cluster, false); !keys.signing.empty()) admin->set_keys(std::move(keys));
    ++reloads;
    spdlog::info("reloaded generation={} listeners={} pools={}", next->id, next->listeners.size(), next->pools.size());
  }

  // A reload restarts discovery only when a `dns` block changed: an
  // unchanged one keeps its last good set and its schedule.
  void restart_dns_if_changed(const config::Cluster& cluster) {
    const auto now = DnsResolver::targets_of(cluster);
    bool same = now.size() == dns_targets.size();
    for (std::size_t i = 0; same && i < now.size(); ++i)
      same = now[i].pool == dns_targets[i].pool && now[i].dns.SerializeAsString() == dns_targets[i].dns.SerializeAsString();
    if (same) return;
    // Pools keep their last good set until the new block answers.
    try {
      start_dns(cluster);
    } catch (const std::exception& e) {
      spdlog::error("dns_discovery_stopped error=\"{}\"", e.what());
    }
  }

  // The same for etcd: an unchanged `etcd` block keeps its watch.
  void restart_etcd_if_changed(const config::Cluster& cluster) {
    const auto now = EtcdWatcher::targets_of(cluster, current_upstream_tls);
    bool same = now.size() == etcd_targets.size();
    for (std::size_t i = 0; same && i < now.size(); ++i)
      same = now[i].pool == etcd_targets[i].pool &&
             now[i].etcd.SerializeAsString() == etcd_targets[i].etcd.SerializeAsString();
    if (!same) start_etcd(cluster);
  }

  // Builds the next generation from CLUSTER and moves every worker and the
  // health checks to it. Servers gone from a pool stop taking clients in
  // the generations that open connections still use (retire_missing_servers):
  // what is in flight finishes, and their sticky clients move.
  std::shared_ptr<const Generation> adopt(const config::Cluster& cluster) {
    auto next = build_generation(cluster, options.node, generation.get(), generation->id + 1);
    attach_tls(*next, current_tls, current_upstream_tls);
    health.reset();
    older_generations.push_back(generation);
    std::erase_if(older_generations, [&](const auto& weak) {
      const auto old = weak.lock();
      if (old) retire_missing_servers(*old, *next);
      return !old;
    });
    generation = next;
    for (auto& w : workers) w->apply(next);
    health = std::make_unique<HealthChecker>(control, next);
    return next;
  }

  // Why POOL's servers are not ours to change ("" when they are): a DNS or
  // etcd pool's servers are what DNS or etcd says.
  std::string discovered_pool(const std::string& pool) const {
    for (const auto& p : server_sets->base().pools()) {
      if (p.name() == pool && p.has_dns())
        return "pool '" + pool + "' takes its servers from DNS (" + p.dns().name() + "): change the DNS records instead\n";
      if (p.name() == pool && p.has_etcd())
        return "pool '" + pool + "' takes its servers from etcd (prefix " + p.etcd().prefix() +
               "): change the keys there instead\n";
    }
    return "";
  }

  // A signed POST /pools/POOL/servers (lbctl servers add|remove|weight,
  // through the node's agent): persisted first, then applied.
  AdminReply change_servers(const std::string& pool, std::string_view query) {
    if (!server_sets) return AdminReply{503, "text/plain; charset=utf-8", "not started\n"};
    // A DNS or etcd pool's servers are what DNS or etcd says
    // (docs/discovery.md): a runtime change would be accepted and then
    // silently overridden.
    if (auto why = discovered_pool(pool); !why.empty()) return AdminReply{409, "text/plain; charset=utf-8", std::move(why)};
    auto result = server_sets->change(pool, query);
    if (result.changed) {
      const auto next = adopt(running_cluster());
      spdlog::info("server_set_changed pool={} generation={} {}", pool, next->id,
                   result.body.substr(0, result.body.size() - 1));
      if (agent_link) agent_link->overlay_changed();
    } else if (result.status != 200) {
      spdlog::warn("server_set_refused pool={} status={} reason=\"{}\"", pool, result.status,
                   result.body.substr(0, result.body.size() - 1));
    }
    return AdminReply{result.status, "text/plain; charset=utf-8", std::move(result.body)};
  }

  void begin_drain(const char* why) {
    if (draining) return;
    draining = true;
    const auto grace = generation->listeners.empty()
                           ? std::chrono::milliseconds(10000)
                           : config::effective_timeouts(generation->cluster, generation->listeners.front()->config).drain_grace;
    spdlog::info("drain_started signal={} open_connections={} grace_ms={}", why, facts().open_connections, grace.count());
    for (auto& w : workers) w->drain();
    const auto deadline = Clock::now() + grace;
    asio::co_spawn(control, wait_drained(deadline), asio::detached);
  }

  awaitable<void> wait_drained(Clock::time_point deadline) {
    asio::steady_timer timer(control);
    // Workers count their own sessions; poll that count rather than adding a
    // cross-thread notification path used only once per process lifetime.
    while (facts().open_connections > 0 && Clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(use_nothrow);
    }
    const auto left = facts().open_connections;
    if (left > 0) {
      spdlog::warn("drain_grace_expired open_connections={} closing=forcibly", left);
    } else {
      spdlog::info("drain_complete");
    }
    stop();
  }

  void stop() {
    dns.reset();
    etcd.reset();
    health.reset();
    agent_link.reset();
    if (admin) admin->close();
    signals.cancel();
    tick_timer.cancel();
    for (auto& w : workers) w->stop();
    control.stop();
  }

  void schedule_tick() {
    tick_timer.expires_after(std::chrono::milliseconds(100));
    tick_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const auto now = Clock::now();
      for (const auto& p : generation->pools) p->tick(now);
      schedule_tick();
    });
  }
};

Proxy::Proxy(ProxyOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Proxy::~Proxy() = default;

int Proxy::run(const config::Cluster& cluster) {
  impl_->start(cluster);
  impl_->control.run();
  return impl_->exit_code;
}

}  // namespace tandem::lb
