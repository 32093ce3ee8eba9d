// Unit tests for lb/http/upgrade: which upgrade offers go upstream, how they
// are put back on the request, and what a 101 means.
#include "lb/http/upgrade.h"

#include <boost/test/unit_test.hpp>

namespace bhttp = boost::beast::http;
using namespace tandem::lb::http;

namespace {
constexpr ConnectionIntent upgrade_intent{true, true};
constexpr ConnectionIntent no_upgrade{true, false};
}  // namespace

BOOST_AUTO_TEST_SUITE(http_upgrade)

BOOST_AUTO_TEST_CASE(websocket_offer_goes_upstream) {
  BOOST_TEST(upgrade_offer(11, upgrade_intent, "websocket").value() == "websocket");
  BOOST_TEST(upgrade_offer(11, upgrade_intent, "foo/2, bar").value() == "foo/2, bar");
}

BOOST_AUTO_TEST_CASE(no_offer_without_connection_upgrade) {
  BOOST_TEST(!upgrade_offer(11, no_upgrade, "websocket"));
}

BOOST_AUTO_TEST_CASE(http10_gets_no_upgrade) {
  BOOST_TEST(!upgrade_offer(10, upgrade_intent, "websocket"));
}

BOOST_AUTO_TEST_CASE(h2c_is_dropped_from_the_offer) {
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, "h2c"));
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, "H2C"));
  BOOST_TEST(upgrade_offer(11, upgrade_intent, "h2c, websocket").value() == "websocket");
}

BOOST_AUTO_TEST_CASE(malformed_or_empty_offer_is_not_forwarded) {
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, ""));
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, " , "));
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, "web socket"));
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, "foo/"));
  BOOST_TEST(!upgrade_offer(11, upgrade_intent, "a\"b"));
  BOOST_TEST(upgrade_offer(11, upgrade_intent, "a, , b").value() == "a, b");
}

BOOST_AUTO_TEST_CASE(upgrade_fields_are_joined_and_restored) {
  bhttp::fields f;
  f.insert(bhttp::field::upgrade, "websocket");
  f.insert(bhttp::field::upgrade, "foo");
  BOOST_TEST(upgrade_field(f) == "websocket, foo");
  bhttp::fields out;
  restore_upgrade(out, "websocket");
  BOOST_TEST(out[bhttp::field::connection] == "upgrade");
  BOOST_TEST(out[bhttp::field::upgrade] == "websocket");
  bhttp::fields closing;
  closing.set(bhttp::field::connection, "close");
  restore_upgrade(closing, "websocket");
  BOOST_TEST(closing[bhttp::field::connection] == "close, upgrade");
}

BOOST_AUTO_TEST_CASE(what_a_101_means) {
  BOOST_TEST((upgrade_answer(true, 101) == UpgradeAnswer::tunnel));
  BOOST_TEST((upgrade_answer(false, 101) == UpgradeAnswer::unsolicited));
  BOOST_TEST((upgrade_answer(true, 426) == UpgradeAnswer::http));
  BOOST_TEST((upgrade_answer(true, 200) == UpgradeAnswer::http));
  BOOST_TEST((upgrade_answer(false, 200) == UpgradeAnswer::http));
}

BOOST_AUTO_TEST_SUITE_END()
