// PROXY protocol out: the header that starts a backend connection when its
// server (or pool) has send_proxy. Written right after the connect, before
// any request byte; a connection that carries one is private to its client
// (Upstream::private_to_client), never pooled.
#pragma once

#include "config/proto/cluster.pb.h"
#include "lb/proxy_protocol/header.h"
#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/generation.h"
#include "lb/runtime/sessions.h"

namespace tandem::lb {

/// Sends the VERSION header naming CLIENT (source and destination) on SOCKET
/// within the listener's connect timeout. Without CLIENT (a health check) a
/// v1 "UNKNOWN" or a v2 LOCAL header goes. The error is the connect's.
awaitable<boost::system::error_code> send_proxy_header(tcp::socket& socket, config::SendProxy version,
                                                       const ClientAddresses* client,
                                                       const ListenerRuntime& listener);

/// The header bytes (pure, for the above and the tests).
std::string proxy_header_bytes(config::SendProxy version, const ClientAddresses* client);

}  // namespace tandem::lb
