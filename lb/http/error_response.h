// The responses the proxy writes itself when it cannot forward a request:
// short plain-text bodies, rendered once per status and shape, ready to write.
#pragma once

#include <ostream>  // before Beast: 1.81's status.hpp needs it but does not include it

#include <boost/beast/http/status.hpp>

#include <string>

namespace tandem::lb::http {

/// How the error response is sent.
struct ErrorStyle {
  bool keep_alive = false;    ///< keep the client connection (only for 502/503/504)
  bool head_request = false;  ///< the request was HEAD: headers only, no body
};

/// Why the proxy could not forward a request to a server: each cause gets a
/// body that names it, so a user (and whoever reads the log) sees the real
/// cause, not the status's generic text.
enum class ErrorCause {
  no_server,         ///< 503: no server of the pool takes new clients
  queue_full,        ///< 503: every server at its connection limit, wait queue full
  queue_timeout,     ///< 503: no connection slot came free in time
  connect_failed,    ///< 502: no server accepted a connection (all tried)
  send_failed,       ///< 502: the server connection broke while sending the request
  response_invalid,  ///< 502: the server's response did not parse
  response_closed,   ///< 502: the server closed or reset before a complete response header
  response_timeout,  ///< 504: no response header within the server timeout
};

/// The status sent for `cause`.
[[nodiscard]] boost::beast::http::status status_for(ErrorCause cause) noexcept;

/// The complete serialized response for `cause`: as error_response(status)
/// for its status, with a body naming the cause, e.g. "502 Bad Gateway:
/// could not connect to any server.\n". Rendered once; thread-safe.
[[nodiscard]] const std::string& error_response(ErrorCause cause, ErrorStyle style = {});

/// True if after `status` the client connection must close whatever the
/// client asked: the request stream can no longer be trusted (400, 408, 413,
/// 431, 501, 505 and any status without a dedicated response).
[[nodiscard]] bool error_closes_connection(boost::beast::http::status status) noexcept;

/// The complete serialized HTTP/1.1 response for `status` — status line,
/// Content-Type: text/plain, Content-Length, Cache-Control: no-cache,
/// Connection: close (or keep-alive when `style.keep_alive` and the status
/// allows it), and a one-line body such as "503 Service Unavailable: no server
/// is available to handle this request.\n". Covers 400, 408, 413, 431, 501,
/// 502, 503, 504 and 505; any other status gets the 500 response. Rendered
/// once at first use; the reference stays valid for the program's lifetime.
/// Thread-safe.
[[nodiscard]] const std::string& error_response(boost::beast::http::status status,
                                                ErrorStyle style = {});

}  // namespace tandem::lb::http
