// Tests for ha/advert/advert_mapping.h: wire adverts <-> machine adverts.
#include <boost/test/unit_test.hpp>

#include "common/hmac.h"
#include "ha/advert/advert_codec.h"
#include "ha/advert/advert_mapping.h"

namespace tandem::ha {
namespace {

wire::Advert wire_advert() {
  wire::Advert a;
  a.set_node("edge2");
  a.set_instance_id("www");
  a.set_priority(150);
  a.set_state(wire::ADVERT_STATE_MASTER);
  a.set_advert_interval_ms(100);
  a.set_sequence(42);
  a.set_boot_id(7);
  return a;
}

BOOST_AUTO_TEST_SUITE(agent_advert_mapping)

BOOST_AUTO_TEST_CASE(states_round_trip) {
  for (State s : {State::kInit, State::kBackup, State::kMaster, State::kFault}) {
    BOOST_TEST((from_wire(to_wire(s)) == s));
  }
  BOOST_TEST(!from_wire(wire::ADVERT_STATE_UNSPECIFIED).has_value());
  BOOST_TEST(!from_wire(static_cast<wire::AdvertState>(99)).has_value());
}

BOOST_AUTO_TEST_CASE(wire_to_machine) {
  auto a = to_machine(wire_advert());
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->node == "edge2");
  BOOST_TEST(a->priority == 150);
  BOOST_TEST((a->state == State::kMaster));
  BOOST_TEST(a->interval.count() == 100);
  BOOST_TEST(!a->successor.has_value());
}

BOOST_AUTO_TEST_CASE(cannot_serve_round_trips_and_defaults_to_serving) {
  auto a = to_machine(wire_advert());
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->serving);  // an older agent's advert says nothing: it can serve
  SendAdvert send{150, State::kMaster, std::nullopt, false};
  const auto w = to_wire(send, "www", Milliseconds{100}, AdvertOrigin{"edge1", 7}, 9);
  BOOST_TEST(w.cannot_serve());
  auto back = to_machine(w);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(!back->serving);
  send.serving = true;
  BOOST_TEST(!to_wire(send, "www", Milliseconds{100}, AdvertOrigin{"edge1", 7}, 9).cannot_serve());
}

BOOST_AUTO_TEST_CASE(successor_only_when_named) {
  auto w = wire_advert();
  w.set_priority(0);
  w.set_state(wire::ADVERT_STATE_INIT);
  w.set_successor("edge1");
  auto a = to_machine(w);
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->priority == 0);
  BOOST_TEST(a->successor.value_or("") == "edge1");
}

BOOST_AUTO_TEST_CASE(unrepresentable_never_reaches_the_machine) {
  auto w = wire_advert();
  w.set_priority(256);
  BOOST_TEST(!to_machine(w).has_value());
  w.set_priority(1000000);
  BOOST_TEST(!to_machine(w).has_value());
  w = wire_advert();
  w.set_state(wire::ADVERT_STATE_UNSPECIFIED);
  BOOST_TEST(!to_machine(w).has_value());
  w = wire_advert();
  w.set_advert_interval_ms(0);
  BOOST_TEST(!to_machine(w).has_value());
  w = wire_advert();
  w.set_priority(255);  // representable; the machine itself ignores it
  BOOST_TEST(to_machine(w).has_value());
}

BOOST_AUTO_TEST_CASE(machine_to_wire_is_accepted_by_a_peer) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  AdvertOrigin origin{"edge1", 99};
  auto w = to_wire(SendAdvert{0, State::kInit, std::string("edge2")}, "www", Milliseconds{100}, origin, 5);
  BOOST_TEST(advert_problem(w) == "");
  BOOST_TEST(w.instance_id() == "www");
  BOOST_TEST(w.successor() == "edge2");
  BOOST_TEST(w.boot_id() == 99u);
  AdvertVerifier peer(key, "edge2", {"edge1", "edge2"});
  auto verdict = peer.verify(encode_advert(w, key));
  BOOST_REQUIRE(std::holds_alternative<wire::Advert>(verdict));
  auto back = to_machine(std::get<wire::Advert>(verdict));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->node == "edge1");
  BOOST_TEST(back->priority == 0);
  BOOST_TEST(back->successor.value_or("") == "edge2");
}

BOOST_AUTO_TEST_CASE(a_copy_carries_its_lateness_both_ways) {
  auto w = to_wire(SendAdvert{200, State::kMaster, std::nullopt}, "www", Milliseconds{100},
                   AdvertOrigin{"edge1", 1}, 6, std::chrono::microseconds{33'417});
  BOOST_TEST(w.repeat_delay_us() == 33'417u);
  BOOST_TEST(advert_problem(w) == "");
  auto back = to_machine(w);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->repeat_delay.count() == 33'417);
  // An original says 0.
  auto original = to_machine(wire_advert());
  BOOST_REQUIRE(original.has_value());
  BOOST_TEST(original->repeat_delay.count() == 0);
}

BOOST_AUTO_TEST_CASE(successor_dropped_when_not_resigning) {
  auto w = to_wire(SendAdvert{200, State::kMaster, std::string("edge2")}, "www", Milliseconds{100},
                   AdvertOrigin{"edge1", 1}, 5);
  BOOST_TEST(w.successor().empty());
  BOOST_TEST(advert_problem(w) == "");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
