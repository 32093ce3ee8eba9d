#include "lb/http/request_screen.h"

#include "lb/http/field_list.h"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include <array>

namespace tandem::lb::http {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::field;
using bhttp::status;

constexpr Verdict bad(std::string_view why) { return Verdict::reject(status::bad_request, why); }

// Transfer codings we know (IANA registry); anything else is 501 (RFC 9112 §6.1).
constexpr std::array<std::string_view, 6> known_codings{"chunked",  "gzip",     "x-gzip",
                                                        "deflate",  "compress", "x-compress"};

bool is_known_coding(std::string_view coding) {
  for (auto k : known_codings)
    if (detail::iequals(coding, k)) return true;
  return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Host = uri-host [ ":" port ] (RFC 9110 §7.2): reg-name, IPv4 or IP-literal.
constexpr bool is_host_char(char c) {
  if (detail::is_tchar(c) && c != '#' && c != '^' && c != '`' && c != '|') return true;
  switch (c) {
    case '(': case ')': case ',': case ';': case '=': case ':': case '[': case ']':
      return true;
    default:
      return false;
  }
}

// is_host_char as a table built at compile time: every request's Host goes through it.
constexpr auto kHostChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[static_cast<std::size_t>(c)] = is_host_char(static_cast<char>(c));
  return table;
}();

bool is_valid_host(std::string_view host) {
  for (char c : host)
    if (!kHostChars[static_cast<unsigned char>(c)]) return false;
  return true;
}

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' ||
         c == '-' || c == '.';
}

