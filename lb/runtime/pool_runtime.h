// The live state of one pool, shared by every worker thread and the control
// thread: servers with their health, ejection and admin state, the stick
// table, and a version number that tells workers to rebuild their balancers.
//
// Threading: fields that change at run time are atomics, written by the
// control thread (active health checks, admin commands, periodic tick) and by
// workers (passive failures, counters). A worker never waits on a lock on the
// per-request path; the passive-check mutex is taken only on a failure or on
// the first success after failures.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "config/defaults.h"
#include "config/proto/cluster.pb.h"
#include "lb/runtime/wait_queue_bound.h"
#include "lb/balance/balancer.h"
#include "lb/balance/request_key.h"
#include "lb/health/eligibility.h"
#include "lb/health/health_state.h"
#include "lb/health/passive_ejector.h"
#include "lb/observe/latency_histogram.h"
#include "lb/route/sticky_policy.h"
#include "lb/stick/stick_table.h"

namespace tandem::lb::tls {
class UpstreamContext;
}

namespace tandem::lb {

using SteadyTime = std::chrono::steady_clock::time_point;

// Nanoseconds since the steady clock's epoch, for atomics.
inline std::int64_t to_ns(SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
inline SteadyTime from_ns(std::int64_t ns) { return SteadyTime(std::chrono::nanoseconds(ns)); }

// One backend server of a pool.
struct ServerRuntime {
  ServerRuntime(const config::Server& cfg, const config::EffectivePassiveCheck& passive);

  const std::string name;
  const std::string address;                 // as configured, "ip:port"
  const boost::asio::ip::tcp::endpoint endpoint;
  const std::uint32_t weight;
  config::SendProxy send_proxy = config::SEND_PROXY_NONE;  // the server's, else the pool's (set once, at build)
  std::uint32_t max_idle = config::kDefaultMaxIdlePerServer;  // idle connections kept per worker (set once, at build)

  std::atomic<int> admin_state;              // config::ServerState
  std::atomic<bool> healthy{true};           // verdict of active checks
  std::atomic<std::int64_t> ejected_until_ns{0};  // passive ejection (0 = none)
  std::atomic<std::int64_t> up_since_ns{0};  // last return to service (slow start)
  std::atomic<std::uint32_t> consecutive_failures{0};

  // Counters (monotonic unless noted).
  std::atomic<std::int64_t> active{0};       // in flight, all workers (gauge)
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> failures{0};    // connect errors, resets, timeouts
  std::atomic<std::uint64_t> ejections{0};
  std::atomic<std::uint64_t> bytes_out{0};   // to the server
  std::atomic<std::uint64_t> bytes_in{0};    // from the server
  // TLS to the server (a pool with `tls`), request connections only.
  std::atomic<std::uint64_t> tls_handshakes{0};  // completed, resumed or not
  std::atomic<std::uint64_t> tls_resumed{0};     // of which resumed a session
  std::atomic<std::uint64_t> tls_failures{0};    // refused (certificate, name, protocol) or timed out
  observe::PhaseHistograms latency;          // requests this server answered (or failed)

  std::mutex passive_mutex;                  // guards passive
  PassiveEjector passive;
  // Why the active checks last changed its health ("ok", "tls: certificate
  // verify failed: ..."), for /status; control thread only.
  std::string check_cause;
};

// One pool: configuration plus live server state.
class PoolRuntime {
 public:
  PoolRuntime(const config::Pool& cfg, const std::string& node_name);

  const config::Pool& config() const { return config_; }
  // Whether some server sends a PROXY header (the session then needs its local address).
  bool sends_proxy() const { return sends_proxy_; }
  const std::string& name() const { return config_.name(); }
  const std::vector<std::unique_ptr<ServerRuntime>>& servers() const { return servers_; }
  ServerRuntime& server(ServerIndex i) const { return *servers_[i]; }
  // Index of the server called NAME, or -1.
  int find(std::string_view name) const;

  // The stick table, or null when the pool has no table-based stickiness.
  StickTable* stick_table() const { return stick_.get(); }
  const config::EffectiveStickiness& stickiness() const { return stickiness_; }
  // The pool's stickiness as the request path applies it (lb/route).
  StickyPolicy sticky_policy() const { return StickyPolicy(stickiness_, stick_.get()); }

  // The balancing key of one request under the pool's algorithm: its
  // registry row's key function (lb/balance/request_key.h) on IN.
  std::uint64_t request_key(const KeyInputs& in) const { return key_(config_.hash_key(), in); }

  // Bumped on every change that alters which servers take new clients or
  // their weights; workers rebuild their balancer when it moves.
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  void bump() { version_.fetch_add(1, std::memory_order_acq_rel); }

  // Servers to balance new clients over now, with slow-start weights: those
  // that take new clients, or, when passive ejection alone leaves none, the
  // ejected ones (the panic rule, lb/health/eligibility.h).
  std::vector<Candidate> usable(SteadyTime now) const;

  // Whether the panic rule holds now: passive ejection alone left no server,
  // so the ejected ones take clients (lb/health/eligibility.h).
  bool in_panic(SteadyTime now) const;
  // How many times the pool entered panic (counted by tick()).
  std::uint64_t panics() const { return panics_.load(std::memory_order_relaxed); }

  // The server's condition as the eligibility rules (lb/health) see it.
  ServerCondition condition(ServerIndex i, SteadyTime now) const;
  // Every server's condition, in index order.
  std::vector<ServerCondition> conditions(SteadyTime now) const;

  // Whether server I takes a new client / a client already stuck to it.
  bool takes_new(ServerIndex i, SteadyTime now) const;
  bool takes_stuck(ServerIndex i, SteadyTime now) const;

  // The server called NAME if it still takes the clients stuck to it (a
  // stick-table entry or a cookie naming it); nullopt sends them elsewhere.
  std::optional<ServerIndex> stuck_server(std::string_view name, SteadyTime now) const;

  // Passive check: a live request to server I failed (connect error, reset,
  // timeout) or succeeded. Thread-safe; logs and bumps on ejection.
  void report_failure(ServerIndex i, SteadyTime now, const char* cause);
  void report_success(ServerIndex i, SteadyTime now);

  // Active check verdict for server I; logs and bumps on a change.
  void set_healthy(ServerIndex i, bool healthy, SteadyTime now, const std::string& cause);

  // Admin state change (lbctl drain/disable/enable); logs and bumps.
  void set_admin_state(ServerIndex i, config::ServerState state);

  // Periodic upkeep on the control thread: reintroduces servers whose
  // ejection ended, advances slow start, expires stick entries.
  void tick(SteadyTime now);

  // Copies live state (health, ejection, admin, stick table) from OLD for
  // servers with the same name and address: a reload keeps what was learned.
  void inherit(const PoolRuntime& old);

  const config::EffectiveHealthCheck& health_check() const { return health_check_; }
  std::chrono::milliseconds slow_start() const { return slow_start_; }

  // Requests of this pool waiting for a free server slot, on every worker
  // (bounded by queue_size).
  WaitQueueBound& wait_queue() const { return wait_queue_; }

  // TLS to the servers (the pool's `tls` block), null for plain TCP. Set
  // once, before the generation is handed to the workers.
  tls::UpstreamContext* upstream_tls() const { return upstream_tls_.get(); }
  void set_upstream_tls(std::shared_ptr<tls::UpstreamContext> context) { upstream_tls_ = std::move(context); }

 private:
  config::Pool config_;
  bool sends_proxy_ = false;
  config::EffectiveHealthCheck health_check_;
  config::EffectivePassiveCheck passive_;
  config::EffectiveStickiness stickiness_;
  std::chrono::milliseconds slow_start_;
  KeyFunction key_;  // the algorithm's (lb/balance/registry.h)
  std::vector<std::unique_ptr<ServerRuntime>> servers_;
  std::shared_ptr<StickTable> stick_;
  std::atomic<std::uint64_t> version_{1};
  mutable WaitQueueBound wait_queue_;
  std::vector<bool> was_ejected_;  // control thread only (tick)
  std::vector<bool> ramping_;      // control thread only (tick)
  bool was_panic_ = false;         // control thread only (tick)
  std::atomic<std::uint64_t> panics_{0};
  std::shared_ptr<tls::UpstreamContext> upstream_tls_;
};

}  // namespace tandem::lb
