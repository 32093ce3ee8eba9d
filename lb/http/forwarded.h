// The headers a reverse proxy adds so the server knows who the client is:
// X-Forwarded-For, X-Forwarded-Proto and Forwarded (RFC 7239). Pure.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>

#include "lb/http/arena_fields.h"

#include <string>
#include <string_view>

namespace tandem::lb::http {

/// Adds the forwarding headers to a request about to go to a server:
/// appends `client` to X-Forwarded-For (the existing chain is kept, several
/// fields are folded into one), sets X-Forwarded-Proto to `proto`, and appends
/// a Forwarded element `for=...;by=...;proto=...` (an IPv6 client is written
/// as "[::1]" in quotes; `by`, a node such as "_lb1" or "198.18.0.1:80", is
/// omitted when empty and quoted when it is not a token). IPv4-mapped IPv6
/// clients are written as IPv4. Call after strip_hop_by_hop. Allocates.
template <class Fields>
void add_forwarding_headers(boost::beast::http::header<true, Fields>& req,
                            const boost::asio::ip::address& client, std::string_view proto,
                            std::string_view by = {});

/// The parts of the forwarding headers that depend only on the connection
/// (client address, protocol, node): rendered once per client connection so
/// each request only appends them.
struct ForwardingElements {
  std::string x_forwarded_for;  ///< the client address, IPv4-mapped written as IPv4
  std::string proto;            ///< X-Forwarded-Proto value
  std::string forwarded;        ///< `for=...;by=...;proto=...`
};

/// Renders the elements add_forwarding_headers appends. Allocates.
[[nodiscard]] ForwardingElements forwarding_elements(const boost::asio::ip::address& client,
                                                     std::string_view proto, std::string_view by = {});

/// add_forwarding_headers with elements rendered beforehand (same result).
template <class Fields>
void add_forwarding_headers(boost::beast::http::header<true, Fields>& req, const ForwardingElements& elements);

/// `client` as an RFC 7239 node value: 192.0.2.1 or "[2001:db8::1]".
[[nodiscard]] std::string forwarded_node(const boost::asio::ip::address& client);

}  // namespace tandem::lb::http
