// HTTP/2 from a client: one connection, many streams, each forwarded to the
// pool over HTTP/1.1 keep-alive. The protocol is lb/h2/server_codec (nghttp2,
// the flood guards); this shell only moves bytes and timers. Each stream goes
// through the phases of the HTTP/1.1 path with the same policies: screen
// (lb/http/request_screen, the listener's limits: 400/413/431), route
// (lb/runtime/request_route.h: stickiness, the algorithm's key), connect
// (acquire_upstream), forward (RetryPolicy on a dead pooled connection,
// failure_status for the error page), relay (StickyPolicy::after) and record.
//
// A template on the client stream type (an AsyncReadStream and
// AsyncWriteStream with lowest_layer(): tcp::socket for h2c, a TLS stream for
// h2 by ALPN), instantiated in h2_session.cpp.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/generation.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/worker.h"

namespace tandem::lb {

// Serves CLIENT as HTTP/2 from now on. RECEIVED: the bytes already read (the
// preface, at least its start; nothing over TLS, where ALPN chose HTTP/2),
// fed to the codec first. ORIGIN: the addresses a trusted PROXY header named
// (lb/runtime/proxy_accept.h), else the socket's are taken.
template <class ClientStream>
void start_h2_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, ClientStream client,
                      std::string_view received, std::optional<ClientAddresses> origin = std::nullopt);

}  // namespace tandem::lb
