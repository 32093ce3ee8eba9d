// Tests for ha.max_clock_skew_ms in ha/agent/settings.h: the advert clock
// bound's default and its lower limit.
#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

#include "config/loader.h"
#include "ha/agent/settings.h"

namespace tandem::ha {
namespace {

config::Cluster load(const std::string& extra_ha) {
  const std::string text = R"(
name: "t"
nodes { name: "edge1" address: "198.18.0.11" interface: "eth0" }
listeners { name: "www" bind: "0.0.0.0:80" mode: HTTP pool: "web" }
pools { name: "web" servers { name: "w1" address: "198.18.0.101:8000" } }
ha {
  key_file: "/k"
  )" + extra_ha + R"(
  instances { name: "www" id: 51 vips: "198.18.0.100/24" priorities { node: "edge1" priority: 200 } }
}
)";
  auto r = config::parse_cluster_text(text, "t.conf");
  BOOST_REQUIRE_MESSAGE(r.cluster.has_value(), config::format_problems(r.problems));
  return *r.cluster;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_settings_clock_skew)

BOOST_AUTO_TEST_CASE(default_is_two_seconds) {
  BOOST_TEST(ha_settings(load("")).max_clock_skew.count() == 2000);
}

BOOST_AUTO_TEST_CASE(configured_value_is_used) {
  BOOST_TEST(ha_settings(load("max_clock_skew_ms: 5000")).max_clock_skew.count() == 5000);
  BOOST_TEST(ha_settings(load("max_clock_skew_ms: 100")).max_clock_skew.count() == 100);
}

BOOST_AUTO_TEST_CASE(below_100_ms_is_refused_with_a_reason) {
  try {
    ha_settings(load("max_clock_skew_ms: 50"));
    BOOST_FAIL("accepted 50 ms");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("max_clock_skew_ms 50 is below 100") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
