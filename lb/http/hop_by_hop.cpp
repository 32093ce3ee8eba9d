#include "lb/http/hop_by_hop.h"

#include "lb/http/field_list.h"
#include "lb/http/request_screen.h"

#include <boost/beast/http/field.hpp>

#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

namespace tandem::lb::http {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::field;

// Fields a Connection list may not remove: they carry the framing and routing.
bool is_protected(std::string_view name) {
  return detail::iequals(name, "host") || detail::iequals(name, "content-length") ||
         detail::iequals(name, "transfer-encoding");
}

// Connection options that are not field names (and Connection itself).
bool is_connection_option(std::string_view token) {
  return detail::iequals(token, "close") || detail::iequals(token, "keep-alive") ||
         detail::iequals(token, "connection");
}

// Fields that are hop-by-hop whatever Connection lists.
constexpr bool is_always_hop_by_hop(field name) {
  switch (name) {
    case field::connection: case field::keep_alive: case field::proxy_connection:
    case field::te: case field::trailer: case field::upgrade:
      return true;
    default:
      return false;
  }
}

// Whether FIELDS has NAME: a walk of the (short) list comparing the field
// enum, where fields::count() does two case-insensitive tree searches.
template <class Allocator>
bool has(const bhttp::basic_fields<Allocator>& fields, field name) {
  for (auto const& f : fields)
    if (f.name() == name) return true;
  return false;
}

// The single Content-Length value of `fields`, if all its elements agree.
template <class Allocator>
std::optional<std::uint64_t> content_length(const bhttp::basic_fields<Allocator>& fields) {
  std::optional<std::uint64_t> length;
  bool valid = true;
  detail::for_each_value(fields, "Content-Length", [&](std::string_view value) {
    detail::for_each_element(value, [&](std::string_view e) {
      auto const v = detail::parse_decimal(e);
      valid = v && (!length || *length == *v);
      length = v;
      return valid;
    });
    return valid;
  });
  return valid ? length : std::nullopt;
}

// True if the last transfer coding listed in `fields` is chunked.
template <class Allocator>
bool final_coding_is_chunked(const bhttp::basic_fields<Allocator>& fields) {
  std::string_view last;
  detail::for_each_value(fields, "Transfer-Encoding", [&](std::string_view value) {
    detail::for_each_element(value, [&](std::string_view e) {
      if (!e.empty()) last = e;
      return true;
    });
    return true;
  });
  return detail::iequals(last, "chunked");
}

}  // namespace

// What one walk over the fields learns about the Connection options.
struct ConnectionScan {
  ConnectionIntent intent;
  bool hop_by_hop = false;  // some field is always hop-by-hop (is_always_hop_by_hop)
};

// Reads the Connection options of `fields` in a single pass (where
// connection_intent and strip_hop_by_hop used to walk the list three times
// and search the tree once) and calls `on_named(token)` for each option that
// names a field the sender wants stripped.
template <class Allocator, class OnNamed>
ConnectionScan scan_connection(unsigned version, const bhttp::basic_fields<Allocator>& fields, OnNamed&& on_named) {
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;
  bool upgrade_field = false;
  ConnectionScan scan;
  for (auto const& f : fields) {
    if (is_always_hop_by_hop(f.name())) scan.hop_by_hop = true;
    if (f.name() == field::upgrade) upgrade_field = true;
    if (f.name() != field::connection) continue;
    detail::for_each_element(std::string_view(f.value()), [&](std::string_view token) {
      if (detail::iequals(token, "close")) close = true;
      else if (detail::iequals(token, "keep-alive")) keep_alive = true;
      else if (detail::iequals(token, "upgrade")) upgrade = true;
      if (detail::is_token(token) && !is_protected(token) && !is_connection_option(token)) on_named(token);
      return true;
    });
  }
  scan.intent.keep_alive = !close && (version >= 11 || keep_alive);
  scan.intent.upgrade = upgrade && upgrade_field;
  return scan;
}

template <class Allocator>
ConnectionIntent connection_intent(unsigned version, const bhttp::basic_fields<Allocator>& fields) {
  return scan_connection(version, fields, [](std::string_view) {}).intent;
}

template <class Allocator>
ConnectionIntent strip_hop_by_hop(unsigned version, bhttp::basic_fields<Allocator>& fields) {
  // Collect first: erasing while walking the fields would pull the list from under us.
  std::vector<std::string> named;
  auto const scan = scan_connection(version, fields, [&](std::string_view token) { named.emplace_back(token); });
  // A Connection field is itself hop-by-hop, so nothing named means nothing to erase.
  if (!scan.hop_by_hop) return scan.intent;
  auto const intent = scan.intent;
  detail::erase_if(fields, [&](auto const& f) {
    if (is_always_hop_by_hop(f.name())) return true;
    for (auto const& name : named)
      if (detail::iequals(f.name_string(), name)) return true;
    return false;
  });
  return intent;
}

