// StickyPolicy: which server a request prefers (before the pick) and what is
// recorded once a server answered (after), for each stickiness rule.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "lb/route/sticky_policy.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
using Action = StickyRecord::Action;
const TimePoint t0 = TimePoint{} + 1h;  // a fake clock: tests move it by hand

config::EffectiveStickiness rule(config::Stickiness::Kind kind, std::string cookie = "") {
  config::EffectiveStickiness r;
  r.kind = kind;
  r.cookie = std::move(cookie);
  r.ttl = 1000ms;
  return r;
}

StickTableOptions table_options() {
  StickTableOptions o;
  o.pool = "web";
  o.node = "lb1";
  o.ttl = 1000ms;
  o.max_entries = 100;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_sticky_policy)

BOOST_AUTO_TEST_CASE(no_stickiness_prefers_nobody_and_records_nothing) {
  const auto r = rule(config::Stickiness::KIND_UNSPECIFIED);
  const StickyPolicy policy(r, nullptr);
  BOOST_TEST(!policy.sticks());
  BOOST_TEST(!policy.reads_cookie());
  BOOST_TEST(!policy.strips_cookie());
  const auto choice = policy.before({.source = "198.18.0.9", .cookie = "s1"}, t0);
  BOOST_TEST(!choice.table_key.has_value());
  BOOST_TEST(!choice.stuck_name.has_value());
  BOOST_TEST(static_cast<int>(policy.after(choice, "s1").action) == static_cast<int>(Action::none));
}

BOOST_AUTO_TEST_CASE(source_ip_learns_the_server_then_prefers_it) {
  const auto r = rule(config::Stickiness::SOURCE_IP);
  StickTable table(table_options());
  const StickyPolicy policy(r, &table);
  BOOST_TEST(policy.sticks());
  auto first = policy.before({.source = "198.18.0.9"}, t0);
  BOOST_TEST(first.table_key.value() == "198.18.0.9");
  BOOST_TEST(!first.stuck_name.has_value());
  const auto record = policy.after(first, "s2");
  BOOST_TEST(static_cast<int>(record.action) == static_cast<int>(Action::table_put));
  BOOST_TEST(record.key == "198.18.0.9");
  BOOST_TEST(record.server == "s2");
  policy.record(record, t0);
  const auto second = policy.before({.source = "198.18.0.9"}, t0 + 10ms);
  BOOST_TEST(second.stuck_name.value() == "s2");
  // Served by the server it is stuck to: nothing to record.
  BOOST_TEST(static_cast<int>(policy.after(second, "s2").action) == static_cast<int>(Action::none));
  // An expired entry names nobody.
  BOOST_TEST(!policy.before({.source = "198.18.0.9"}, t0 + 5s).stuck_name.has_value());
}

BOOST_AUTO_TEST_CASE(source_ip_follows_the_client_to_another_server) {
  const auto r = rule(config::Stickiness::SOURCE_IP);
  StickTable table(table_options());
  const StickyPolicy policy(r, &table);
  table.put("198.18.0.9", "s1", t0);
  const auto choice = policy.before({.source = "198.18.0.9"}, t0);
  const auto record = policy.after(choice, "s3");  // s1 was down
  BOOST_TEST(static_cast<int>(record.action) == static_cast<int>(Action::table_put));
  policy.record(record, t0);
  BOOST_TEST(table.lookup("198.18.0.9", t0).value() == "s3");
}

BOOST_AUTO_TEST_CASE(learn_cookie_keys_the_table_by_the_application_cookie) {
  const auto r = rule(config::Stickiness::LEARN_COOKIE, "JSESSIONID");
  StickTable table(table_options());
  const StickyPolicy policy(r, &table);
  BOOST_TEST(policy.reads_cookie());
  BOOST_TEST(!policy.strips_cookie());
  BOOST_TEST(policy.learns_cookie());
  BOOST_TEST(policy.cookie_name() == "JSESSIONID");
  // No cookie yet: no key; the response's Set-Cookie is learned.
  const auto anonymous = policy.before({.source = "198.18.0.9"}, t0);
  BOOST_TEST(!anonymous.table_key.has_value());
  const auto learn = policy.after(anonymous, "s1", std::string_view("abc"));
  BOOST_TEST(static_cast<int>(learn.action) == static_cast<int>(Action::table_put));
  BOOST_TEST(learn.key == "abc");
  policy.record(learn, t0);
  // The session cookie now leads to s1.
  const auto known = policy.before({.source = "198.18.0.10", .cookie = "abc"}, t0);
  BOOST_TEST(known.table_key.value() == "abc");
  BOOST_TEST(known.stuck_name.value() == "s1");
  BOOST_TEST(static_cast<int>(policy.after(known, "s1").action) == static_cast<int>(Action::none));
  // s1 was unusable and s2 served: the session moves with the client.
  const auto moved = policy.after(known, "s2");
  BOOST_TEST(static_cast<int>(moved.action) == static_cast<int>(Action::table_move));
  policy.record(moved, t0);
  BOOST_TEST(table.lookup("abc", t0).value() == "s2");
}

BOOST_AUTO_TEST_CASE(learn_cookie_of_an_unknown_session_records_nothing_without_a_set_cookie) {
  const auto r = rule(config::Stickiness::LEARN_COOKIE, "JSESSIONID");
  StickTable table(table_options());
  const StickyPolicy policy(r, &table);
  const auto choice = policy.before({.source = "198.18.0.9", .cookie = "unknown"}, t0);
  BOOST_TEST(!choice.stuck_name.has_value());
  BOOST_TEST(static_cast<int>(policy.after(choice, "s1").action) == static_cast<int>(Action::none));
}

BOOST_AUTO_TEST_CASE(insert_cookie_names_the_server_in_a_cookie_the_proxy_strips) {
  const auto r = rule(config::Stickiness::INSERT_COOKIE, "SRV");
  const StickyPolicy policy(r, nullptr);
  BOOST_TEST(policy.reads_cookie());
  BOOST_TEST(policy.strips_cookie());
  BOOST_TEST(!policy.learns_cookie());
  // A new client gets the cookie of the server that served it.
  const auto fresh = policy.before({.source = "198.18.0.9"}, t0);
  BOOST_TEST(!fresh.stuck_name.has_value());
  const auto set = policy.after(fresh, "s2");
  BOOST_TEST(static_cast<int>(set.action) == static_cast<int>(Action::set_cookie));
  BOOST_TEST(set.server == "s2");
  // A client carrying it prefers that server and needs no new cookie...
  const auto stuck = policy.before({.source = "198.18.0.9", .cookie = "s2"}, t0);
  BOOST_TEST(stuck.stuck_name.value() == "s2");
  BOOST_TEST(static_cast<int>(policy.after(stuck, "s2").action) == static_cast<int>(Action::none));
  // ...unless another server served it: then the cookie changes.
  BOOST_TEST(static_cast<int>(policy.after(stuck, "s1").action) == static_cast<int>(Action::set_cookie));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
