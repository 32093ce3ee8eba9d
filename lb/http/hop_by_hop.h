// Hop-by-hop fields (RFC 9110 §7.6.1) and the keep-alive decision for each side
// of the proxy (RFC 9112 §9.3). Pure: the runtime reads, strips, decides, then
// writes the Connection field of what it sends.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include "lb/http/arena_fields.h"

namespace tandem::lb::http {

/// What the Connection field of a received message asked for. Read it before
/// stripping: strip_hop_by_hop removes the field it comes from.
struct ConnectionIntent {
  bool keep_alive = false;  ///< the sender will reuse the connection
  bool upgrade = false;     ///< "Connection: upgrade" together with an Upgrade field
  friend constexpr bool operator==(const ConnectionIntent&, const ConnectionIntent&) = default;
};

/// Reads the intent of a message of HTTP `version` (10 or 11): HTTP/1.1 keeps
/// the connection unless "close" is listed; HTTP/1.0 only if "keep-alive" is
/// listed and "close" is not. Several Connection fields are one list.
template <class Allocator>
[[nodiscard]] ConnectionIntent connection_intent(unsigned version,
                                                 const boost::beast::http::basic_fields<Allocator>& fields);

/// Removes the hop-by-hop fields before forwarding: Connection, every field
/// it names (except Host, Content-Length and Transfer-Encoding, which a client
/// must not be able to strip from the framing), Keep-Alive, Proxy-Connection,
/// TE, Trailer and Upgrade. Returns the intent read before removal.
template <class Allocator>
ConnectionIntent strip_hop_by_hop(unsigned version, boost::beast::http::basic_fields<Allocator>& fields);

/// strip_hop_by_hop for a request or response header.
template <bool isRequest, class Fields>
ConnectionIntent strip_hop_by_hop(boost::beast::http::header<isRequest, Fields>& h) {
  return strip_hop_by_hop(h.version(), static_cast<Fields&>(h));
}

/// Folds several agreeing Content-Length values (repeated fields, or a list
/// "5, 5") into one field "Content-Length: 5", so the next hop sees exactly
/// one length. RFC 9110 §8.6 lets a recipient either reject such a message or
/// fold it; we fold, as HAProxy does. Values that differ or do not parse are
/// left alone: a request with them is refused by screen_request (400), and a
/// response with them fails Beast's parser (502). Returns true if it changed
/// the fields. A message with one plain Content-Length costs one walk over
/// the fields and no allocation.
template <class Allocator>
bool fold_content_length(boost::beast::http::basic_fields<Allocator>& fields);

/// Removes "Expect: 100-continue" fields (any other expectation stays): the
/// proxy answers the expectation itself (answer_continue, request_screen.h)
/// and cannot relay a server's interim 100, which it would take for the final
/// response. Returns true if it removed one.
template <class Allocator>
bool drop_expect_continue(boost::beast::http::basic_fields<Allocator>& fields);

/// True when a request of VERSION with FIELDS must be given a Host field
/// before it goes upstream as HTTP/1.1: an HTTP/1.0 request may come without
/// one, and an HTTP/1.1 server must answer a request without Host with 400
/// (RFC 9112 §3.2; nginx does). The proxy then supplies the authority the
/// client reached (the listener's address), as RFC 9112 §3.3 reconstructs
/// the target URI of a request without one.
template <class Allocator>
bool needs_host(unsigned version, const boost::beast::http::basic_fields<Allocator>& fields) {
  return version < 11 && fields.find(boost::beast::http::field::host) == fields.end();
}

/// How the end of a response body is known (RFC 9112 §6.3).
enum class BodyFraming {
  none,            ///< no body: HEAD, 1xx, 204, 304, 2xx to CONNECT
  content_length,  ///< a valid Content-Length
  chunked,         ///< HTTP/1.1 with chunked as the final transfer coding
  until_close,     ///< read until the server closes (or framing is unusable)
};

/// The framing of response `res` to request `req`.
template <class Fields>
[[nodiscard]] BodyFraming response_framing(const boost::beast::http::header<true, Fields>& req,
                                           const boost::beast::http::header<false, Fields>& res);

/// Whether the client connection may carry another request once `res` has been
/// forwarded in full: the client wants it (`client`, read from its request),
/// the body end is visible to it (not until_close; chunked only for an
/// HTTP/1.1 client) and the response is not 101. A rejected request, an
/// unread request body or a draining listener also close: the runtime's part.
template <class Fields>
[[nodiscard]] bool keep_client_alive(ConnectionIntent client,
                                     const boost::beast::http::header<true, Fields>& req,
                                     const boost::beast::http::header<false, Fields>& res);

/// keep_client_alive for a response whose framing is known already (the
/// runtime needs it for both sides: one response_framing walk, not two).
[[nodiscard]] bool keep_client_alive(ConnectionIntent client, unsigned request_version, unsigned status,
                                     BodyFraming framing);

/// Whether the server connection may go back to the pool once `res` has been
/// read in full: the server wants it (`server`, read from its response), the
/// body is not read until close and the response is not 101. The runtime also
/// closes if it sent "Connection: close" or did not send the whole request.
template <class Fields>
[[nodiscard]] bool keep_server_alive(ConnectionIntent server,
                                     const boost::beast::http::header<true, Fields>& req,
                                     const boost::beast::http::header<false, Fields>& res);

/// keep_server_alive for a response whose framing is known already.
[[nodiscard]] bool keep_server_alive(ConnectionIntent server, unsigned status, BodyFraming framing);

/// Writes the Connection field of a message we are about to send, after
/// stripping: HTTP/1.1 gets "close" or nothing, HTTP/1.0 "keep-alive" or nothing.
template <class Allocator>
void set_connection(unsigned version, boost::beast::http::basic_fields<Allocator>& fields, bool keep_alive);

/// set_connection for a request or response header.
template <bool isRequest, class Fields>
void set_connection(boost::beast::http::header<isRequest, Fields>& h, bool keep_alive) {
  set_connection(h.version(), static_cast<Fields&>(h), keep_alive);
}

}  // namespace tandem::lb::http
