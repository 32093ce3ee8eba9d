// Cookies for stickiness (RFC 6265): find a cookie in a request, read a
// Set-Cookie from a response, build the cookie we insert, and strip it from
// the request before forwarding (HAProxy's `cookie NAME insert indirect`).
// Lookups return views into the fields: no allocation, valid while they live.
#pragma once

#include <boost/beast/http/fields.hpp>

#include "lb/http/arena_fields.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::lb::http {

/// The value of cookie `name` in one Cookie field value ("a=1; b=2"). Names
/// match exactly and case-sensitively ("SRV" never matches "SRVX"); OWS around
/// names and values is ignored; a DQUOTE-wrapped value is returned without its
/// quotes. The first occurrence wins.
[[nodiscard]] std::optional<std::string_view> find_cookie(std::string_view cookie_field,
                                                          std::string_view name) noexcept;

/// find_cookie over every Cookie field of a request, in order.
template <class Allocator>
[[nodiscard]] std::optional<std::string_view> find_cookie(const boost::beast::http::basic_fields<Allocator>& fields,
                                                          std::string_view name) noexcept;

/// The name and value of one Set-Cookie field (attributes are ignored).
struct SetCookie {
  std::string_view name;
  std::string_view value;  ///< without surrounding DQUOTEs
};

/// Parses a Set-Cookie field value ("SID=abc; Path=/; Secure"); nullopt when
/// it has no '=' before the first ';' or an empty name (RFC 6265 §5.2).
[[nodiscard]] std::optional<SetCookie> parse_set_cookie(std::string_view set_cookie_field) noexcept;

/// The value of the first Set-Cookie of a response that sets cookie `name`.
template <class Allocator>
[[nodiscard]] std::optional<std::string_view> find_set_cookie(
    const boost::beast::http::basic_fields<Allocator>& fields, std::string_view name) noexcept;

/// True if `name` may be a cookie name (a token, RFC 6265 §4.1.1).
[[nodiscard]] bool is_valid_cookie_name(std::string_view name) noexcept;

/// True if `value` may be an unquoted cookie value (1*cookie-octet).
[[nodiscard]] bool is_valid_cookie_value(std::string_view value) noexcept;

/// Attributes of the stickiness cookie we insert. The defaults give
/// "NAME=VALUE; Path=/; HttpOnly".
struct CookieAttributes {
  std::string_view path = "/";                 ///< empty: no Path
  std::string_view domain;                     ///< empty: no Domain
  std::optional<std::chrono::seconds> max_age; ///< nullopt: a session cookie
  bool secure = false;                         ///< add Secure (HTTPS listeners)
  bool http_only = true;                       ///< add HttpOnly
};

/// The Set-Cookie field value that sticks a client to a server. `name` and
/// `value` must pass is_valid_cookie_name / is_valid_cookie_value (checked
/// when the configuration is loaded).
[[nodiscard]] std::string make_sticky_cookie(std::string_view name, std::string_view value,
                                             const CookieAttributes& attributes = {});

/// Removes every cookie called `name` from the Cookie fields of a request,
/// keeping the other cookies in order and dropping a Cookie field left empty.
/// Returns true if anything was removed; allocates only then.
template <class Allocator>
bool strip_cookie(boost::beast::http::basic_fields<Allocator>& fields, std::string_view name);

}  // namespace tandem::lb::http
