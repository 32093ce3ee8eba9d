// A TLS listener's connection, before its session: the handshake, within
// the listener's handshake limit (a client that opens connections and
// trickles its ClientHello holds nothing for long), then the session the
// negotiated protocol calls for over the TLS stream. The certificate (SNI)
// and the protocol (ALPN) are chosen by lb/tls during the handshake.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "lb/runtime/h2_session.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/worker.h"
#include "lb/tls/server_context.h"

namespace tandem::lb {

namespace {

// The session for the protocol the handshake settled on. An HTTP listener
// whose client offered no ALPN (or none we speak) gets HTTP/1.1, as RFC 7301
// §3.2 lets a server go on without it.
tls::AppProtocol negotiated(TlsStream& stream) {
  const unsigned char* name = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &name, &length);
  if (name) {
    if (auto p = tls::app_protocol({reinterpret_cast<const char*>(name), length})) return *p;
  }
  return tls::AppProtocol::http1;
}

awaitable<void> handshake(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket socket,
                          std::optional<ClientAddresses> origin) {
  using namespace asio::experimental::awaitable_operators;
  auto& stats = *listener->stats;
  auto contexts = listener->tls;  // this connection's, whatever a reload brings
  TlsStream stream(std::move(socket), contexts->initial());
  asio::steady_timer limit(worker.io(), contexts->handshake_timeout());
  auto outcome = co_await (stream.async_handshake(asio::ssl::stream_base::server, use_nothrow) ||
                           limit.async_wait(use_nothrow));
  boost::system::error_code ec;
  if (outcome.index() == 1) {
    ec = asio::error::timed_out;
  } else {
    ec = std::get<0>(std::get<0>(outcome));
  }
  if (ec || worker.draining()) {
    (ec == asio::error::timed_out ? stats.tls_handshake_timeouts : stats.tls_handshake_failures)
        .fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    const auto peer = socket_of(stream).remote_endpoint(ignored);
    spdlog::debug("tls_handshake_failed listener={} client={} error=\"{}\"", listener->config.name(),
                  peer.address().to_string(), ec.message());
    socket_of(stream).close(ignored);
    co_return;
  }
  stats.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  if (listener->config.mode() == config::TCP) {
    start_tcp_session(worker, std::move(listener), std::move(stream), std::move(origin));
    co_return;
  }
  switch (negotiated(stream)) {
    case tls::AppProtocol::http1:
      start_http_session(worker, std::move(listener), std::move(stream), std::move(origin));
      break;
    case tls::AppProtocol::h2:  // offered only when the listener's http2 is on (lb/tls/tls_policy.h)
      start_h2_session(worker, std::move(listener), std::move(stream), {}, std::move(origin));
      break;
  }
}

}  // namespace

void start_tls_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client,
                       std::optional<ClientAddresses> origin) {
  asio::co_spawn(worker.io(), handshake(worker, std::move(listener), std::move(client), std::move(origin)),
                 asio::detached);
}

}  // namespace tandem::lb
