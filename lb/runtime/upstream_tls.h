// TLS to a server, the shell of lb/tls/upstream_context: the handshake on
// a connected socket within a limit, with SNI, the name check and the
// server's last session (resumption). Used by the connect phase and the
// health checks, so that both verify the same way and fail for the same
// reasons.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"
#include "lb/runtime/pool_runtime.h"
#include "lb/tls/upstream_context.h"

namespace tandem::lb {

// The key a server's sessions are kept under: its name and address.
std::string session_key(const ServerRuntime& server);

struct UpstreamHandshake {
  std::unique_ptr<TlsStream> stream;  // null on failure
  std::string failure;                // why not ("certificate verify failed: ...", "timeout")
  bool resumed = false;               // the server took our session: no full handshake
};

// Starts TLS over SOCKET (moved from) to SERVER within LIMIT.
awaitable<UpstreamHandshake> upstream_handshake(tcp::socket& socket, tls::UpstreamContext& context,
                                                const ServerRuntime& server, std::chrono::milliseconds limit);

}  // namespace tandem::lb