// For an absolute-form target ("http://host:port/path"), its authority.
std::optional<std::string_view> absolute_form_authority(std::string_view target) {
  auto const sep = target.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  for (char c : target.substr(0, sep))
    if (!is_scheme_char(c)) return std::nullopt;
  auto rest = target.substr(sep + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

// The fields the later checks look at, noted during check_fields' walk
// (fields::count and operator[] each search the tree, comparing names
// case-insensitively).
struct KeyFields {
  std::size_t hosts = 0;
  std::string_view host;  // the first Host value
  bool transfer_encoding = false;
  bool content_length = false;
  bool expect_continue = false;  // an Expect field says 100-continue
};

template <class Fields>
Verdict check_fields(const bhttp::header<true, Fields>& req, const Limits& limits, KeyFields& key) {
  std::size_t count = 0;
  for (auto const& f : req) {
    switch (f.name()) {
      case field::host:
        if (key.hosts++ == 0) key.host = f.value();
        break;
      case field::transfer_encoding: key.transfer_encoding = true; break;
      case field::content_length: key.content_length = true; break;
      case field::expect:
        if (is_100_continue(f.value())) key.expect_continue = true;
        break;
      default: break;
    }
    if (++count > limits.max_header_count)
      return Verdict::reject(status::request_header_fields_too_large, "too many header fields");
    if (!detail::is_token(f.name_string())) return bad("invalid header field name");
    for (char c : f.value()) {
      auto const u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return bad("control character in header field");
    }
  }
  return Verdict::accept();
}

template <class Fields>
Verdict check_target_and_host(const bhttp::header<true, Fields>& req, const KeyFields& key) {
  auto const target = req.target();
  if (req.method() == bhttp::verb::connect) return Verdict::reject(status::not_implemented, "CONNECT is not supported");

  std::optional<std::string_view> authority;
  if (target.empty()) return bad("empty request target");
  if (target.front() == '/') {
    // origin-form
  } else if (target == "*") {
    if (req.method() != bhttp::verb::options) return bad("asterisk target outside OPTIONS");
  } else {
    authority = absolute_form_authority(target);
    if (!authority) return bad("invalid request target");
    auto const scheme = target.substr(0, target.find(':'));
    if (!detail::iequals(scheme, "http") && !detail::iequals(scheme, "https"))
      return bad("unsupported URI scheme");
  }

  auto const hosts = key.hosts;
  if (hosts > 1) return bad("several Host fields");
  if (hosts == 0) {
    if (req.version() == 11) return bad("HTTP/1.1 request without Host");
    return Verdict::accept();
  }
  auto const host = key.host;
  if (!is_valid_host(host)) return bad("invalid Host");
  if (authority && !detail::iequals(*authority, host)) return bad("Host does not match target");
  return Verdict::accept();
}

template <class Fields>
Verdict check_framing(const bhttp::header<true, Fields>& req, const Limits& limits, const KeyFields& key,
                      RequestFacts& facts) {
  bool const has_te = key.transfer_encoding;
  bool const has_cl = key.content_length;

  if (has_te) {
    if (has_cl) return bad("both Content-Length and Transfer-Encoding");
    if (req.version() < 11) return bad("Transfer-Encoding in HTTP/1.0 request");
    std::size_t codings = 0;
    bool chunked_seen = false;  // a chunked coding that was not the last one so far
    Verdict v = Verdict::accept();
    detail::for_each_value(req, "Transfer-Encoding", [&](std::string_view value) {
      detail::for_each_element(value, [&](std::string_view coding) {
        if (coding.empty()) return true;  // empty list elements are allowed (RFC 9110 §5.6.1)
        ++codings;
        if (chunked_seen) {
          v = bad("chunked is not the final transfer coding");
          return false;
        }
        if (!detail::is_token(coding)) {
          v = bad("invalid Transfer-Encoding");
          return false;
        }
        if (!is_known_coding(coding)) {
          v = Verdict::reject(status::not_implemented, "unknown transfer coding");
          return false;
        }
        chunked_seen = detail::iequals(coding, "chunked");
        return true;
      });
      return v.ok();
    });
    if (!v.ok()) return v;
    if (codings == 0) return bad("empty Transfer-Encoding");
    if (!chunked_seen) return bad("chunked is not the final transfer coding");
    return Verdict::accept();
  }

  if (has_cl) {
    // Several Content-Length values (repeated fields, or a list "5, 5") are
    // one length if they all agree, and a 400 if not: RFC 9110 §8.6 lets a
    // recipient either reject such a message or fold it to the one value, and
    // a proxy that forwards them as they came leaves the next hop to guess.
    // We fold, as HAProxy does (nginx rejects); differing values are the
    // classic smuggling shape and are refused.
    std::optional<std::uint64_t> length;
    std::size_t elements = 0;
    Verdict v = Verdict::accept();
    detail::for_each_value(req, "Content-Length", [&](std::string_view value) {
      detail::for_each_element(value, [&](std::string_view element) {
        auto const n = detail::parse_decimal(element);
        if (!n) {
          v = bad("invalid Content-Length");
          return false;
        }
        if (length && *length != *n) {
          v = bad("conflicting Content-Length values");
          return false;
        }
        length = n;
        ++elements;
        return true;
      });
      return v.ok();
    });
    if (!v.ok()) return v;
    facts.fold_content_length = elements > 1;
    if (limits.max_body_bytes && *length > *limits.max_body_bytes)
      return Verdict::reject(status::payload_too_large, "request body too large");
  }
  return Verdict::accept();
}

// For a bad_version error: true if the request line in `received` ends in a
// well-formed "SP HTTP/d.d CRLF", i.e. the version is merely unsupported.
bool has_well_formed_version(std::string_view received) {
  auto const lf = received.find('\n');
  if (lf == std::string_view::npos || lf < 10) return false;
  auto const line = received.substr(0, lf);
  if (line.back() != '\r') return false;
  auto const v = line.substr(line.size() - 10, 9);  // " HTTP/d.d"
  return v.substr(0, 6) == " HTTP/" && is_digit(v[6]) && v[7] == '.' && is_digit(v[8]);
}

}  // namespace

template <class Fields>
Verdict screen_request(const bhttp::header<true, Fields>& req, const Limits& limits, RequestFacts& facts) {
  if (req.version() != 10 && req.version() != 11)
    return Verdict::reject(status::http_version_not_supported, "unsupported HTTP version");
  KeyFields key;
  if (auto v = check_fields(req, limits, key); !v.ok()) return v;
  if (auto v = check_target_and_host(req, key); !v.ok()) return v;
  facts.expect_continue = key.expect_continue;
  return check_framing(req, limits, key, facts);
}

bool is_100_continue(std::string_view value) noexcept {
  return detail::iequals(detail::trim_ows(value), "100-continue");
}

std::optional<Verdict> classify_parse_error(boost::system::error_code ec,
                                            std::string_view received) {
  if (!ec) return std::nullopt;
  if (ec == boost::beast::error::timeout)
    return Verdict::reject(status::request_timeout, "request not received in time");
  if (ec.category() != bhttp::make_error_code(bhttp::error::need_more).category())
    return std::nullopt;  // transport error: nobody to answer
  switch (static_cast<bhttp::error>(ec.value())) {
    case bhttp::error::need_more:
    case bhttp::error::need_buffer:
    case bhttp::error::end_of_chunk:
    case bhttp::error::end_of_stream:
      return std::nullopt;
    case bhttp::error::header_limit:
    case bhttp::error::buffer_overflow:
      return Verdict::reject(status::request_header_fields_too_large, "request header too large");
    case bhttp::error::body_limit:
      return Verdict::reject(status::payload_too_large, "request body too large");
    case bhttp::error::bad_version:
      if (received.empty() || has_well_formed_version(received))
        return Verdict::reject(status::http_version_not_supported, "unsupported HTTP version");
      return bad("malformed request line");
    case bhttp::error::partial_message:
      return bad("incomplete request");
    case bhttp::error::bad_chunk:
    case bhttp::error::bad_chunk_extension:
      return bad("malformed chunked body");
    case bhttp::error::bad_content_length:
    case bhttp::error::multiple_content_length:
      return bad("invalid Content-Length");
    case bhttp::error::bad_transfer_encoding:
      return bad("invalid Transfer-Encoding");
    default:
      return bad("malformed request");
  }
}

// The two field containers (arena_fields.h).
template Verdict screen_request(const bhttp::request_header<>&, const Limits&, RequestFacts&);
template Verdict screen_request(const bhttp::header<true, ArenaFields>&, const Limits&, RequestFacts&);

}  // namespace tandem::lb::http
