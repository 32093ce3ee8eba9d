// The two kinds of client connection a listener hands over.
#pragma once

#include <memory>
#include <optional>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

class Worker;

// The listener (and through it, its pool) stays alive for the session's
// whole life, across a reload that replaces them.

// Whose connection it is: the peer and the address it reached, or what a
// trusted PROXY header said they were (lb/runtime/proxy_accept.h).
struct ClientAddresses {
  tcp::endpoint source;
  tcp::endpoint destination;
};

// L7: HTTP/1.1 requests, keep-alive on both sides (http_session.cpp). Returns
// at once: the session runs on the worker's io_context, and an idle one
// holds no coroutine.
void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client,
                        std::optional<ClientAddresses> origin = std::nullopt);
// The same over TLS, once the handshake is done (tls_handshake.cpp).
void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client,
                        std::optional<ClientAddresses> origin = std::nullopt);

// L4: bytes both ways, half-close forwarded (tcp_session.cpp). Returns at
// once; the session counts as open from this call on.
void start_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client,
                       std::optional<ClientAddresses> origin = std::nullopt);
void start_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client,
                       std::optional<ClientAddresses> origin = std::nullopt);

// A TLS listener's connection: the handshake within the listener's limit,
// then the HTTP or TCP session over the TLS stream (tls_handshake.cpp).
void start_tls_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client,
                       std::optional<ClientAddresses> origin = std::nullopt);

}  // namespace tandem::lb
