// HTTP/1.1 Upgrade through the proxy (RFC 9110 §7.8): which protocol switch a
// request may ask the server for, and what a server's answer means. Pure: the
// runtime reads the offer before strip_hop_by_hop removes the fields it comes
// from, puts it back on the forwarded request, and after a 101 turns the
// connection into a tunnel (lb/runtime/tunnel.h).
//
// The rules, and the choices where the RFC leaves one:
// - HTTP/1.0 requests get no upgrade (RFC 9110 §7.8: a server must ignore
//   Upgrade in an HTTP/1.0 request); the request is served as plain HTTP.
// - "h2c" is dropped from the offer, as HAProxy does: the proxy speaks
//   HTTP/1.1 upstream and cannot carry an h2c connection that starts with a
//   101 mid-request (RFC 9113 §3.1 retired the mechanism, too). With h2c as the
//   only protocol offered, the request is served as plain HTTP/1.1.
// - A request with a body may upgrade: the body is relayed in full before the
//   response is read, so the server has read it before it switches.
// - A 101 to a request whose upgrade we did not forward is the server's fault
//   (a 502, as for any malformed response): we cannot tell where its HTTP ends.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "lb/http/arena_fields.h"
#include "lb/http/hop_by_hop.h"

namespace tandem::lb::http {

/// The protocols a request's Upgrade field offers after the proxy's rules, or
/// nullopt when the request is served as plain HTTP. Call it with the intent
/// strip_hop_by_hop returned (or connection_intent), before or after the strip
/// (it reads `upgrade_value`, which the caller saved before stripping).
[[nodiscard]] std::optional<std::string> upgrade_offer(unsigned version, ConnectionIntent intent,
                                                       std::string_view upgrade_value);

/// The Upgrade field values of `fields`, joined as one list ("" if none).
template <class Allocator>
[[nodiscard]] std::string upgrade_field(const boost::beast::http::basic_fields<Allocator>& fields);

/// Puts the offer back on a request after strip_hop_by_hop and set_connection:
/// "Upgrade: <protocols>" and "upgrade" added to its Connection field.
template <class Allocator>
void restore_upgrade(boost::beast::http::basic_fields<Allocator>& fields, std::string_view protocols);

/// What the proxy does with a response, given whether the request's upgrade
/// was forwarded.
enum class UpgradeAnswer {
  http,          ///< an ordinary response: normal HTTP semantics, keep-alive rules apply
  tunnel,        ///< a 101 to a forwarded offer: relay the 101, then bytes both ways
  unsolicited,   ///< a 101 nobody asked for: the server is broken, answer 502
};

/// Classifies a response status.
[[nodiscard]] constexpr UpgradeAnswer upgrade_answer(bool offered, unsigned status) {
  if (status != 101) return UpgradeAnswer::http;
  return offered ? UpgradeAnswer::tunnel : UpgradeAnswer::unsolicited;
}

}  // namespace tandem::lb::http
