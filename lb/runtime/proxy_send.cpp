#include "lb/runtime/proxy_send.h"

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tandem::lb {

namespace {

proxy_protocol::Endpoint endpoint(const tcp::endpoint& e) { return {e.address(), e.port()}; }

}  // namespace

std::string proxy_header_bytes(config::SendProxy version, const ClientAddresses* client) {
  if (version == config::SEND_PROXY_V1) {
    if (!client) return "PROXY UNKNOWN\r\n";
    return proxy_protocol::encode_v1(endpoint(client->source), endpoint(client->destination));
  }
  if (!client) {
    // v2 LOCAL, family UNSPEC, no address block.
    return std::string("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x20\x00\x00\x00", 16);
  }
  return proxy_protocol::encode_v2(endpoint(client->source), endpoint(client->destination));
}

awaitable<boost::system::error_code> send_proxy_header(tcp::socket& socket, config::SendProxy version,
                                                       const ClientAddresses* client,
                                                       const ListenerRuntime& listener) {
  using namespace asio::experimental::awaitable_operators;
  const auto bytes = proxy_header_bytes(version, client);
  // Fits any fresh socket's send buffer: this nearly always completes at once.
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(listener.timeouts.connect);
  auto done = co_await (asio::async_write(socket, asio::buffer(bytes), use_nothrow) || deadline.async_wait(use_nothrow));
  if (done.index() == 1) co_return boost::system::error_code(beast::error::timeout);
  co_return std::get<0>(std::get<0>(done));
}

}  // namespace tandem::lb
