// Small helpers for HTTP field values: OWS trimming, case-insensitive compare,
// and walking comma-separated lists (RFC 9110 §5.6.1). Header-only, no allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::lb::http::detail {

/// True for optional whitespace (RFC 9110 §5.6.3): SP or HTAB.
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing SP/HTAB.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

/// ASCII lower case of `c`.
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality (field names, tokens, codings).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// Calls `fn(element)` for each comma-separated element of `list`, trimmed of
/// OWS; empty elements are passed too (callers decide whether they are
/// errors). Stops early when `fn` returns false. Does not understand quoted
/// strings: use it only for token lists (Connection, Content-Length, codings).
template <class Fn>
constexpr void for_each_element(std::string_view list, Fn&& fn) {
  for (;;) {
    auto const comma = list.find(',');
    if (!fn(trim_ows(list.substr(0, comma)))) return;
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

/// Calls `fn(value)` for each field called `name` (any case), in order; stops
/// early when `fn` returns false. Use this, not fields::equal_range: in Beast
/// 1.81 that range runs in list order from the first to the last field of
/// that name, so it also holds every unrelated field in between.
template <class Fields, class Fn>
void for_each_value(const Fields& fields, std::string_view name, Fn&& fn) {
  for (auto const& f : fields) {
    std::string_view const n = f.name_string();
    if (iequals(n, name) && !fn(std::string_view(f.value()))) return;
  }
}

/// Erases every field for which `drop(field)` is true, in one pass with
/// iterator erase. Use it instead of Beast 1.81's erase(name): that goes
/// through equal_range, which is wrong when other fields sit between
/// same-name ones, and was seen looping forever under -O3.
template <class Fields, class Pred>
void erase_if(Fields& fields, Pred&& drop) {
  for (auto it = fields.begin(); it != fields.end();) {
    it = drop(*it) ? fields.erase(it) : std::next(it);
  }
}

/// True if `c` is a tchar (RFC 9110 §5.6.2), the characters of a token.
constexpr bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

/// True if `s` is a non-empty token.
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

/// Parses 1*DIGIT (a Content-Length element): no sign, no space, no overflow.
constexpr std::optional<std::uint64_t> parse_decimal(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    auto const d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace tandem::lb::http::detail
