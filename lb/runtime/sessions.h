// The two kinds of client connection a listener hands over.
#pragma once

#include <memory>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

class Worker;

// The listener (and through it, its pool) stays alive for the session's
// whole life, across a reload that replaces them.

// L7: HTTP/1.1 requests, keep-alive on both sides (http_session.cpp). Returns
// at once: the session runs on the worker's io_context, and an idle one
// holds no coroutine.
void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client);
// The same over TLS, once the handshake is done (tls_handshake.cpp).
void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client);

// L4: bytes both ways, half-close forwarded (tcp_session.cpp).
awaitable<void> run_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client);
awaitable<void> run_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client);

// A TLS listener's connection: the handshake within the listener's limit,
// then the HTTP or TCP session over the TLS stream (tls_handshake.cpp).
void start_tls_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client);

}  // namespace tandem::lb