template <class Allocator>
bool fold_content_length(bhttp::basic_fields<Allocator>& fields) {
  bool several = false;
  bool seen = false;
  for (auto const& f : fields) {
    if (f.name() != field::content_length) continue;
    several = seen || std::string_view(f.value()).find(',') != std::string_view::npos;
    if (several) break;
    seen = true;
  }
  if (!several) return false;
  auto const length = content_length(fields);
  if (!length) return false;
  std::array<char, 20> digits{};  // UINT64_MAX has 20
  auto const end = std::to_chars(digits.data(), digits.data() + digits.size(), *length).ptr;
  detail::erase_if(fields, [](auto const& f) { return f.name() == field::content_length; });
  fields.set(field::content_length, std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
  return true;
}

template <class Allocator>
bool drop_expect_continue(bhttp::basic_fields<Allocator>& fields) {
  bool dropped = false;
  detail::erase_if(fields, [&](auto const& f) {
    const bool drop = f.name() == field::expect && is_100_continue(f.value());
    dropped = dropped || drop;
    return drop;
  });
  return dropped;
}

template <class Fields>
BodyFraming response_framing(const bhttp::header<true, Fields>& req, const bhttp::header<false, Fields>& res) {
  auto const code = res.result_int();
  if (req.method() == bhttp::verb::head || code / 100 == 1 || code == 204 || code == 304 ||
      (req.method() == bhttp::verb::connect && code / 100 == 2))
    return BodyFraming::none;
  if (has(res, field::transfer_encoding)) {
    if (res.version() >= 11 && !has(res, field::content_length) && final_coding_is_chunked(res))
      return BodyFraming::chunked;
    return BodyFraming::until_close;
  }
  if (has(res, field::content_length))
    return content_length(res) ? BodyFraming::content_length : BodyFraming::until_close;
  return BodyFraming::until_close;
}

template <class Fields>
bool keep_client_alive(ConnectionIntent client, const bhttp::header<true, Fields>& req,
                       const bhttp::header<false, Fields>& res) {
  return keep_client_alive(client, req.version(), res.result_int(), response_framing(req, res));
}

bool keep_client_alive(ConnectionIntent client, unsigned request_version, unsigned status, BodyFraming framing) {
  if (!client.keep_alive || status == 101) return false;
  switch (framing) {
    case BodyFraming::none:
    case BodyFraming::content_length:
      return true;
    case BodyFraming::chunked:
      return request_version >= 11;
    case BodyFraming::until_close:
      return false;
  }
  return false;
}

template <class Fields>
bool keep_server_alive(ConnectionIntent server, const bhttp::header<true, Fields>& req,
                       const bhttp::header<false, Fields>& res) {
  return keep_server_alive(server, res.result_int(), response_framing(req, res));
}

bool keep_server_alive(ConnectionIntent server, unsigned status, BodyFraming framing) {
  if (!server.keep_alive || status == 101) return false;
  return framing != BodyFraming::until_close;
}

template <class Allocator>
void set_connection(unsigned version, bhttp::basic_fields<Allocator>& fields, bool keep_alive) {
  detail::erase_if(fields, [](auto const& f) { return f.name() == field::connection; });
  if (version >= 11 && !keep_alive) fields.set(field::connection, "close");
  if (version < 11 && keep_alive) fields.set(field::connection, "keep-alive");
}

// The two field containers (arena_fields.h).
template ConnectionIntent connection_intent(unsigned, const bhttp::fields&);
template ConnectionIntent connection_intent(unsigned, const ArenaFields&);
template ConnectionIntent strip_hop_by_hop(unsigned, bhttp::fields&);
template ConnectionIntent strip_hop_by_hop(unsigned, ArenaFields&);
template bool drop_expect_continue(bhttp::fields&);
template bool drop_expect_continue(ArenaFields&);
template bool fold_content_length(bhttp::fields&);
template bool fold_content_length(ArenaFields&);
template BodyFraming response_framing(const bhttp::request_header<>&, const bhttp::response_header<>&);
template BodyFraming response_framing(const bhttp::header<true, ArenaFields>&, const bhttp::header<false, ArenaFields>&);
template bool keep_client_alive(ConnectionIntent, const bhttp::request_header<>&, const bhttp::response_header<>&);
template bool keep_client_alive(ConnectionIntent, const bhttp::header<true, ArenaFields>&,
                                const bhttp::header<false, ArenaFields>&);
template bool keep_server_alive(ConnectionIntent, const bhttp::request_header<>&, const bhttp::response_header<>&);
template bool keep_server_alive(ConnectionIntent, const bhttp::header<true, ArenaFields>&,
                                const bhttp::header<false, ArenaFields>&);
template void set_connection(unsigned, bhttp::fields&, bool);
template void set_connection(unsigned, ArenaFields&, bool);

}  // namespace tandem::lb::http
