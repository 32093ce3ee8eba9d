#include "lb/runtime/worker.h"

#include <csignal>
#include <stdexcept>
#include <unordered_set>

#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "common/accept_loop.h"
#include "lb/balance/registry.h"
#include "lb/observe/access_log_buffer.h"
#include "lb/observe/latency_histogram.h"
#include "lb/runtime/proxy_accept.h"
#include "lb/runtime/sessions.h"

namespace tandem::lb {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct Worker::Acceptor {
  explicit Acceptor(asio::io_context& io) : socket(io) {}
  tcp::acceptor socket;
  std::shared_ptr<ListenerRuntime> listener;  // replaced on reload (same bind and mode)
  bool closed = false;
};

Worker::Worker(unsigned index, std::string node_name)
    : index_(index), node_name_(std::move(node_name)), rng_(0x7A6DE3ULL + index), slot_freed_(io_), idle_sweep_(io_) {}

Worker::~Worker() {
  stop();
  // Sessions still open (a drain's grace ran out: a tunnel, an h2
  // connection, a slow upload) end here, while the upstream pool, the
  // session registry, the slot timer and the access log they touch live.
  io_.destroy_handlers();
  access_log_.reset();  // hands its last lines to the writer
}

void Worker::attach_access_log(std::shared_ptr<observe::AccessLogWriter> writer) {
  access_log_ = std::make_unique<observe::AccessLogBuffer>(io_, std::move(writer));
}

namespace {

std::string acceptor_key(const ListenerRuntime& l) {
  return l.bind + (l.config.mode() == config::TCP ? "/tcp" : "/http");
}

}  // namespace

void Worker::open_acceptor(const std::shared_ptr<ListenerRuntime>& listener) {
  auto acceptor = std::make_shared<Acceptor>(io_);
  acceptor->listener = listener;
  boost::system::error_code ec;
  auto& s = acceptor->socket;
  s.open(listener->endpoint.protocol(), ec);
  if (!ec) s.set_option(tcp::acceptor::reuse_address(true), ec);
  // Every worker binds the same address; the kernel spreads connections.
  if (!ec) s.set_option(reuse_port(true), ec);
  if (!ec) s.bind(listener->endpoint, ec);
  if (!ec) s.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("listener '" + listener->config.name() + "': cannot listen on " + listener->bind + ": " +
                             ec.message() +
                             (ec == boost::system::errc::permission_denied ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                              : ec == boost::system::errc::address_in_use ? " (another process holds it)"
                                                                           : ""));
  }
  acceptors_[acceptor_key(*listener)] = acceptor;
  asio::co_spawn(io_, accept_loop(acceptor), asio::detached);
}

void Worker::open(std::shared_ptr<const Generation> gen) {
  generation_ = gen;
  for (const auto& l : gen->listeners) open_acceptor(l);
}

void Worker::start() {
  // Bodies are spliced into sockets (http_relay.h), and splice(2) cannot
  // take MSG_NOSIGNAL: a client that resets mid-body must cost an EPIPE,
  // not the process (HAProxy ignores SIGPIPE likewise).
  std::signal(SIGPIPE, SIG_IGN);
  sweep_idle_upstreams();
  thread_ = std::thread([this] {
    observe::set_histogram_shard(index_);  // this worker's own histogram counters
    try {
      io_.run();
    } catch (const std::exception& e) {
      spdlog::critical("worker_crashed worker={} error=\"{}\"", index_, e.what());
      std::abort();
    }
  });
}

void Worker::apply(std::shared_ptr<const Generation> gen) {
  asio::post(io_, [this, gen = std::move(gen)]() mutable { reconcile(std::move(gen)); });
}

void Worker::reconcile(std::shared_ptr<const Generation> gen) {
  std::map<std::string, std::shared_ptr<ListenerRuntime>> wanted;
  for (const auto& l : gen->listeners) wanted[acceptor_key(*l)] = l;
  // Close acceptors that the new file no longer has; established
  // connections are separate sockets and carry on.
  for (auto it = acceptors_.begin(); it != acceptors_.end();) {
    if (!wanted.count(it->first)) {
      it->second->closed = true;
      boost::system::error_code ignored;
      it->second->socket.close(ignored);
      it = acceptors_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, listener] : wanted) {
    auto it = acceptors_.find(key);
    if (it != acceptors_.end()) {
      it->second->listener = listener;  // same socket, new settings and pool
      continue;
    }
    if (draining_) continue;
    try {
      open_acceptor(listener);
    } catch (const std::exception& e) {
      spdlog::error("reload_listener_failed worker={} error=\"{}\"", index_, e.what());
    }
  }
  // Balancers and idle upstream connections of pools that are gone.
  std::unordered_set<const ServerRuntime*> live_servers;
  for (auto it = views_.begin(); it != views_.end();) {
    bool live = false;
    for (const auto& p : gen->pools) live = live || p.get() == it->first;
    it = live ? std::next(it) : views_.erase(it);
  }
  for (const auto& p : gen->pools) {
    for (const auto& s : p->servers()) live_servers.insert(s.get());
  }
  upstreams_.retain_if([&](const ServerRuntime* s) { return live_servers.count(s) > 0; });
  generation_ = std::move(gen);
}

