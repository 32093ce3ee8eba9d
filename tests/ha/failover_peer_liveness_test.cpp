// The dead-peer confirmation from a burst of sync-port probes
// (ha/failover/peer_liveness.h).
#include <boost/test/unit_test.hpp>

#include "ha/failover/peer_liveness.h"

namespace tandem::ha {
namespace {
using P = PeerLiveness::Probe;

// Feeds RESULTS while the burst wants more; returns how many were used.
int feed(PeerLiveness& l, std::initializer_list<P> results) {
  int used = 0;
  for (auto r : results) {
    if (!l.more()) break;
    l.record(r);
    ++used;
  }
  return used;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(peer_liveness)

BOOST_AUTO_TEST_CASE(three_refusals_confirm_and_end_the_burst) {
  PeerLiveness l;
  BOOST_TEST(l.more());
  BOOST_TEST(!l.confirmed_down());
  BOOST_TEST(feed(l, {P::kRefused, P::kRefused, P::kRefused, P::kRefused}) == 3);
  BOOST_TEST(!l.more());
  BOOST_TEST(l.confirmed_down());
  BOOST_TEST(l.seen() == "refused refused refused ");
}

BOOST_AUTO_TEST_CASE(a_listener_that_keeps_accepting_is_alive) {
  PeerLiveness l;
  BOOST_TEST(feed(l, {P::kConnected, P::kConnected, P::kRefused}) == 2);
  BOOST_TEST(!l.more());
  BOOST_TEST(!l.confirmed_down());
}

BOOST_AUTO_TEST_CASE(one_late_accept_of_a_dying_listener_is_not_proof_of_life) {
  // A killed agent's listener completes one more handshake, then refuses.
  PeerLiveness l;
  BOOST_TEST(feed(l, {P::kConnected, P::kRefused, P::kRefused, P::kRefused}) == 4);
  BOOST_TEST(l.confirmed_down());
}

BOOST_AUTO_TEST_CASE(refusals_before_a_success_do_not_count) {
  PeerLiveness l;
  BOOST_TEST(feed(l, {P::kRefused, P::kRefused, P::kConnected, P::kRefused, P::kTimeout}) == 5);
  BOOST_TEST(!l.more());  // five probes at most
  BOOST_TEST(!l.confirmed_down());  // one refusal since the success
}

BOOST_AUTO_TEST_CASE(a_timeout_is_tolerated_but_bounded) {
  PeerLiveness l;
  BOOST_TEST(feed(l, {P::kTimeout, P::kRefused, P::kRefused, P::kRefused}) == 4);
  BOOST_TEST(l.confirmed_down());
  PeerLiveness silent;  // a host that is down: nothing answers
  BOOST_TEST(feed(silent, {P::kTimeout, P::kTimeout, P::kTimeout, P::kTimeout, P::kTimeout, P::kTimeout}) == 5);
  BOOST_TEST(!silent.more());
  BOOST_TEST(!silent.confirmed_down());
}

BOOST_AUTO_TEST_CASE(two_refusals_at_the_end_of_the_burst_confirm) {
  PeerLiveness l;
  BOOST_TEST(feed(l, {P::kTimeout, P::kTimeout, P::kTimeout, P::kRefused, P::kRefused}) == 5);
  BOOST_TEST(l.confirmed_down());
  PeerLiveness one;
  BOOST_TEST(feed(one, {P::kTimeout, P::kTimeout, P::kTimeout, P::kTimeout, P::kRefused}) == 5);
  BOOST_TEST(!one.confirmed_down());
}

BOOST_AUTO_TEST_CASE(other_errors_prove_nothing_and_are_named) {
  PeerLiveness l;
  l.record(P::kOtherError, "No route to host");
  BOOST_TEST(!l.confirmed_down());
  BOOST_TEST(l.seen() == "No route to host ");
  BOOST_TEST(PeerLiveness().seen() == "-");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
