// Requests to the node's own lb-proxy admin listener (node.proxy_admin), on
// behalf of remote control clients: GET /status, GET /stick, POST a server's
// state. One request per connection, one deadline for all of it.
#pragma once

#include <chrono>
#include <string>

#include "common/proto/control.pb.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// Largest proxy answer relayed (a stick table of 100k entries is ~10 MB; the
// remote endpoint caps its frames below that, so this bounds what we hold).
inline constexpr std::size_t kMaxProxyBodyBytes = 6u << 20;

// METHOD TARGET to the proxy admin at HOST_PORT ("127.0.0.1:9100"). Never
// throws: failures come back with http_status 0 and error set. A state
// change (not GET) is signed with KEY, the cluster key
// (common/control/admin_auth.h): the proxy refuses it unsigned.
awaitable<wire::ProxyReply> proxy_admin_request(std::string host_port, std::string method, std::string target,
                                                std::chrono::milliseconds timeout, std::string key = {});

// True for names safe to put in an admin URL path or query unescaped
// (letters, digits, '-', '_', '.', ':'; 1..128 characters).
bool safe_admin_name(const std::string& name);

}  // namespace tandem::ha
