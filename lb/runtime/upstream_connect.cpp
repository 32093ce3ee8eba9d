#include "lb/runtime/upstream_connect.h"

#include <spdlog/spdlog.h>

#include "common/warn_limiter.h"

#include "lb/route/connect_plan.h"
#include "lb/route/slot_limit.h"
#include "lb/runtime/proxy_send.h"
#include "lb/runtime/upstream_tls.h"

namespace tandem::lb {

ServerSlot::ServerSlot(std::shared_ptr<PoolView> view, ServerIndex index) : view_(std::move(view)), index_(index) {
  view_->pool->server(index).active.fetch_add(1, std::memory_order_relaxed);
  view_->load[index].active++;
}

ServerSlot& ServerSlot::operator=(ServerSlot&& other) noexcept {
  if (this != &other) {
    release();
    view_ = std::move(other.view_);
    index_ = other.index_;
  }
  return *this;
}

void ServerSlot::release() {
  if (!view_) return;
  // A view belongs to one pool for its whole life (Worker::view), so its
  // load vector always has this server's slot.
  view_->pool->server(index_).active.fetch_sub(1, std::memory_order_relaxed);
  if (view_->load[index_].active > 0) view_->load[index_].active--;
  view_.reset();
}

namespace {

bool has_free_slot(const PoolRuntime& pool, ServerIndex i) {
  return lb::has_free_slot(pool.server(i).active.load(std::memory_order_relaxed),
                           pool.config().max_connections_per_server());
}

// A server that takes new clients and has a free slot, other than those in
// TRIED; nullopt when none. One pick: the full servers join the exclusion
// (lb/route/slot_limit.h) for this pick only; TRIED is returned as it came.
std::optional<ServerIndex> pick_free(Worker& worker, PoolView& view, std::uint64_t key_hash,
                                     std::vector<ServerIndex>& tried) {
  const auto& pool = *view.pool;
  const auto limit = pool.config().max_connections_per_server();
  if (limit == 0) return worker.pick(view, key_hash, tried);
  const std::size_t base = tried.size();
  exclude_full(tried, pool.servers().size(), limit,
               [&](ServerIndex i) { return pool.server(i).active.load(std::memory_order_relaxed); });
  auto choice = worker.pick(view, key_hash, tried);
  tried.resize(base);
  return choice;
}

// Waits in the pool's bounded queue (pool.queue_size, shared by every
// worker) until a server has a free slot or the queue limit passes. Called
// when every usable server is full.
awaitable<std::pair<UpstreamFailure, std::optional<ServerIndex>>> wait_for_slot(
    Worker& worker, const ListenerRuntime& listener, PoolView& view, std::uint64_t key_hash,
    std::vector<ServerIndex>& tried) {
  auto& pool = *view.pool;
  const auto queue_size = pool.config().queue_size();
  if (queue_size == 0) co_return std::pair{UpstreamFailure::queue_full, std::nullopt};
  // One bound per pool, shared by every worker (not per worker, not per
  // worker and pool): queue_size is the real number of waiters.
  auto place = pool.wait_queue().try_enter(queue_size);
  if (!place) co_return std::pair{UpstreamFailure::queue_full, std::nullopt};
  const auto deadline = Clock::now() + listener.timeouts.queue;
  asio::steady_timer wait(worker.io());
  std::optional<ServerIndex> choice;
  while (!choice && Clock::now() < deadline) {
    // Slots are freed on any worker; a short poll keeps this simple and
    // only costs anything while the pool is saturated.
    wait.expires_after(std::chrono::milliseconds(5));
    co_await wait.async_wait(use_nothrow);
    choice = pick_free(worker, view, key_hash, tried);
  }
  if (!choice) co_return std::pair{UpstreamFailure::queue_timeout, std::nullopt};
  co_return std::pair{UpstreamFailure::none, choice};
}

// A new connection to SERVER within the connect timeout; the error when it fails.
awaitable<std::pair<boost::system::error_code, tcp::socket>> connect_to(Worker& worker, const ListenerRuntime& listener,
                                                                       const ServerRuntime& server) {
  beast::tcp_stream stream(worker.io());
  stream.expires_after(listener.timeouts.connect);
  auto [ec] = co_await stream.async_connect(server.endpoint, use_nothrow);
  if (!ec) {
    boost::system::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
  }
  co_return std::pair{ec, stream.release_socket()};
}

// A server's TLS refused (an untrusted certificate, a wrong name, no shared
// protocol): a warning at most every 10 s per worker, naming the reason;
// health checks put it in /status.
void warn_tls_failure(const PoolRuntime& pool, const ServerRuntime& server, const std::string& failure) {
  static thread_local WarnLimiter limiter(std::chrono::seconds(10));
  if (const auto n = limiter.note(Clock::now())) {
    spdlog::warn("upstream_tls_failed pool={} server={} error=\"{}\" failures={}", pool.name(), server.name, failure, n);
  } else {
    spdlog::debug("upstream_tls_failed pool={} server={} error=\"{}\"", pool.name(), server.name, failure);
  }
}

}  // namespace

awaitable<std::pair<UpstreamFailure, std::optional<Upstream>>> acquire_upstream(
    Worker& worker, const ListenerRuntime& listener, const std::shared_ptr<PoolView>& view_ptr,
    const UpstreamRequest& request, std::vector<ServerIndex>& tried) {
  PoolView& view = *view_ptr;
  auto& pool = *view.pool;
  ConnectPlan plan(config::pool_retries(pool.config()), request.preferred, tried);
  while (plan.more()) {
    auto choice = plan.stuck_first([&](ServerIndex i) { return has_free_slot(pool, i); });
    if (!choice) choice = pick_free(worker, view, request.key_hash, tried);
    if (!choice) {
      // Nobody usable at all: the last failure stands. Everybody full: queue.
      if (!worker.pick(view, request.key_hash, tried)) co_return std::pair{plan.last(), std::nullopt};
      auto [queued, freed] = co_await wait_for_slot(worker, listener, view, request.key_hash, tried);
      if (!freed) co_return std::pair{queued, std::nullopt};
      choice = freed;
    }

    const ServerIndex index = *choice;
    auto& server = pool.server(index);
    ServerSlot slot(view_ptr, index);
    const bool proxied = server.send_proxy != config::SEND_PROXY_NONE;
    if (request.allow_reuse && !proxied) {
      auto pooled = worker.upstreams().take(&server, Clock::now(), listener.timeouts.server_idle, request.replayable,
                                            worker.io().get_executor());
      if (pooled.is_open()) co_return std::pair{UpstreamFailure::none, Upstream{index, std::move(pooled), true, std::move(slot)}};
    }
    auto [ec, socket] = co_await connect_to(worker, listener, server);
    // The PROXY header goes first, in the clear, as HAProxy sends it before `ssl`.
    if (!ec && proxied) ec = co_await send_proxy_header(socket, server.send_proxy, request.client, listener);
    const char* cause = ec == beast::error::timeout ? "connect timeout" : "connect failed";
    if (!ec && pool.upstream_tls()) {
      auto shake = co_await upstream_handshake(socket, *pool.upstream_tls(), server, listener.timeouts.connect);
      if (shake.stream) {
        server.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
        if (shake.resumed) server.tls_resumed.fetch_add(1, std::memory_order_relaxed);
        co_return std::pair{UpstreamFailure::none,
                            Upstream{index, ServerStream(std::move(shake.stream)), false, std::move(slot), proxied}};
      }
      server.tls_failures.fetch_add(1, std::memory_order_relaxed);
      warn_tls_failure(pool, server, shake.failure);
      cause = "tls handshake failed";
    } else if (!ec) {
      co_return std::pair{UpstreamFailure::none, Upstream{index, ServerStream(std::move(socket)), false, std::move(slot), proxied}};
    } else {
      spdlog::debug("upstream_connect_failed pool={} server={} error=\"{}\"", pool.name(), server.name, ec.message());
    }
    pool.report_failure(index, Clock::now(), cause);
    if (plan.connect_failed(index)) listener.stats->retries.fetch_add(1, std::memory_order_relaxed);
  }
  co_return std::pair{plan.last(), std::nullopt};
}

}  // namespace tandem::lb
