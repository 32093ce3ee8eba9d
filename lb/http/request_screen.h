// Screening of a parsed request header before it is forwarded: the checks that
// Beast's parser does not make, chiefly request smuggling shapes (RFC 9112 §6.3,
// the same rules HAProxy applies), plus the mapping of Beast's parse errors to
// the status the client receives. Pure: no I/O, no allocation.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/none.hpp>
#include <boost/system/error_code.hpp>

#include "lb/http/arena_fields.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::lb::http {

/// Hard caps on one request (STYLE habit 5). The runtime applies the byte caps
/// to Beast's parser (see apply_limits); screen_request checks the rest.
struct Limits {
  /// Request line plus header fields, in bytes (Beast header_limit) → 431.
  std::uint32_t max_header_bytes = 16 * 1024;
  /// Number of header fields → 431. Beast has no such cap.
  std::size_t max_header_count = 100;
  /// Request body in bytes → 413; nullopt: no limit (bodies are streamed).
  std::optional<std::uint64_t> max_body_bytes = std::nullopt;
};

/// The outcome of a check: accept (status unknown, i.e. 0), or the error
/// status to answer with and a short static reason for logs and counters.
struct Verdict {
  boost::beast::http::status status = boost::beast::http::status::unknown;
  std::string_view reason;  ///< static text, empty when accepted

  /// True when the request may go on.
  [[nodiscard]] constexpr bool ok() const noexcept {
    return status == boost::beast::http::status::unknown;
  }
  /// The accepting verdict.
  static constexpr Verdict accept() noexcept { return {}; }
  /// A rejecting verdict.
  static constexpr Verdict reject(boost::beast::http::status s, std::string_view why) noexcept {
    return {s, why};
  }
  friend constexpr bool operator==(const Verdict&, const Verdict&) = default;
};

/// What the screen learned about an accepted request that the runtime acts on
/// before forwarding it. Filled in the screen's one walk over the fields.
struct RequestFacts {
  /// Content-Length came as several values that agree (repeated fields or a
  /// list, "5, 5"): forward one field instead (fold_content_length, hop_by_hop.h).
  bool fold_content_length = false;
  /// The request has "Expect: 100-continue" (RFC 9110 §10.1.1). The runtime
  /// never forwards it (drop_expect_continue, hop_by_hop.h): it cannot relay
  /// an interim response, and a server's 100 would be taken for the final one.
  bool expect_continue = false;
};

/// Whether the proxy answers "HTTP/1.1 100 Continue" itself before it reads
/// the body, as nginx does: the request expects it, is HTTP/1.1 (an HTTP/1.0
/// client never gets a 1xx, RFC 9110 §15.2), a body is still to come and none
/// of it has arrived (a client that started sending is not waiting; §10.1.1
/// lets a server omit the 100 then).
[[nodiscard]] constexpr bool answer_continue(const RequestFacts& facts, unsigned version, bool body_to_come,
                                             std::size_t body_bytes_received) noexcept {
  return facts.expect_continue && version == 11 && body_to_come && body_bytes_received == 0;
}

/// The interim response answer_continue calls for.
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

/// Checks a request header that Beast has parsed: HTTP version (505), header
/// count (431), request target and Host (400), CONNECT (501), and message
/// framing — Content-Length and Transfer-Encoding together, differing or
/// non-numeric Content-Length values, Transfer-Encoding whose final coding is
/// not chunked or in HTTP/1.0 (400), unknown transfer codings (501), a
/// Content-Length above the body cap (413). Any rejection must close the
/// client connection after the error response. On acceptance, `facts` holds
/// what the runtime must change before forwarding. Thread-safe, no allocation.
template <class Fields>
[[nodiscard]] Verdict screen_request(const boost::beast::http::header<true, Fields>& req,
                                     const Limits& limits, RequestFacts& facts);

/// True if `value` (an Expect field's) is "100-continue", any case, OWS trimmed.
[[nodiscard]] bool is_100_continue(std::string_view value) noexcept;

/// screen_request when the facts are not wanted.
template <class Fields>
[[nodiscard]] Verdict screen_request(const boost::beast::http::header<true, Fields>& req,
                                     const Limits& limits) {
  RequestFacts facts;
  return screen_request(req, limits, facts);
}

/// Maps an error from Beast's parser (or a read through it) to the response
/// the client gets: header_limit/buffer_overflow → 431, body_limit → 413,
/// beast::error::timeout → 408, bad_version → 505 or 400, any other parse
/// error → 400. Beast reports bad_version both for a well-formed but
/// unsupported version ("HTTP/2.0") and for a malformed request line ("HTTP/1.1"
/// then a bare LF or a space): pass the bytes the parser was given (the start
/// of the read buffer) in `received` to tell them apart; without them
/// bad_version is 505. Returns nullopt when there is nobody to answer or
/// nothing is wrong: success, need_more, end_of_stream (client closed between
/// requests) and transport errors (reset, aborted...), which the runtime just
/// closes on. Thread-safe, no allocation.
[[nodiscard]] std::optional<Verdict> classify_parse_error(boost::system::error_code ec,
                                                          std::string_view received = {});

/// Applies the byte caps of `limits` to a Beast request parser.
template <class Parser>
void apply_limits(Parser& parser, const Limits& limits) {
  parser.header_limit(limits.max_header_bytes);
  if (limits.max_body_bytes)
    parser.body_limit(*limits.max_body_bytes);
  else
    parser.body_limit(boost::none);
}

}  // namespace tandem::lb::http
