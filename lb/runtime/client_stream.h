// The two streams a client connection runs over: a plain TCP socket, or TLS
// over one (TlsSocket: OpenSSL on the socket's descriptor, tls_socket.h). The sessions and the
// relay are templates on the stream type; what differs between the two is
// here, so that the plain path compiles to exactly what it was:
//   - the socket underneath (for addresses, cancelling, closing);
//   - whether the socket can be written synchronously (write_now.h) and
//     spliced (http_relay.h): a TLS stream must go through OpenSSL.
// Threading: the stream's owner (a worker's io_context thread) only.
#pragma once

#include <string_view>
#include <type_traits>

#include <boost/asio/ssl/error.hpp>
#include <openssl/ssl.h>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/tls_socket.h"

namespace tandem::lb {

using TlsStream = TlsSocket;

// True for the plain socket: the fast paths that bypass the stream (a
// non-blocking send, splice(2), a readiness wait) apply.
template <typename Stream>
inline constexpr bool is_plain_socket = std::is_same_v<Stream, tcp::socket>;

// The TCP socket under STREAM.
inline tcp::socket& socket_of(tcp::socket& s) { return s; }
inline tcp::socket& socket_of(TlsStream& s) { return s.next_layer(); }

// For the access log: the TLS version the client negotiated ("TLSv1.3") and
// the server name it asked for; "" over a plain socket or without SNI.
// Views of OpenSSL's own strings, good while the connection lives.
inline std::string_view tls_version_of(tcp::socket&) { return {}; }
inline std::string_view tls_version_of(TlsStream& s) { return SSL_get_version(s.native_handle()); }
inline std::string_view sni_of(tcp::socket&) { return {}; }
inline std::string_view sni_of(TlsStream& s) {
  const char* name = SSL_get_servername(s.native_handle(), TLSEXT_NAMETYPE_host_name);
  return name ? std::string_view(name) : std::string_view();
}

// True when EC says the peer ended the stream: a FIN, or over TLS a close
// without close_notify (a truncation: clients that close after a complete
// response do it, and framing decides what was complete).
inline bool is_end_of_stream(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

}  // namespace tandem::lb
