// PROXY protocol in: a connection from one of the listener's trusted sources
// must start with a v1 or v2 header (lb/proxy_protocol/header.h), read within
// accept_proxy.header_timeout_ms; its addresses then stand for the peer's in
// the session (logs, X-Forwarded-For, Forwarded, source-IP stickiness and
// hashing, and the PROXY header we send on). A LOCAL command (the balancer's
// own health check) or an unspec/unix family keeps the real peer's. A
// missing, malformed or late header closes the connection, counted in
// tandem_proxy_header_refused_total. Connections from other sources are not
// parsed at all: only a trusted balancer may claim an address.
#pragma once

#include <memory>
#include <optional>

#include "lb/proxy_protocol/header.h"
#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

class Worker;

/// Whether LISTENER expects a PROXY header from PEER.
bool expects_proxy_header(const ListenerRuntime& listener, const tcp::endpoint& peer);

/// Reads the header from CLIENT, then starts the listener's session with the
/// addresses it named. The connection is closed when the header is refused.
awaitable<void> accept_proxied(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client);

/// Reads a PROXY header at the start of SOCKET within TIMEOUT without
/// consuming any byte after it (MSG_PEEK, then exactly the header's bytes).
/// nullopt and WHY set when it is missing, malformed, late or cut short.
awaitable<std::optional<proxy_protocol::Header>> read_proxy_header(tcp::socket& socket,
                                                                    std::chrono::milliseconds timeout,
                                                                    std::string_view& why);

}  // namespace tandem::lb
