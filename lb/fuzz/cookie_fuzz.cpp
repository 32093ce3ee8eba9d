// libFuzzer target for cookies (lb/http/cookies.h) and the stick key made
// from them: the Cookie and Set-Cookie values come from clients and
// backends. The input is NAME '\0' COOKIE-VALUES '\0' SET-COOKIE-VALUES,
// each list split at '\n'. Checked on every input: a cookie found is a view
// into its field and holds no ';'; the fields' lookup agrees with the
// one-value lookup; strip_cookie removes NAME and keeps every other cookie;
// the cookie we insert reads back as written; and a stick key put in a
// table (as lb/runtime/http_session.cpp does for cookie stickiness) is found
// again with its server.
// run: ./cookie_fuzz -max_len=4096 lb/fuzz/corpus/cookie_fuzz
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "lb/http/arena.h"
#include "lb/http/arena_fields.h"
#include "lb/http/cookies.h"
#include "lb/stick/stick_table.h"

namespace {

namespace bhttp = boost::beast::http;
namespace lbh = tandem::lb::http;

void check(bool invariant) {
  if (!invariant) std::abort();
}

std::string_view take_until(std::string_view& in, char sep) {
  const auto at = in.find(sep);
  const auto out = in.substr(0, at);
  in.remove_prefix(at == std::string_view::npos ? in.size() : at + 1);
  return out;
}

// Field values as a parser would hand them over: no CR, LF or NUL.
std::vector<std::string> values(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    std::string v(take_until(list, '\n'));
    for (auto& c : v)
      if (c == '\r' || c == '\0') c = ' ';
    out.push_back(std::move(v));
  }
  return out;
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// The first cookie name of FIELD that is a valid token, other than NAME.
std::optional<std::string> another_name(std::string_view field, std::string_view name) {
  while (!field.empty()) {
    auto pair = take_until(field, ';');
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    auto n = pair.substr(0, pair.find('='));
    while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
    if (n != name && lbh::is_valid_cookie_name(n)) return std::string(n);
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string name(take_until(in, '\0'));
  const auto cookies = values(take_until(in, '\0'));
  const auto set_cookies = values(in);

  lbh::Arena arena;
  lbh::ArenaFields request{lbh::ArenaAllocator<char>(arena)};
  std::optional<std::string> first;  // the first match, field by field
  std::optional<std::string> other_name;
  for (const auto& v : cookies) {
    request.insert(bhttp::field::cookie, v);
    const auto found = lbh::find_cookie(std::string_view(v), name);
    if (found) {
      check(inside(*found, v));
      check(found->find(';') == std::string_view::npos);
      if (!first) first = std::string(*found);
    }
    if (!other_name) other_name = another_name(v, name);
  }
  const auto found = lbh::find_cookie(request, name);
  check(found.has_value() == first.has_value());
  if (found) check(*found == *first);

  // The stick key, as http_session makes it for cookie stickiness.
  tandem::lb::StickTable table({.pool = "app", .node = "edge1", .ttl = std::chrono::seconds(60), .max_entries = 16});
  const auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  if (found) {  // an empty cookie value is no key: the table ignores it
    const std::string key(*found);
    table.put(key, "app1", now);
    check(table.lookup(key, now) == (key.empty() ? std::nullopt : std::optional<std::string>("app1")));
  }

  std::optional<std::string> other_before;
  if (other_name)
    if (auto v = lbh::find_cookie(request, *other_name)) other_before = std::string(*v);
  const bool stripped = lbh::strip_cookie(request, name);
  check(stripped == found.has_value());
  check(!lbh::find_cookie(request, name));
  if (other_name) {
    const auto after = lbh::find_cookie(request, *other_name);
    check(after.has_value() == other_before.has_value());
    if (after) check(*after == *other_before);
  }

  bhttp::fields response;
  std::optional<std::string> first_set;
  for (const auto& v : set_cookies) {
    response.insert(bhttp::field::set_cookie, v);
    if (const auto c = lbh::parse_set_cookie(v)) {
      check(!c->name.empty() && inside(c->name, v) && inside(c->value, v));
      check(c->name.find(';') == std::string_view::npos && c->value.find(';') == std::string_view::npos);
      if (!first_set && c->name == name) first_set = std::string(c->value);
    }
  }
  const auto learned = lbh::find_set_cookie(response, name);
  check(learned.has_value() == first_set.has_value());
  if (learned) {
    check(*learned == *first_set);
    const std::string key(*learned);
    table.put(key, "app2", now);
    check(table.lookup(key, now) == (key.empty() ? std::nullopt : std::optional<std::string>("app2")));
  }

  // The cookie we insert, for a name and value the config would accept.
  if (lbh::is_valid_cookie_name(name) && !cookies.empty() && lbh::is_valid_cookie_value(cookies[0])) {
    const auto set = lbh::make_sticky_cookie(name, cookies[0], {.max_age = std::chrono::seconds(60), .secure = true});
    const auto back = lbh::parse_set_cookie(set);
    check(back && back->name == name && back->value == cookies[0]);
    const std::string as_sent = name + "=" + cookies[0];
    const auto echoed = lbh::find_cookie(std::string_view(as_sent), name);
    check(echoed && *echoed == cookies[0]);
  }
  return 0;
}
