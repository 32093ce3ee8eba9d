// The two streams a client connection runs over: a plain TCP socket, or TLS
// over one (Asio's ssl::stream, OpenSSL underneath). The sessions and the
// relay are templates on the stream type; what differs between the two is
// here, so that the plain path compiles to exactly what it was:
//   - the socket underneath (for addresses, cancelling, closing);
//   - whether the socket can be written synchronously (write_now.h) and
//     spliced (http_relay.h): a TLS stream must go through OpenSSL.
// Threading: the stream's owner (a worker's io_context thread) only.
#pragma once

#include <type_traits>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

using TlsStream = asio::ssl::stream<tcp::socket>;

// True for the plain socket: the fast paths that bypass the stream (a
// non-blocking send, splice(2), a readiness wait) apply.
template <typename Stream>
inline constexpr bool is_plain_socket = std::is_same_v<Stream, tcp::socket>;

// The TCP socket under STREAM.
inline tcp::socket& socket_of(tcp::socket& s) { return s; }
inline tcp::socket& socket_of(TlsStream& s) { return s.next_layer(); }

// True when EC says the peer ended the stream: a FIN, or over TLS a close
// without close_notify (a truncation: clients that close after a complete
// response do it, and framing decides what was complete).
inline bool is_end_of_stream(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

}  // namespace tandem::lb
