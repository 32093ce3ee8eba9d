// ha/failover/nodes_heard.h: the nodes heard recently, for quorum.
#include <boost/test/unit_test.hpp>

#include "ha/failover/nodes_heard.h"
#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

BOOST_AUTO_TEST_SUITE(failover_nodes_heard)

BOOST_AUTO_TEST_CASE(only_nodes_heard_within_the_window_count) {
  NodesHeard heard;
  BOOST_TEST(heard.within(1s, t0()).empty());
  heard.heard("edge3", t0());
  heard.heard("edge2", t0() + 500ms);
  heard.heard("edge3", t0() + 100ms);
  BOOST_TEST(heard.within(400ms, t0() + 500ms) == (std::vector<std::string>{"edge2", "edge3"}));
  BOOST_TEST(heard.within(400ms, t0() + 600ms) == (std::vector<std::string>{"edge2"}));
  BOOST_TEST(heard.within(400ms, t0() + 2s).empty());
}

BOOST_AUTO_TEST_CASE(an_older_report_does_not_move_time_back) {
  NodesHeard heard;
  heard.heard("edge2", t0() + 1s);
  heard.heard("edge2", t0());
  BOOST_TEST(heard.within(100ms, t0() + 1s + 50ms) == (std::vector<std::string>{"edge2"}));
}

BOOST_AUTO_TEST_CASE(a_node_of_another_instance_completes_the_majority) {
  // The instance runs on edge1 and edge2; edge3 runs another instance only.
  // With edge2 gone, edge1 has a majority only because edge3 is heard.
  InstanceConfig c = make_config(0, 2, 250);
  c.quorum = true;
  c.cluster_size = 3;
  InstanceMachine m(c);
  m.start(t0());
  NodesHeard heard;
  heard.heard("edge3", t0() + 100ms);
  m.quorum_update(heard.within(master_down_interval(100ms, kMinPriority), t0() + 100ms), t0() + 100ms);
  drive(m, t0() + 1s);
  BOOST_TEST(m.state() == State::kMaster);
  // edge3 falls silent: the shell's next report takes the majority away.
  auto lost = m.quorum_update(heard.within(master_down_interval(100ms, kMinPriority), t0() + 2s), t0() + 2s);
  BOOST_TEST(m.state() == State::kBackup);
  BOOST_TEST(first_of<Transition>(lost)->cause == "quorum lost: heard 1 of 3 nodes");
}

BOOST_AUTO_TEST_SUITE_END()
