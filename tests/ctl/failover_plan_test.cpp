// Tests for ctl/failover_plan.h: `lbctl failover` refuses rather than
// reports success when it cannot do the work.
#include <boost/test/unit_test.hpp>

#include <boost/json/parse.hpp>

#include "ctl/failover_plan.h"

namespace tandem::ctl {
namespace {

namespace json = boost::json;

json::object view(const std::string& text) { return json::parse(text).as_object(); }

const std::vector<std::string> kInstances = {"www"};

// edge1 master of www; edge2 and edge3 backups; all answered.
const char* kHealthy = R"({
  "nodes": [{"node": "edge1", "reachable": true, "error": ""},
            {"node": "edge2", "reachable": true, "error": ""},
            {"node": "edge3", "reachable": true, "error": ""}],
  "instances": [{"name": "www", "masters": ["edge1"]}]})";

// What the view holds when every node refused lbctl's key.
const char* kAllRefused = R"({
  "nodes": [{"node": "edge1", "reachable": false, "error": "refused: bad_signature"},
            {"node": "edge2", "reachable": false, "error": "refused: bad_signature"},
            {"node": "edge3", "reachable": false, "error": "no answer within 1000 ms"}],
  "instances": []})";

BOOST_AUTO_TEST_SUITE(failover_plan)

BOOST_AUTO_TEST_CASE(healthy_cluster_hands_over_from_the_master) {
  const auto plan = plan_failover(view(kHealthy), kInstances, "", "");
  BOOST_TEST(plan.error.empty());
  BOOST_REQUIRE_EQUAL(plan.work.size(), 1u);
  BOOST_TEST(plan.work[0].first == "www");
  BOOST_TEST(plan.work[0].second == "edge1");
}

BOOST_AUTO_TEST_CASE(no_node_answering_is_an_error_not_an_empty_success) {
  const auto plan = plan_failover(view(kAllRefused), kInstances, "", "");
  BOOST_TEST(plan.work.empty());
  BOOST_TEST(plan.error.find("no node answered") != std::string::npos);
  BOOST_TEST(plan.error.find("bad_signature") != std::string::npos);
  // The same with --to and --instance.
  BOOST_TEST(!plan_failover(view(kAllRefused), kInstances, "www", "edge2").error.empty());
}

BOOST_AUTO_TEST_CASE(unanswering_target_is_an_error) {
  auto v = view(kHealthy);
  v["nodes"].as_array()[2].as_object()["reachable"] = false;
  v["nodes"].as_array()[2].as_object()["error"] = "connect: refused";
  const auto plan = plan_failover(v, kInstances, "", "edge3");
  BOOST_TEST(plan.error.find("--to edge3 did not answer") != std::string::npos);
  // Another node down does not block a handover to one that answers.
  BOOST_TEST(plan_failover(v, kInstances, "", "edge2").error.empty());
}

BOOST_AUTO_TEST_CASE(instance_nobody_reports_is_an_error) {
  auto v = view(kHealthy);
  v["instances"] = json::array();
  BOOST_TEST(plan_failover(v, kInstances, "", "").error.find("no node that runs it answered") != std::string::npos);
  BOOST_TEST(plan_failover(view(kHealthy), kInstances, "api", "").error.find("no instance 'api'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(split_brain_or_no_master_is_refused) {
  auto v = view(kHealthy);
  v["instances"].as_array()[0].as_object()["masters"] = json::array{"edge1", "edge2"};
  BOOST_TEST(plan_failover(v, kInstances, "", "").error.find("no single master") != std::string::npos);
  v["instances"].as_array()[0].as_object()["masters"] = json::array();
  BOOST_TEST(plan_failover(v, kInstances, "", "").error.find("no single master") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(already_on_the_target_is_nothing_to_do_and_says_so) {
  const auto plan = plan_failover(view(kHealthy), kInstances, "", "edge1");
  BOOST_TEST(plan.error.empty());
  BOOST_TEST(plan.work.empty());
  BOOST_REQUIRE_EQUAL(plan.already.size(), 1u);
  BOOST_TEST(plan.already[0] == "www");
}

BOOST_AUTO_TEST_CASE(no_instances_at_all_is_an_error) {
  BOOST_TEST(!plan_failover(view(kHealthy), {}, "", "").error.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ctl
