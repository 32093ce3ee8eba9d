// A worker thread: one io_context, its own SO_REUSEPORT acceptors, its own
// balancers, upstream connection pool and load view. Nothing here is shared
// with other workers except the pool state and stick tables (pool_runtime.h).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/intrusive/list.hpp>

#include "common/owned_io_context.h"
#include "lb/balance/balancer.h"
#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/generation.h"
#include "lb/runtime/upstream_pool.h"

namespace tandem::lb {

namespace observe {
class AccessLogBuffer;
class AccessLogWriter;
}  // namespace observe

// A worker's view of one pool: its balancer, rebuilt when the pool's version
// moves, and the load this worker has put on each server.
struct PoolView {
  std::shared_ptr<PoolRuntime> pool;
  std::uint64_t built_version = 0;
  std::unique_ptr<Balancer> balancer;
  std::vector<ServerLoad> load;
};

// Something a drain must be able to interrupt: an open client connection.
// Sessions are linked into their worker's registry through a hook inside
// them: no allocation per connection, and a session destroyed while linked
// (or a registry destroyed first, at exit) unlinks itself.
class DrainableSession {
 public:
  virtual ~DrainableSession() = default;
  // Closes the connection now if it is between requests; otherwise the
  // session closes after its current request because the worker is draining.
  virtual void close_if_idle() = 0;

  using Hook = boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
  Hook registry_hook;  // Worker::track()
};

class Worker {
 public:
  Worker(unsigned index, std::string node_name);
  ~Worker();

  // Opens this worker's acceptors for GEN. Call before start(); throws
  // std::runtime_error with a clear message if a bind fails.
  void open(std::shared_ptr<const Generation> gen);
  // Runs the io_context on a new thread.
  void start();
  // Adopts a new generation (reload): reconciles acceptors; posted to the
  // worker's thread. A listener that cannot be bound is logged and skipped.
  void apply(std::shared_ptr<const Generation> gen);
  // Stops accepting and closes idle client connections; in-flight requests finish.
  void drain();
  // Stops the io_context and joins the thread.
  void stop();

  unsigned index() const { return index_; }
  asio::io_context& io() { return io_; }
  const std::string& node_name() const { return node_name_; }
  bool draining() const { return draining_; }
  std::shared_ptr<const Generation> generation() const { return generation_; }

  // Per-request helpers, called on this worker's thread only.
  // The view is shared: a session keeps it even if a reload drops it here.
  std::shared_ptr<PoolView> view(const std::shared_ptr<PoolRuntime>& pool);
  // True when POOL belongs to the generation this worker runs now (idle
  // upstream connections of older generations are not pooled).
  bool is_current(const PoolRuntime* pool) const;
  std::optional<ServerIndex> pick(PoolView& view, std::uint64_t key_hash, std::span<const ServerIndex> exclude);
  UpstreamPool& upstreams() { return upstreams_; }
  // This worker's access log buffer (lb/observe/access_log_buffer.h); null
  // until attach_access_log(), which the process root calls before start().
  observe::AccessLogBuffer* access_log() { return access_log_.get(); }
  void attach_access_log(std::shared_ptr<observe::AccessLogWriter> writer);
  Rng& rng() { return rng_; }

  // Session registry for drains.
  void track(DrainableSession* s) { sessions_.push_back(*s); }
  void untrack(DrainableSession* s) { s->registry_hook.unlink(); }
  // Wakes accept loops waiting for a connection slot.
  void connection_closed();

  // Open client connections on this worker (all listeners).
  std::size_t open_sessions() const { return open_sessions_.load(std::memory_order_relaxed); }

 private:
  struct Acceptor;
  struct ListenerRoom;
  awaitable<void> accept_loop(std::shared_ptr<Acceptor> acceptor);
  void open_acceptor(const std::shared_ptr<ListenerRuntime>& listener);
  void reconcile(std::shared_ptr<const Generation> gen);

  const unsigned index_;
  const std::string node_name_;
  // One thread runs io_, and every socket and timer on it is created and
  // used on that thread only (other threads reach the worker through
  // asio::post in apply() and drain(), and io_.stop(), which keep the
  // scheduler's lock; control-thread work runs on its own io_context). So
  // the reactor's per-socket locks are dropped.
  // Emptied of its handlers first in ~Worker(): the frames of sessions still
  // open at exit touch the members below (see common/owned_io_context.h).
  OwnedIoContext io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::thread thread_;
  std::unique_ptr<observe::AccessLogBuffer> access_log_;  // before io_ goes: its timer is on io_
  std::shared_ptr<const Generation> generation_;
  std::map<std::string, std::shared_ptr<Acceptor>> acceptors_;  // by bind + mode
  std::unordered_map<const PoolRuntime*, std::shared_ptr<PoolView>> views_;
  UpstreamPool upstreams_;
  Rng rng_;
  boost::intrusive::list<DrainableSession,
                         boost::intrusive::member_hook<DrainableSession, DrainableSession::Hook,
                                                       &DrainableSession::registry_hook>,
                         boost::intrusive::constant_time_size<false>>
      sessions_;
  asio::steady_timer slot_freed_;
  // Closes idle upstream connections kept past timeouts.server_idle_ms.
  asio::steady_timer idle_sweep_;
  void sweep_idle_upstreams();
  unsigned accept_paused_ = 0;  // accept loops waiting on slot_freed_
  bool draining_ = false;
  std::atomic<std::size_t> open_sessions_{0};
  friend class SessionCount;
};

// RAII count of an open client connection on a worker and its listener.
class SessionCount {
 public:
  SessionCount(Worker& worker, ListenerStats& stats);
  ~SessionCount();
  SessionCount(const SessionCount&) = delete;
  SessionCount& operator=(const SessionCount&) = delete;

 private:
  Worker& worker_;
  ListenerStats& stats_;
};

}  // namespace tandem::lb
