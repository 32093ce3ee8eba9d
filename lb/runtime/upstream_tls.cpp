#include "lb/runtime/upstream_tls.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <openssl/ssl.h>

namespace tandem::lb {

std::string session_key(const ServerRuntime& server) { return server.name + "@" + server.address; }

awaitable<UpstreamHandshake> upstream_handshake(tcp::socket& socket, tls::UpstreamContext& context,
                                                const ServerRuntime& server, std::chrono::milliseconds limit) {
  using namespace asio::experimental::awaitable_operators;
  UpstreamHandshake out;
  auto executor = socket.get_executor();
  auto stream = std::make_unique<TlsStream>(std::move(socket), context.context());
  if (!context.prepare(stream->native_handle(), session_key(server), out.failure)) co_return out;
  asio::steady_timer timer(executor, limit);
  auto outcome = co_await (stream->async_handshake(asio::ssl::stream_base::client, use_nothrow) ||
                           timer.async_wait(use_nothrow));
  boost::system::error_code ec = asio::error::timed_out;
  if (outcome.index() == 0) ec = std::get<0>(std::get<0>(outcome));
  if (ec) {
    out.failure = ec == asio::error::timed_out ? "tls handshake timeout"
                                               : "tls: " + tls::handshake_failure(stream->native_handle(), ec);
    boost::system::error_code ignored;
    stream->next_layer().close(ignored);
    co_return out;
  }
  out.resumed = SSL_session_reused(stream->native_handle()) == 1;
  out.stream = std::move(stream);
  co_return out;
}

}  // namespace tandem::lb
