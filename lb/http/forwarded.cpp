#include "lb/http/forwarded.h"

#include "lb/http/field_list.h"

namespace tandem::lb::http {
namespace {

namespace bhttp = boost::beast::http;

// An IPv4-mapped IPv6 address (from a dual-stack listener) as plain IPv4.
boost::asio::ip::address unmapped(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

// `value` as an RFC 7239 value: a token as is, anything else a quoted-string.
std::string forwarded_value(std::string_view value) {
  if (detail::is_token(value)) return std::string(value);
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// Appends `element` to the comma-separated list held by the `name` fields,
// folding several fields into one so the chain stays in order.
template <class Fields>
void append_to_list(bhttp::header<true, Fields>& req, std::string_view name, std::string_view element) {
  std::string chain;
  detail::for_each_value(req, name, [&](std::string_view value) {
    auto const v = detail::trim_ows(value);
    if (v.empty()) return true;
    if (!chain.empty()) chain += ", ";
    chain.append(v);
    return true;
  });
  if (!chain.empty()) chain += ", ";
  chain.append(element.data(), element.size());
  req.set(name, chain);
}

}  // namespace

std::string forwarded_node(const boost::asio::ip::address& client) {
  auto const a = unmapped(client);
  if (a.is_v6()) return "\"[" + a.to_string() + "]\"";
  return a.to_string();
}

ForwardingElements forwarding_elements(const boost::asio::ip::address& client, std::string_view proto,
                                       std::string_view by) {
  ForwardingElements out;
  out.x_forwarded_for = unmapped(client).to_string();
  out.proto = std::string(proto);
  out.forwarded = "for=" + forwarded_node(client);
  if (!by.empty()) out.forwarded += ";by=" + forwarded_value(by);
  out.forwarded += ";proto=" + forwarded_value(proto);
  return out;
}

template <class Fields>
void add_forwarding_headers(bhttp::header<true, Fields>& req, const ForwardingElements& elements) {
  append_to_list(req, "X-Forwarded-For", elements.x_forwarded_for);
  req.set("X-Forwarded-Proto", elements.proto);
  append_to_list(req, "Forwarded", elements.forwarded);
}

template <class Fields>
void add_forwarding_headers(bhttp::header<true, Fields>& req, const boost::asio::ip::address& client,
                            std::string_view proto, std::string_view by) {
  add_forwarding_headers(req, forwarding_elements(client, proto, by));
}

// The two field containers (arena_fields.h).
template void add_forwarding_headers(bhttp::request_header<>&, const ForwardingElements&);
template void add_forwarding_headers(bhttp::header<true, ArenaFields>&, const ForwardingElements&);
template void add_forwarding_headers(bhttp::request_header<>&, const boost::asio::ip::address&, std::string_view,
                                     std::string_view);
template void add_forwarding_headers(bhttp::header<true, ArenaFields>&, const boost::asio::ip::address&,
                                     std::string_view, std::string_view);

}  // namespace tandem::lb::http
