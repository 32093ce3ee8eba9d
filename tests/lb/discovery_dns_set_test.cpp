// DNS discovery's decisions (lb/discovery/dns_set): TTL bounds, SRV priority
// and weights, the last good set kept on failure or an empty answer.
#include <boost/test/unit_test.hpp>

#include "lb/discovery/dns_set.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
using Time = DnsSet::Time;

DnsSettings settings() {
  DnsSettings s;
  s.port = 8080;
  s.min_ttl = 2s;
  s.max_ttl = 60s;
  s.retry_base = 1s;
  s.retry_max = 8s;
  return s;
}

DnsRecord a(const char* address, std::uint32_t ttl) { return DnsRecord{address, 0, ttl, 0, 0}; }
DnsRecord srv(const char* address, std::uint16_t port, std::uint16_t priority, std::uint16_t weight) {
  return DnsRecord{address, port, 30, priority, weight};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discovery_dns_set)

BOOST_AUTO_TEST_CASE(a_records_become_servers_on_the_port_sorted_by_name) {
  DnsSet set(settings());
  const Time t0{};
  const auto step = set.on_result(DnsOutcome::answer, {a("198.18.0.12", 30), a("198.18.0.11", 20),
                                                       a("2001:db8::1", 40), a("198.18.0.11", 20)}, t0);
  BOOST_TEST(step.changed);
  BOOST_REQUIRE(set.set().size() == 3u);
  BOOST_TEST(set.set()[0].name == "198.18.0.11:8080");
  BOOST_TEST(set.set()[2].address == "[2001:db8::1]:8080");
  BOOST_TEST((step.next_query - t0 == 20s));  // the smallest TTL
  BOOST_TEST(!set.on_result(DnsOutcome::answer, {a("198.18.0.11", 20), a("198.18.0.12", 30), a("2001:db8::1", 1)},
                            t0).changed);
}

BOOST_AUTO_TEST_CASE(ttl_is_clamped_to_the_bounds) {
  DnsSet set(settings());
  const Time t0{};
  BOOST_TEST((set.on_result(DnsOutcome::answer, {a("198.18.0.11", 0)}, t0).next_query - t0 == 2s));
  BOOST_TEST((set.on_result(DnsOutcome::answer, {a("198.18.0.11", 86400)}, t0).next_query - t0 == 60s));
}

BOOST_AUTO_TEST_CASE(failure_and_empty_answers_keep_the_last_good_set_with_backoff) {
  DnsSet set(settings());
  const Time t0{};
  set.on_result(DnsOutcome::answer, {a("198.18.0.11", 30)}, t0);
  const auto f1 = set.on_result(DnsOutcome::failure, {}, t0);
  BOOST_TEST(!f1.changed);
  BOOST_TEST((f1.next_query - t0 == 1s));
  BOOST_TEST((set.on_result(DnsOutcome::empty, {}, t0).next_query - t0 == 2s));
  BOOST_TEST((set.on_result(DnsOutcome::failure, {}, t0).next_query - t0 == 4s));
  BOOST_TEST((set.on_result(DnsOutcome::failure, {}, t0).next_query - t0 == 8s));
  BOOST_TEST((set.on_result(DnsOutcome::failure, {}, t0).next_query - t0 == 8s));
  BOOST_TEST(set.failures() == 5u);
  BOOST_TEST(set.set().size() == 1u);
  // An answer with nothing usable counts as empty.
  BOOST_TEST(!set.on_result(DnsOutcome::answer, {}, t0).changed);
  BOOST_TEST(set.set().size() == 1u);
  set.on_result(DnsOutcome::answer, {a("198.18.0.12", 30)}, t0);
  BOOST_TEST(set.failures() == 0u);
  BOOST_TEST(set.set()[0].name == "198.18.0.12:8080");
}

BOOST_AUTO_TEST_CASE(srv_takes_the_lowest_priority_and_its_weights) {
  DnsSet set(settings());
  set.on_result(DnsOutcome::answer, {srv("198.18.0.11", 9001, 10, 5), srv("198.18.0.12", 9002, 10, 0),
                                     srv("198.18.0.13", 9003, 20, 100), srv("198.18.0.14", 9004, 10, 1000)},
                Time{});
  BOOST_REQUIRE(set.set().size() == 3u);
  BOOST_TEST(set.set()[0].address == "198.18.0.11:9001");
  BOOST_TEST(set.set()[0].weight == 5u);
  BOOST_TEST(set.set()[1].weight == 1u);    // SRV weight 0: the least, not none
  BOOST_TEST(set.set()[2].weight == 256u);  // clamped
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
