// The byte pipe an HTTP connection becomes after a 101 Switching Protocols
// (WebSocket and other Upgrades): bytes both ways until both directions have
// ended, a half-close passed on as a shutdown of the other side's send
// direction (as tcp_session.cpp does), and one idle limit for the pair, like
// HAProxy's `timeout tunnel`: the tunnel ends after `idle` with no byte in
// either direction. The server slot the HTTP request took stays held by the
// caller for the tunnel's whole life, so LEAST_CONNECTIONS counts it.
//
// A template on the two stream types (AsyncReadStream and AsyncWriteStream):
// the client side may be a TLS stream. A stream type gets its half-close from
// an overload of `shutdown_send(Stream&)` found by argument-dependent lookup.
//
// Threading: the owning worker's io_context thread only.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"

namespace tandem::lb {

/// A TCP socket's half-close: FIN after the bytes already queued.
inline void shutdown_send(tcp::socket& s) {
  boost::system::error_code ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
}

/// A TLS stream's: the socket's FIN, without close_notify, as the TCP
/// session does (a peer reading to the end sees a truncation, which
/// is_end_of_stream() takes for the end).
inline void shutdown_send(TlsStream& s) { shutdown_send(s.next_layer()); }

/// Byte counters a tunnel adds to as it moves data.
struct TunnelCounters {
  std::atomic<std::uint64_t>* client_to_server_read = nullptr;  // from the client (listener bytes_in)
  std::atomic<std::uint64_t>* client_to_server_sent = nullptr;  // to the server (server bytes_out)
  std::atomic<std::uint64_t>* server_to_client_read = nullptr;  // from the server (server bytes_in)
  std::atomic<std::uint64_t>* server_to_client_sent = nullptr;  // to the client (listener bytes_out)
};

/// How a tunnel ended.
enum class TunnelEnd {
  closed,     ///< both directions ended (FIN, or an error on one side that ends both)
  idle,       ///< nothing moved for the idle limit
};

namespace tunnel_detail {

struct Activity {
  Clock::time_point last = Clock::now();
  int open_directions = 2;
};

inline void add(std::atomic<std::uint64_t>* counter, std::uint64_t n) {
  if (counter) counter->fetch_add(n, std::memory_order_relaxed);
}

// Copies FROM to TO until FROM ends or a write fails, then half-closes TO.
template <class From, class To>
awaitable<void> pump(From& from, To& to, Activity& activity, std::atomic<std::uint64_t>* read_count,
                     std::atomic<std::uint64_t>* sent_count) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(buffer), use_nothrow);
    if (n > 0) {
      activity.last = Clock::now();
      add(read_count, n);
      auto [wec, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n), use_nothrow);
      add(sent_count, written);
      if (wec) break;
      activity.last = Clock::now();
    }
    if (rec) break;
  }
  shutdown_send(to);
  --activity.open_directions;
}

// Returns once IDLE has passed with no activity.
inline awaitable<void> idle_watch(Activity& activity, std::chrono::milliseconds idle) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    const auto deadline = activity.last + idle;
    if (Clock::now() >= deadline) co_return;
    timer.expires_at(deadline);
    co_await timer.async_wait(use_nothrow);
  }
}

}  // namespace tunnel_detail

/// Runs the tunnel between CLIENT and SERVER until both directions end or
/// IDLE passes in silence. Bytes either side sent before the switch (already
/// read into the HTTP buffers) must have been written out by the caller.
/// The caller closes both streams afterwards.
template <class ClientStream, class ServerStream>
awaitable<TunnelEnd> run_tunnel(ClientStream& client, ServerStream& server, std::chrono::milliseconds idle,
                                const TunnelCounters& counters) {
  using namespace asio::experimental::awaitable_operators;
  tunnel_detail::Activity activity;
  auto ended = co_await ((tunnel_detail::pump(client, server, activity, counters.client_to_server_read,
                                              counters.client_to_server_sent) &&
                          tunnel_detail::pump(server, client, activity, counters.server_to_client_read,
                                              counters.server_to_client_sent)) ||
                         tunnel_detail::idle_watch(activity, idle));
  co_return ended.index() == 0 ? TunnelEnd::closed : TunnelEnd::idle;
}

/// run_tunnel after the switch: first the bytes each side sent past it, which
/// the HTTP relay had already read (CLIENT_EARLY: the client's, SERVER_EARLY:
/// the server's), go across; both buffers are left empty.
template <class ClientStream, class ServerStream>
awaitable<TunnelEnd> run_upgraded(ClientStream& client, beast::flat_buffer& client_early, ServerStream& server,
                                  beast::flat_buffer& server_early, std::chrono::milliseconds idle,
                                  const TunnelCounters& counters) {
  if (server_early.size() > 0) {
    auto [ec, n] = co_await asio::async_write(client, server_early.data(), use_nothrow);
    tunnel_detail::add(counters.server_to_client_sent, n);
    server_early.consume(server_early.size());
    if (ec) co_return TunnelEnd::closed;
  }
  if (client_early.size() > 0) {
    auto [ec, n] = co_await asio::async_write(server, client_early.data(), use_nothrow);
    tunnel_detail::add(counters.client_to_server_sent, n);
    client_early.consume(client_early.size());
    if (ec) co_return TunnelEnd::closed;
  }
  co_return co_await run_tunnel(client, server, idle, counters);
}

}  // namespace tandem::lb
