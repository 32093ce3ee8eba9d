// An HTTP/2 request's header block as the proxy keeps it, and its mapping to
// the HTTP/1.1 request header that goes upstream (RFC 9113 §8.3.1, RFC 9110
// §7.2: :authority becomes Host). And the other way: which response fields
// may go back over HTTP/2 (RFC 9113 §8.2.2: no connection-specific fields).
// Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include "lb/http/arena_fields.h"

namespace tandem::lb::h2 {

// RFC 9113 §10.5.1: a field's size is its name and value plus 32.
inline constexpr std::size_t kFieldOverhead = 32;

struct RequestHead {
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;
  std::vector<std::pair<std::string, std::string>> fields;  // regular fields, in order, lower-case names
  std::size_t list_bytes = 0;  // RFC 9113 §10.5.1 size of everything received
  std::size_t count = 0;       // fields received, pseudo-fields included
  bool over_limit = false;     // list_bytes or count went over the listener's limits: answered with a 431

  // Adds one field (NAME, VALUE) as nghttp2 decoded and validated it; past
  // MAX_BYTES or MAX_COUNT only the totals grow (the block is still decoded
  // to keep HPACK's state, but not kept).
  void add(std::string_view name, std::string_view value, std::size_t max_bytes, std::size_t max_count);
};

// A header field as views (of the codec's, a parser's or an arena's bytes).
using FieldView = std::pair<std::string_view, std::string_view>;

// The HTTP/1.1 request header for HEAD: method, target, Host from
// :authority (a Host field of its own is kept when there is no :authority),
// Cookie fields joined with "; " (RFC 9113 §8.2.3), every other field as it
// came. False when HEAD cannot be one (no :path, or CONNECT): the caller
// answers 400. Fields: Beast's default, or ArenaFields (the proxy's).
template <class Fields>
bool to_http1(const RequestHead& head, boost::beast::http::header<true, Fields>& out);

// Whether a response field NAME (lower-case) may go to an HTTP/2 client:
// Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding and Upgrade may not.
bool allowed_in_h2_response(std::string_view name);

// The response's fields with lower-case names, without those that may not
// go over HTTP/2, into OUT (cleared first): the names lower-cased into ARENA
// (one bump each, no string per field), the values views of RES's.
template <class Fields>
void h2_response_fields(const boost::beast::http::header<false, Fields>& res, http::Arena& arena,
                        std::vector<FieldView>& out);

}  // namespace tandem::lb::h2
