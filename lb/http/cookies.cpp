#include "lb/http/cookies.h"

#include "lb/http/field_list.h"

#include <boost/beast/http/field.hpp>

#include <vector>

namespace tandem::lb::http {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::field;

// One "name=value" pair of a Cookie field, trimmed; nullopt when it has no '='.
struct Pair {
  std::string_view name;
  std::string_view value;
};

std::optional<Pair> split_pair(std::string_view text) noexcept {
  auto const eq = text.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  auto name = detail::trim_ows(text.substr(0, eq));
  auto value = detail::trim_ows(text.substr(eq + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  return Pair{name, value};
}

// Calls fn(raw_pair_text, pair) for each ';'-separated pair; stops when fn returns false.
template <class Fn>
void for_each_pair(std::string_view field_value, Fn&& fn) {
  for (;;) {
    auto const semi = field_value.find(';');
    auto const raw = detail::trim_ows(field_value.substr(0, semi));
    if (!raw.empty() && !fn(raw, split_pair(raw))) return;
    if (semi == std::string_view::npos) return;
    field_value.remove_prefix(semi + 1);
  }
}

// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool is_cookie_octet(char c) noexcept {
  auto const u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2b) || (u >= 0x2d && u <= 0x3a) ||
         (u >= 0x3c && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
}

}  // namespace

std::optional<std::string_view> find_cookie(std::string_view cookie_field,
                                            std::string_view name) noexcept {
  std::optional<std::string_view> found;
  for_each_pair(cookie_field, [&](std::string_view, std::optional<Pair> p) {
    if (p && p->name == name) found = p->value;
    return !found;
  });
  return found;
}

template <class Allocator>
std::optional<std::string_view> find_cookie(const bhttp::basic_fields<Allocator>& fields,
                                            std::string_view name) noexcept {
  std::optional<std::string_view> found;
  detail::for_each_value(fields, "Cookie", [&](std::string_view v) {
    found = find_cookie(v, name);
    return !found;
  });
  return found;
}

std::optional<SetCookie> parse_set_cookie(std::string_view set_cookie_field) noexcept {
  auto const p = split_pair(set_cookie_field.substr(0, set_cookie_field.find(';')));
  if (!p || p->name.empty()) return std::nullopt;
  return SetCookie{p->name, p->value};
}

template <class Allocator>
std::optional<std::string_view> find_set_cookie(const bhttp::basic_fields<Allocator>& fields,
                                                std::string_view name) noexcept {
  std::optional<std::string_view> found;
  detail::for_each_value(fields, "Set-Cookie", [&](std::string_view v) {
    auto const c = parse_set_cookie(v);
    if (c && c->name == name) found = c->value;
    return !found;
  });
  return found;
}

bool is_valid_cookie_name(std::string_view name) noexcept { return detail::is_token(name); }

bool is_valid_cookie_value(std::string_view value) noexcept {
  for (char c : value)
    if (!is_cookie_octet(c)) return false;
  return true;
}

std::string make_sticky_cookie(std::string_view name, std::string_view value,
                               const CookieAttributes& attributes) {
  std::string out;
  out.reserve(name.size() + value.size() + 32 + attributes.domain.size());
  out.append(name).append("=").append(value);
  if (!attributes.path.empty()) out.append("; Path=").append(attributes.path);
  if (!attributes.domain.empty()) out.append("; Domain=").append(attributes.domain);
  if (attributes.max_age) out.append("; Max-Age=").append(std::to_string(attributes.max_age->count()));
  if (attributes.secure) out.append("; Secure");
  if (attributes.http_only) out.append("; HttpOnly");
  return out;
}

template <class Allocator>
bool strip_cookie(bhttp::basic_fields<Allocator>& fields, std::string_view name) {
  if (!find_cookie(fields, name)) return false;

  std::vector<std::string> kept_fields;
  detail::for_each_value(fields, "Cookie", [&](std::string_view v) {
    std::string kept;
    for_each_pair(v, [&](std::string_view raw, std::optional<Pair> p) {
      if (p && p->name == name) return true;
      if (!kept.empty()) kept += "; ";
      kept.append(raw);
      return true;
    });
    if (!kept.empty()) kept_fields.push_back(std::move(kept));
    return true;
  });
  detail::erase_if(fields, [](auto const& f) { return f.name() == field::cookie; });
  for (auto& v : kept_fields) fields.insert(field::cookie, v);
  return true;
}

// The two field containers (arena_fields.h).
template std::optional<std::string_view> find_cookie(const bhttp::fields&, std::string_view) noexcept;
template std::optional<std::string_view> find_cookie(const ArenaFields&, std::string_view) noexcept;
template std::optional<std::string_view> find_set_cookie(const bhttp::fields&, std::string_view) noexcept;
template std::optional<std::string_view> find_set_cookie(const ArenaFields&, std::string_view) noexcept;
template bool strip_cookie(bhttp::fields&, std::string_view);
template bool strip_cookie(ArenaFields&, std::string_view);

}  // namespace tandem::lb::http
