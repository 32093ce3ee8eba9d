// Tests for ha/control/control_admission.h: idle unauthenticated connections
// never lock a key holder out of the remote control endpoint.
#include <boost/test/unit_test.hpp>

#include "ha/control/control_admission.h"

namespace tandem::ha {
namespace {

BOOST_AUTO_TEST_SUITE(control_admission)

BOOST_AUTO_TEST_CASE(per_source_limit_closes_that_sources_oldest) {
  ConnectionAdmission a({.total = 64, .per_source = 3});
  std::vector<ConnectionAdmission::Id> ids;
  for (int i = 0; i < 3; ++i) {
    auto d = a.admit("198.18.0.66");
    BOOST_REQUIRE(d.admitted);
    BOOST_TEST(d.close.empty());
    ids.push_back(*d.admitted);
  }
  const auto other = a.admit("198.18.0.50");
  BOOST_TEST(other.close.empty());
  auto fourth = a.admit("198.18.0.66");
  BOOST_REQUIRE(fourth.admitted);
  BOOST_REQUIRE_EQUAL(fourth.close.size(), 1u);
  BOOST_TEST(fourth.close[0] == ids[0]);
  BOOST_TEST(std::string(fourth.reason) == "per_source");
  BOOST_TEST(a.unauthenticated_from("198.18.0.66") == 3u);
  BOOST_TEST(a.unauthenticated_from("198.18.0.50") == 1u);
  BOOST_TEST(a.open() == 4u);
}

BOOST_AUTO_TEST_CASE(full_endpoint_closes_the_oldest_unauthenticated_not_the_new_one) {
  ConnectionAdmission a({.total = 4, .per_source = 8});
  std::vector<ConnectionAdmission::Id> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(*a.admit("10.0.0." + std::to_string(i)).admitted);
  a.authenticated(ids[0]);  // a key holder's: never closed for room
  auto d = a.admit("198.18.0.50");
  BOOST_REQUIRE(d.admitted);
  BOOST_REQUIRE_EQUAL(d.close.size(), 1u);
  BOOST_TEST(d.close[0] == ids[1]);
  BOOST_TEST(std::string(d.reason) == "full");
  BOOST_TEST(a.open() == 4u);
}

BOOST_AUTO_TEST_CASE(refused_only_when_every_slot_is_authenticated) {
  ConnectionAdmission a({.total = 2, .per_source = 8});
  a.authenticated(*a.admit("a").admitted);
  a.authenticated(*a.admit("b").admitted);
  auto d = a.admit("c");
  BOOST_TEST(!d.admitted);
  BOOST_TEST(d.close.empty());
  BOOST_TEST(std::string(d.reason) == "full_authenticated");
  BOOST_TEST(a.open() == 2u);
}

BOOST_AUTO_TEST_CASE(seventy_idlers_from_one_address_leave_room_for_the_operator) {
  // Issue 10 item 2: 70 idle connections from a keyless client at the
  // operator's own address, then lbctl's.
  ConnectionAdmission a;
  std::size_t closed = 0;
  for (int i = 0; i < 70; ++i) closed += a.admit("198.18.0.50").close.size();
  BOOST_TEST(a.unauthenticated_from("198.18.0.50") == 8u);
  BOOST_TEST(closed == 62u);
  auto lbctl = a.admit("198.18.0.50");
  BOOST_REQUIRE(lbctl.admitted);
  a.authenticated(*lbctl.admitted);
  // More idlers do not close the authenticated one.
  for (int i = 0; i < 70; ++i) {
    auto d = a.admit("198.18.0.50");
    for (auto id : d.close) BOOST_TEST(id != *lbctl.admitted);
  }
  BOOST_TEST(a.open() == 9u);
}

BOOST_AUTO_TEST_CASE(many_sources_fill_the_table_and_still_yield) {
  ConnectionAdmission a;
  for (int s = 0; s < 20; ++s)
    for (int i = 0; i < 8; ++i) (void)a.admit("10.0.1." + std::to_string(s));
  BOOST_TEST(a.open() == 64u);
  auto d = a.admit("198.18.0.50");
  BOOST_TEST(d.admitted.has_value());
  BOOST_TEST(d.close.size() == 1u);
}

BOOST_AUTO_TEST_CASE(closed_and_unknown_ids_are_forgotten_quietly) {
  ConnectionAdmission a({.total = 2, .per_source = 2});
  const auto x = *a.admit("a").admitted;
  a.closed(x);
  a.closed(x);       // twice: the shell closes what it was told to close
  a.closed(12345);   // never admitted
  a.authenticated(999);
  BOOST_TEST(a.open() == 0u);
  BOOST_TEST(a.unauthenticated() == 0u);
  BOOST_TEST(a.admit("a").close.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