void Worker::drain() {
  asio::post(io_, [this] {
    draining_ = true;
    for (auto& [key, acceptor] : acceptors_) {
      acceptor->closed = true;
      boost::system::error_code ignored;
      acceptor->socket.close(ignored);
    }
    acceptors_.clear();
    upstreams_.clear();
    // Copy: close_if_idle may end a session, which untracks itself.
    std::vector<DrainableSession*> sessions;
    for (auto& s : sessions_) sessions.push_back(&s);
    for (auto* s : sessions) s->close_if_idle();
  });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

void Worker::sweep_idle_upstreams() {
  // Once a second: an idle connection outlives server_idle_ms by at most that.
  idle_sweep_.expires_after(std::chrono::seconds(1));
  idle_sweep_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    upstreams_.close_expired(Clock::now());
    sweep_idle_upstreams();
  });
}

void Worker::connection_closed() {
  // Only an accept loop paused at max_connections waits on this timer; every
  // other close skips the timer queue.
  if (accept_paused_ > 0) slot_freed_.cancel();
}

// The room for new connections on one listener: its max_connections against
// its active count (every worker's).
struct Worker::ListenerRoom {
  Worker& worker;
  std::shared_ptr<Acceptor> acceptor;

  bool available() const {
    const auto& listener = *acceptor->listener;
    return listener.stats->active.load(std::memory_order_relaxed) < static_cast<std::int64_t>(listener.max_connections);
  }
  // Woken when a connection of this worker closes; the short expiry catches
  // slots freed by the other workers.
  awaitable<void> wait() {
    acceptor->listener->stats->accept_paused.fetch_add(1, std::memory_order_relaxed);
    worker.slot_freed_.expires_after(std::chrono::milliseconds(10));
    ++worker.accept_paused_;
    co_await worker.slot_freed_.async_wait(use_nothrow);
    --worker.accept_paused_;
  }
};

awaitable<void> Worker::accept_loop(std::shared_ptr<Acceptor> acceptor) {
  // EMFILE and friends: back off briefly rather than spin.
  AcceptFailures failures{fmt::format("accept_failed worker={} listener={}", index_, acceptor->listener->config.name()),
                          std::chrono::milliseconds(50)};
  auto on_accept = [this, acceptor](tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto& listener = acceptor->listener;  // the current one, after a reload
    if (listener->proxy_trust) {
      const auto peer = socket.remote_endpoint(ignored);
      if (!ignored && expects_proxy_header(*listener, peer)) {
        asio::co_spawn(io_, accept_proxied(*this, listener, std::move(socket)), asio::detached);
        return;
      }
    }
    if (listener->tls) {
      start_tls_session(*this, listener, std::move(socket));
    } else if (listener->config.mode() == config::TCP) {
      start_tcp_session(*this, listener, std::move(socket));
    } else {
      start_http_session(*this, listener, std::move(socket));
    }
  };
  // Named, not temporaries of the co_await: GCC 12 destroys such temporaries
  // twice (docs/memory_safety.md), which released the acceptor's last
  // reference early and corrupted the heap at exit.
  auto closed = [acceptor] { return acceptor->closed; };
  ListenerRoom room{*this, acceptor};
  co_await tandem::accept_loop(acceptor->socket, std::move(closed), std::move(on_accept), std::move(failures),
                               std::move(room));
}

std::shared_ptr<PoolView> Worker::view(const std::shared_ptr<PoolRuntime>& pool) {
  auto& slot = views_[pool.get()];
  if (!slot) slot = std::make_shared<PoolView>();
  auto& v = *slot;
  const auto version = pool->version();
  if (!v.balancer || v.built_version != version) {
    v.pool = pool;
    v.built_version = version;
    v.balancer = make_balancer(pool->config().algorithm(), pool->usable(Clock::now()));
    v.load.resize(pool->servers().size());
  }
  return slot;
}

bool Worker::is_current(const PoolRuntime* pool) const {
  for (const auto& p : generation_->pools) {
    if (p.get() == pool) return true;
  }
  return false;
}

std::optional<ServerIndex> Worker::pick(PoolView& v, std::uint64_t key_hash, std::span<const ServerIndex> exclude) {
  PickContext ctx;
  ctx.key_hash = key_hash;
  ctx.load = v.load;
  ctx.exclude = exclude;
  ctx.rng = &rng_;
  return v.balancer->pick(ctx);
}

SessionCount::SessionCount(Worker& worker, ListenerStats& stats) : worker_(worker), stats_(stats) {
  worker_.open_sessions_.fetch_add(1, std::memory_order_relaxed);
  stats_.active.fetch_add(1, std::memory_order_relaxed);
  stats_.connections.fetch_add(1, std::memory_order_relaxed);
}

SessionCount::~SessionCount() {
  worker_.open_sessions_.fetch_sub(1, std::memory_order_relaxed);
  stats_.active.fetch_sub(1, std::memory_order_relaxed);
  worker_.connection_closed();
}

}  // namespace tandem::lb
