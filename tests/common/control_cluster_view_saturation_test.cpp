// The cluster view reads counters from the lb-proxy's status report a node
// embeds: sums past what the counters hold must saturate, not wrap, and
// rates stay finite. (Found by control_fuzz under UBSan when the report was
// JSON; the typed report keeps the guarantee.)
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/control/cluster_view.h"

using namespace tandem;

namespace {

constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();

control::NodeSample sample_with_proxy(std::uint64_t open_connections, std::vector<std::uint64_t> listener_requests,
                                      std::chrono::seconds at) {
  control::NodeSample s;
  s.node = "edge1";
  s.address = "198.18.0.11";
  s.status.emplace();
  s.status->set_node("edge1");
  auto* report = s.status->mutable_proxy_report();
  report->set_open_connections(open_connections);
  for (auto r : listener_requests) report->add_listeners()->set_requests(r);
  s.at = std::chrono::steady_clock::time_point(at);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_cluster_view)

BOOST_AUTO_TEST_CASE(huge_counters_saturate_and_rates_stay_finite) {
  control::RateMemory rates;
  const auto first = control::build_cluster_view("c", {sample_with_proxy(3, {1000}, std::chrono::seconds(1))}, rates, 1);
  const auto view =
      control::build_cluster_view("c", {sample_with_proxy(kMax, {kMax, kMax}, std::chrono::seconds(2))}, rates, 2);
  const auto& proxy = view.at("nodes").as_array().at(0).as_object().at("proxy").as_object();
  BOOST_TEST(proxy.at("open_connections").to_number<std::uint64_t>() == kMax);
  BOOST_TEST(proxy.at("requests_total").to_number<std::uint64_t>() == kMax);
  // 2^64 - 1001 requests in one second, rounded to one decimal.
  BOOST_TEST(proxy.at("requests_per_s").as_double() > 1.8e19);
  (void)first;
}

BOOST_AUTO_TEST_CASE(zero_and_small_counters) {
  control::RateMemory rates;
  const auto view = control::build_cluster_view("c", {sample_with_proxy(0, {12}, std::chrono::seconds(1))}, rates, 1);
  const auto& proxy = view.at("nodes").as_array().at(0).as_object().at("proxy").as_object();
  BOOST_TEST(proxy.at("open_connections").to_number<std::uint64_t>() == 0u);
  BOOST_TEST(proxy.at("requests_total").to_number<std::uint64_t>() == 12u);
}

BOOST_AUTO_TEST_SUITE_END()
