// Requests to the node's own lb-proxy admin listener (node.proxy_admin), on
// behalf of remote control clients: GET /status and GET /stick as typed
// reports (common/proto/proxy_status.proto), POST a server's state. One
// request per connection, one deadline for all of it.
#pragma once

#include <chrono>
#include <string>

#include <optional>

#include "common/proto/control.pb.h"
#include "common/proto/proxy_status.pb.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// Largest proxy answer relayed (a stick table of 100k entries is ~10 MB; the
// remote endpoint caps its frames below that, so this bounds what we hold).
inline constexpr std::size_t kMaxProxyBodyBytes = 6u << 20;

// METHOD TARGET to the proxy admin at HOST_PORT ("127.0.0.1:9100"). Never
// throws: failures come back with http_status 0 and error set. A state
// change (not GET) is signed with KEY, the cluster key
// (common/control/admin_auth.h): the proxy refuses it unsigned. ACCEPT,
// when set, is sent as the Accept header.
awaitable<wire::ProxyReply> proxy_admin_request(std::string host_port, std::string method, std::string target,
                                                std::chrono::milliseconds timeout, std::string key = {},
                                                std::string accept = {});

// The proxy's status report, or why there is none.
struct ProxyStatusFetch {
  std::optional<wire::ProxyStatusReport> report;
  std::string error;  // when report is absent: "HTTP 503", "lb-proxy admin ...: timeout"
};

// GET /status as a typed report.
awaitable<ProxyStatusFetch> fetch_proxy_status(std::string host_port, std::chrono::milliseconds timeout);

// GET /stick?pool=POOL as a typed report: a ProxyReply with stick set when
// the proxy answered 200, as the proxy answered otherwise.
awaitable<wire::ProxyReply> fetch_stick_table(std::string host_port, std::string pool,
                                              std::chrono::milliseconds timeout);

// Pure: what a raw admin answer to GET /status (protobuf asked for) means.
ProxyStatusFetch status_from_reply(const wire::ProxyReply& reply);
// Pure: a raw admin answer to GET /stick (protobuf asked for) with its body
// decoded into stick; an undecodable body becomes an error (http_status 0).
wire::ProxyReply stick_from_reply(wire::ProxyReply reply);

// True for names safe to put in an admin URL path or query unescaped
// (letters, digits, '-', '_', '.', ':'; 1..128 characters).
bool safe_admin_name(const std::string& name);

}  // namespace tandem::ha
