#include "lb/h2/request_head.h"

#include <algorithm>
#include <array>

namespace tandem::lb::h2 {

namespace bhttp = boost::beast::http;

void RequestHead::add(std::string_view name, std::string_view value, std::size_t max_bytes, std::size_t max_count) {
  list_bytes += name.size() + value.size() + kFieldOverhead;
  ++count;
  if (list_bytes > max_bytes || count > max_count) over_limit = true;
  if (over_limit) return;
  if (!name.empty() && name.front() == ':') {
    // nghttp2 has already refused unknown, repeated and misplaced pseudo-fields.
    if (name == ":method") method = value;
    else if (name == ":scheme") scheme = value;
    else if (name == ":authority") authority = value;
    else if (name == ":path") path = value;
    return;
  }
  fields.emplace_back(name, value);
}

template <class Fields>
bool to_http1(const RequestHead& head, bhttp::header<true, Fields>& out) {
  if (head.path.empty() || head.method == "CONNECT") return false;
  out.method_string(head.method);
  out.target(head.path);
  out.version(11);
  std::string cookie;
  bool has_host = false;
  for (const auto& [name, value] : head.fields) {
    if (name == "cookie") {
      if (!cookie.empty()) cookie += "; ";
      cookie += value;
      continue;
    }
    if (name == "host") {
      if (!head.authority.empty()) continue;  // :authority wins (RFC 9113 §8.3.1)
      has_host = true;
    }
    out.insert(name, value);
  }
  if (!head.authority.empty()) {
    out.set(bhttp::field::host, head.authority);
  } else if (!has_host) {
    return false;  // HTTP/1.1 needs a Host (RFC 9112 §3.2)
  }
  if (!cookie.empty()) out.set(bhttp::field::cookie, cookie);
  return true;
}

bool allowed_in_h2_response(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kConnectionSpecific = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"};
  return std::find(kConnectionSpecific.begin(), kConnectionSpecific.end(), name) == kConnectionSpecific.end();
}

template <class Fields>
void h2_response_fields(const bhttp::header<false, Fields>& res, http::Arena& arena, std::vector<FieldView>& out) {
  out.clear();
  for (const auto& f : res) {
    const auto given = f.name_string();
    auto* lower = static_cast<char*>(arena.allocate(given.size(), 1));
    for (std::size_t i = 0; i < given.size(); ++i) {
      const char c = given[i];
      lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;  // no locale: names are tokens
    }
    const std::string_view name(lower, given.size());
    if (!allowed_in_h2_response(name)) continue;
    out.emplace_back(name, std::string_view(f.value().data(), f.value().size()));
  }
}

template bool to_http1(const RequestHead&, bhttp::request_header<>&);
template bool to_http1(const RequestHead&, bhttp::header<true, http::ArenaFields>&);
template void h2_response_fields(const bhttp::response_header<>&, http::Arena&, std::vector<FieldView>&);
template void h2_response_fields(const bhttp::header<false, http::ArenaFields>&, http::Arena&, std::vector<FieldView>&);

}  // namespace tandem::lb::h2
