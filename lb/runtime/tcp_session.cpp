// L4 proxying: pick a server, connect (with retries), then copy bytes both
// ways until both directions have ended. A client's half-close (FIN) is
// passed on as a shutdown of the server side's send direction, and vice
// versa, so request/response protocols that rely on it keep working.
#include <memory>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "lb/balance/key_hash.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/upstream_connect.h"
#include "lb/runtime/worker.h"
#include "lb/runtime/tcp_pump.h"

namespace tandem::lb {

namespace {

class TcpSession final : public DrainableSession {
 public:
  TcpSession(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client)
      : worker_(worker),
        listener_(std::move(listener)),
        count_(worker_, *listener_->stats),
        client_(std::move(client)),
        server_(worker.io()),
        idle_timer_(worker.io()) {}

  // A TCP session is never "between requests": a drain lets it run until the
  // grace period ends and the process exits.
  void close_if_idle() override {}

  awaitable<void> run() {
    worker_.track(this);
    co_await proxy();
    worker_.untrack(this);
  }

 private:
  awaitable<void> proxy() {
    auto& stats = *listener_->stats;
    boost::system::error_code ec;
    const auto peer = client_.remote_endpoint(ec);
    if (ec) co_return;
    const std::string source = peer.address().to_string();
    auto view = worker_.view(listener_->pool);
    auto& pool = *view->pool;

    // Route: the stuck server if it still takes its clients, else the pool's
    // algorithm on the connection's key (an L4 key is the client's address).
    const auto now = Clock::now();
    const auto sticky = pool.sticky_policy();
    const auto choice = sticky.before({.source = source}, now);
    UpstreamRequest request;
    request.key_hash = pool.request_key({.source_hash = stable_hash(source)});
    if (choice.stuck_name) request.preferred = pool.stuck_server(*choice.stuck_name, now);
    std::vector<ServerIndex> tried;
    auto [failure, upstream] = co_await acquire_upstream(worker_, *listener_, view, request, tried);
    stats.requests.fetch_add(1, std::memory_order_relaxed);
    if (!upstream) {
      stats.count_refusal(l4_refusal_for(failure));
      spdlog::debug("tcp_refused listener={} client={} reason={}", listener_->config.name(), source,
                    l4_reason(failure));
      co_return;  // closing the client connection is all L4 can say
    }
    auto& server = pool.server(upstream->index);
    sticky.record(sticky.after(choice, server.name), now);
    server.requests.fetch_add(1, std::memory_order_relaxed);
    server_ = std::move(upstream->socket);
    pool.report_success(upstream->index, Clock::now());

    using namespace asio::experimental::awaitable_operators;
    touch();
    boost::system::error_code nb;
    client_.non_blocking(true, nb);
    if (!nb) server_.non_blocking(true, nb);
    if (nb) co_return;
    co_await ((pump_bytes(client_, server_, stats.bytes_in, server.bytes_out, last_activity_) &&
               pump_bytes(server_, client_, server.bytes_in, stats.bytes_out, last_activity_)) ||
              watchdog());
    boost::system::error_code ignored;
    client_.close(ignored);
    server_.close(ignored);
  }

  // Ends the session after client_idle of silence in both directions.
  awaitable<void> watchdog() {
    for (;;) {
      const auto deadline = last_activity_ + listener_->timeouts.client_idle;
      if (Clock::now() >= deadline) co_return;
      idle_timer_.expires_at(deadline);
      co_await idle_timer_.async_wait(use_nothrow);
    }
  }

  void touch() { last_activity_ = Clock::now(); }

  Worker& worker_;
  std::shared_ptr<ListenerRuntime> listener_;
  SessionCount count_;  // from accept on, so the accept loop's batch sees it (max_connections)
  tcp::socket client_;
  tcp::socket server_;
  asio::steady_timer idle_timer_;
  Clock::time_point last_activity_;
};

}  // namespace

void start_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client) {
  auto session = std::make_unique<TcpSession>(worker, std::move(listener), std::move(client));
  asio::co_spawn(worker.io(), [s = std::move(session)]() -> awaitable<void> { co_await s->run(); }, asio::detached);
}

}  // namespace tandem::lb
