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
