// The cluster view reads counters from the lb-proxy's status JSON a node
// embeds: numbers past what the counters hold must saturate, not convert
// with undefined behaviour (a double past 2^64 to uint64). Found by
// control_fuzz under UBSan.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/control/cluster_view.h"

using namespace tandem;

namespace {

control::NodeSample sample_with_proxy(const std::string& proxy_json, std::chrono::seconds at) {
  control::NodeSample s;
  s.node = "edge1";
  s.address = "198.18.0.11";
  s.status.emplace();
  s.status->set_node("edge1");
  s.status->set_proxy_json(proxy_json);
  s.at = std::chrono::steady_clock::time_point(at);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_cluster_view)

BOOST_AUTO_TEST_CASE(huge_counters_saturate_and_rates_stay_finite) {
  control::RateMemory rates;
  const auto first = control::build_cluster_view(
      "c", {sample_with_proxy(R"({"open_connections":3,"listeners":[{"requests":1000}]})", std::chrono::seconds(1))},
      rates, 1);
  const auto view = control::build_cluster_view(
      "c", {sample_with_proxy(R"({"open_connections":1e30,"listeners":[{"requests":1e300}]})", std::chrono::seconds(2))},
      rates, 2);
  const auto& proxy = view.at("nodes").as_array().at(0).as_object().at("proxy").as_object();
  BOOST_TEST(proxy.at("open_connections").to_number<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(proxy.at("requests_total").to_number<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  // 2^64 - 1001 requests in one second, rounded to one decimal.
  BOOST_TEST(proxy.at("requests_per_s").as_double() > 1.8e19);
  (void)first;
}

BOOST_AUTO_TEST_CASE(negative_and_fractional_counters) {
  control::RateMemory rates;
  const auto view = control::build_cluster_view(
      "c", {sample_with_proxy(R"({"open_connections":-5.5,"listeners":[{"requests":12.9}]})", std::chrono::seconds(1))},
      rates, 1);
  const auto& proxy = view.at("nodes").as_array().at(0).as_object().at("proxy").as_object();
  BOOST_TEST(proxy.at("open_connections").to_number<std::uint64_t>() == 0u);
  BOOST_TEST(proxy.at("requests_total").to_number<std::uint64_t>() == 12u);
}

BOOST_AUTO_TEST_SUITE_END()
