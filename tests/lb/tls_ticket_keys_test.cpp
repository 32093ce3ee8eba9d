// Unit tests for lb/tls/ticket_keys: every node derives the same keys from
// the cluster key; a key issues for one period and is accepted one period
// either side; another cluster's ticket is unknown.
#include "lb/tls/ticket_keys.h"

#include <boost/test/unit_test.hpp>

using tandem::lb::tls::TicketKeys;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(std::int64_t seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

const std::string kCluster(32, 'k');
const std::string kOther(32, 'o');

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_ticket_keys)

BOOST_AUTO_TEST_CASE(two_nodes_with_the_cluster_key_issue_the_same_key) {
  const TicketKeys edge1({kCluster}, 3600s), edge2({kCluster}, 3600s);
  const auto a = edge1.issuing(at(7200 + 10)), b = edge2.issuing(at(7200 + 3000));
  BOOST_TEST(a.period == 2u);
  BOOST_TEST((a.name == b.name && a.aes_key == b.aes_key && a.hmac_key == b.hmac_key));
  BOOST_TEST((a.aes_key != a.hmac_key));
}

BOOST_AUTO_TEST_CASE(a_key_rotates_each_period_and_the_neighbours_still_decrypt) {
  const TicketKeys keys({kCluster}, 3600s);
  const auto issued = keys.issuing(at(3600 * 10 + 5));
  BOOST_TEST((keys.issuing(at(3600 * 11)).name != issued.name));
  auto found = keys.find(issued.name, at(3600 * 10 + 100));
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(!found->renew);
  found = keys.find(issued.name, at(3600 * 11 + 100));  // the previous period's key
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->renew);
  found = keys.find(issued.name, at(3600 * 9 + 3599));  // a node whose clock is behind
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->renew);
  BOOST_TEST(!keys.find(issued.name, at(3600 * 12 + 1)).has_value());  // two periods on: too old
}

BOOST_AUTO_TEST_CASE(another_clusters_ticket_is_unknown) {
  const TicketKeys ours({kCluster}, 3600s), theirs({kOther}, 3600s);
  BOOST_TEST(!ours.find(theirs.issuing(at(100000)).name, at(100000)).has_value());
}

BOOST_AUTO_TEST_CASE(during_a_cluster_key_rotation_both_keys_decrypt) {
  // Node A already signs with the new key, node B still with the old one.
  const TicketKeys a({kOther, kCluster}, 3600s), b({kCluster, kOther}, 3600s);
  const auto now = at(50000);
  const auto from_b = a.find(b.issuing(now).name, now);
  BOOST_TEST_REQUIRE(from_b.has_value());
  BOOST_TEST(from_b->renew);  // re-issued under A's signing key
  BOOST_TEST(b.find(a.issuing(now).name, now).has_value());
}

BOOST_AUTO_TEST_CASE(the_period_is_at_least_a_second) {
  const TicketKeys keys({kCluster}, 0s);
  BOOST_TEST(keys.period().count() == 1);
  BOOST_TEST(keys.period_at(at(0)) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
