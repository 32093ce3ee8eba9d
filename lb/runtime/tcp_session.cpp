// L4 proxying: pick a server, connect (with retries), then copy bytes both
// ways until both directions have ended. A client's half-close (FIN) is
// passed on as a shutdown of the server side's send direction, and vice
// versa, so request/response protocols that rely on it keep working.
#include <array>
#include <span>
#include <tuple>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "lb/balance/key_hash.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/upstream_connect.h"
#include "lb/runtime/worker.h"
#include "lb/runtime/write_now.h"

namespace tandem::lb {

namespace {

// CLIENT is a plain socket or a TLS stream (client_stream.h): HAProxy's
// `mode tcp` with `ssl` on the bind line.
template <typename Client>
class TcpSession final : public DrainableSession {
 public:
  TcpSession(Worker& worker, std::shared_ptr<ListenerRuntime> listener, Client client)
      : worker_(worker), listener_(std::move(listener)), client_(std::move(client)), server_(worker.io()),
        idle_timer_(worker.io()) {}

  // A TCP session is never "between requests": a drain lets it run until the
  // grace period ends and the process exits.
  void close_if_idle() override {}

  awaitable<void> run() {
    SessionCount count(worker_, *listener_->stats);
    worker_.track(this);
    co_await proxy();
    worker_.untrack(this);
  }

 private:
  awaitable<void> proxy() {
    auto& stats = *listener_->stats;
    boost::system::error_code ec;
    const auto peer = socket_of(client_).remote_endpoint(ec);
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
    co_await ((pump(client_, server_, stats.bytes_in, server.bytes_out) &&
               pump(server_, client_, server.bytes_in, stats.bytes_out)) ||
              watchdog());
    boost::system::error_code ignored;
    socket_of(client_).close(ignored);
    server_.close(ignored);
  }

  // Copies FROM to TO until FROM ends, then half-closes TO. Sends with
  // write_now() first, as the HTTP relay does: the bytes usually fit in the
  // socket's buffer, and a composed async_write costs a frame, a
  // cancellation handler and a trip through the scheduler. (Reading stays
  // async_read_some: waiting for readability first costs an epoll_ctl per
  // wait in this Asio, more than the failed speculative read it saves.)
  template <typename From, typename To>
  awaitable<void> pump(From& from, To& to, std::atomic<std::uint64_t>& read_count,
                       std::atomic<std::uint64_t>& write_count) {
    std::array<char, 16384> buffer;
    for (;;) {
      auto [rec, n] = co_await from.async_read_some(asio::buffer(buffer), use_nothrow);
      if (n > 0) {
        touch();
        read_count.fetch_add(n, std::memory_order_relaxed);
        std::array<asio::const_buffer, 1> out{asio::buffer(buffer.data(), n)};
        std::span<asio::const_buffer> pending(out);
        boost::system::error_code wec;
        write_count.fetch_add(write_now(to, pending, wec), std::memory_order_relaxed);
        if (!wec && !pending.empty()) {
          auto [rest_ec, written] = co_await asio::async_write(to, pending, use_nothrow);
          write_count.fetch_add(written, std::memory_order_relaxed);
          wec = rest_ec;
        }
        if (wec) break;
      }
      if (rec) break;
    }
    boost::system::error_code ignored;
    socket_of(to).shutdown(tcp::socket::shutdown_send, ignored);
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
  Client client_;
  tcp::socket server_;
  asio::steady_timer idle_timer_;
  Clock::time_point last_activity_;
};

}  // namespace

awaitable<void> run_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client) {
  TcpSession<tcp::socket> session(worker, std::move(listener), std::move(client));
  co_await session.run();
}

awaitable<void> run_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client) {
  TcpSession<TlsStream> session(worker, std::move(listener), std::move(client));
  co_await session.run();
}

}  // namespace tandem::lb
