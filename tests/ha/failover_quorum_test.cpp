// The failover state machine: quorum mode (a partitioned minority never
// holds the VIP).
#include <boost/test/unit_test.hpp>

#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

InstanceConfig quorum(InstanceConfig c) {
  c.quorum = true;
  return c;
}

std::vector<InstanceConfig> three_with_quorum() {
  return {quorum(make_config(0, 3, 250)), quorum(make_config(1, 3, 200)),
          quorum(make_config(2, 3, 100))};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_quorum)

BOOST_AUTO_TEST_CASE(lone_node_never_claims) {
  Lan lan(three_with_quorum());
  lan.start(0);
  lan.run_for(30s);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST(lan.node(0).claims == 0u);
  // One notice when the claim is first held back, not one per retry.
  std::size_t notices = 0;
  for (const auto& [when, a] : lan.node(0).log)
    if (auto* n = std::get_if<Notice>(&a)) {
      ++notices;
      BOOST_TEST(n->text ==
                 "not claiming (master_down: no master heard for 302 ms): quorum lost, "
                 "heard 1 of 3 nodes");
    }
  BOOST_TEST(notices == 1u);
}

BOOST_AUTO_TEST_CASE(majority_claims_once_a_peer_is_heard) {
  Lan lan(three_with_quorum());
  lan.start(0);
  lan.run_for(5s);
  BOOST_REQUIRE(lan.node(0).claims == 0u);
  const TimePoint joined = lan.now();
  lan.start(2);
  lan.run_for(2s);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.state(2) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
  // At the next retry of the down timer after the peer was heard.
  BOOST_TEST((*lan.became_master_at(0) <= joined + master_down_interval(100ms, 250)));
}

BOOST_AUTO_TEST_CASE(two_node_cluster_without_quorum_is_plain_vrrp) {
  Lan lan({make_config(0, 2, 200), make_config(1, 2, 100)});
  lan.start(1);
  lan.run_for(1s);
  BOOST_TEST(lan.state(1) == State::kMaster);
}

BOOST_AUTO_TEST_CASE(partitioned_master_steps_down_and_majority_takes_over) {
  Lan lan(three_with_quorum());
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.cut(0, 1);
  lan.cut(0, 2);
  lan.run_for(2s);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(2) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST(lan.node(1).holds_vip);
  bool stepped_down = false;
  const auto history = lan.machine(0).status().transitions;
  for (const auto& t : history)
    stepped_down |= t.cause == "quorum lost: heard 1 of 3 nodes" && t.to == State::kBackup;
  BOOST_TEST(stepped_down);
  // The minority stays out for as long as the partition lasts.
  lan.run_for(60s);
  BOOST_TEST(lan.node(0).claims == 1u);
  BOOST_TEST(lan.state(0) == State::kBackup);
  // Healed: edge1 (250, preempt on) takes the VIP back, exactly one master.
  lan.cut(0, 1, false);
  lan.cut(0, 2, false);
  lan.run_for(2s);
  BOOST_TEST(lan.masters() == 1u);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST(lan.state(0) == State::kMaster);
}

BOOST_AUTO_TEST_CASE(quorum_update_from_the_shell) {
  // No heartbeats: only the shell's report of nodes heard counts.
  InstanceConfig c = quorum(make_config(0, 3, 250));
  c.advertise_in_backup = false;
  InstanceMachine m(c);
  m.start(t0());
  auto held = drive(m, t0() + 1s);
  BOOST_TEST(count_of<ClaimVip>(held) == 0u);
  BOOST_TEST(count_of<Notice>(held) == 1u);
  BOOST_TEST(m.quorum_update({"edge2"}, t0() + 1s).empty());
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + 1s + master_down_interval(100ms, 250))) == 1u);
  BOOST_REQUIRE(m.state() == State::kMaster);
  // Losing the majority: resign at once.
  auto actions = m.quorum_update({}, t0() + 2s);
  BOOST_TEST(m.state() == State::kBackup);
  BOOST_TEST(first_of<Transition>(actions)->cause == "quorum lost: heard 1 of 3 nodes");
  BOOST_TEST(count_of<ReleaseVip>(actions) == 1u);
  BOOST_TEST(first_of<SendAdvert>(actions)->priority == 0);
  BOOST_TEST(!first_of<SendAdvert>(actions)->successor.has_value());
}

BOOST_AUTO_TEST_CASE(cluster_size_counts_nodes_outside_the_instance) {
  // The instance runs on edge1 and edge2 only; the cluster has three nodes.
  InstanceConfig c = quorum(make_config(0, 2, 250));
  c.cluster_size = 3;
  c.advertise_in_backup = false;
  InstanceMachine m(c);
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_TEST(m.state() == State::kBackup);
  m.quorum_update({"edge3", "edge1"}, t0() + 1s);  // self is counted once
  drive(m, t0() + 2s);
  BOOST_TEST(m.state() == State::kMaster);
}

BOOST_AUTO_TEST_CASE(duplicate_reports_count_once) {
  InstanceConfig c = quorum(make_config(0, 2, 250));
  c.cluster_size = 5;
  c.advertise_in_backup = false;
  InstanceMachine m(c);
  m.start(t0());
  m.quorum_update({"edge4", "edge4"}, t0());  // 2 of 5, not 3
  drive(m, t0() + 2s);
  BOOST_TEST(m.state() == State::kBackup);
  m.quorum_update({"edge4", "edge5"}, t0() + 2s);  // 3 of 5
  drive(m, t0() + 3s);
  BOOST_TEST(m.state() == State::kMaster);
}

BOOST_AUTO_TEST_CASE(handover_to_a_minority_node_is_held) {
  InstanceConfig c = quorum(make_config(1, 3, 200));
  c.advertise_in_backup = false;
  InstanceMachine m(c);
  m.start(t0());
  m.advert_received(master_advert(0, 250), t0());
  auto actions = m.advert_received(resign_advert(0, std::string("edge2")), t0() + 10ms);
  // edge1's resigning advert is heard, but edge1 (INIT now) no longer counts.
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
  m.quorum_update({"edge3"}, t0() + 20ms);
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + 10ms + master_down_interval(100ms, 200))) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
