#include "lb/runtime/proxy_accept.h"

#include <sys/socket.h>

#include <array>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "lb/runtime/sessions.h"
#include "lb/runtime/worker.h"

namespace tandem::lb {

bool expects_proxy_header(const ListenerRuntime& listener, const tcp::endpoint& peer) {
  return listener.proxy_trust && listener.proxy_trust->trusts(peer.address());
}

awaitable<std::optional<proxy_protocol::Header>> read_proxy_header(tcp::socket& socket,
                                                                    std::chrono::milliseconds timeout,
                                                                    std::string_view& why) {
  using namespace asio::experimental::awaitable_operators;
  std::array<std::uint8_t, proxy_protocol::kMaxHeader> have;
  std::size_t kept = 0;  // header bytes consumed so far (the parser said they are all header)
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(timeout);
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  while (!ec) {
    const std::size_t n = socket.receive(asio::buffer(have.data() + kept, have.size() - kept), MSG_PEEK, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      auto woke = co_await (socket.async_wait(tcp::socket::wait_read, use_nothrow) || deadline.async_wait(use_nothrow));
      if (woke.index() == 1) {
        why = "no complete PROXY header within the header timeout";
        co_return std::nullopt;
      }
      continue;
    }
    if (ec || n == 0) break;
    const auto result = proxy_protocol::parse(std::span(have.data(), kept + n));
    if (result.status == proxy_protocol::Status::invalid) {
      why = result.error;
      co_return std::nullopt;
    }
    // Complete: consume exactly the header. Need more: every byte seen is
    // header (header.h), so all of them go, and the next wait is for new ones.
    const std::size_t take = result.status == proxy_protocol::Status::complete ? result.header.length - kept : n;
    socket.receive(asio::buffer(have.data() + kept, take), 0, ec);
    kept += take;
    if (!ec && result.status == proxy_protocol::Status::complete) co_return result.header;
  }
  why = "the connection closed before a complete PROXY header";
  co_return std::nullopt;
}

awaitable<void> accept_proxied(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client) {
  boost::system::error_code ec;
  const auto peer = client.remote_endpoint(ec);
  const auto local = client.local_endpoint(ec);
  if (ec) co_return;
  std::string_view why;
  const auto header = co_await read_proxy_header(client, listener->proxy_header_timeout, why);
  if (!header) {
    listener->stats->proxy_header_refused.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("proxy_header_refused listener={} peer={} reason=\"{}\"", listener->config.name(),
                  peer.address().to_string(), why);
    co_return;  // the socket closes with this frame
  }
  ClientAddresses origin{peer, local};
  if (header->source && header->destination) {
    origin = {tcp::endpoint(header->source->address, header->source->port),
              tcp::endpoint(header->destination->address, header->destination->port)};
  }
  if (listener->tls) {
    start_tls_session(worker, std::move(listener), std::move(client), origin);  // the TLS hello follows the header
  } else if (listener->config.mode() == config::TCP) {
    start_tcp_session(worker, std::move(listener), std::move(client), origin);
  } else {
    start_http_session(worker, std::move(listener), std::move(client), origin);
  }
}

}  // namespace tandem::lb
