// Runtime server-set changes and Maglev: nodes that merged the same changes
// in different orders build the same table, and a burst of changes moves
// close to the minimum share of keys (the 1/n bound: a key moves only when
// its server left, or when a new server takes its share). Figures are
// printed with --log_level=message.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "config/defaults.h"
#include "config/server_set/server_set.h"
#include "lb/balance/maglev.h"
#include "tests/lb/maglev_table_helpers.h"

namespace tandem::lb {
namespace {

wire::ServerSetEntry put(const std::string& name, std::uint64_t revision) {
  wire::ServerSetEntry e;
  e.set_name(name);
  e.set_address("198.18.0." + std::to_string(1 + revision % 250) + ":" + std::to_string(1000 + revision));
  e.set_weight(1);
  e.set_revision(revision);
  return e;
}

wire::ServerSetEntry removal(const std::string& name, std::uint64_t revision) {
  wire::ServerSetEntry e;
  e.set_name(name);
  e.set_removed(true);
  e.set_revision(revision);
  return e;
}

config::Pool base_pool(int n) {
  config::Pool p;
  p.set_name("web");
  for (int i = 0; i < n; ++i) {
    auto* s = p.add_servers();
    s->set_name("base-" + std::to_string(i));
    s->set_address("198.18.0.2:" + std::to_string(2000 + i));
  }
  return p;
}

// The Maglev table of the effective set, as server names per slot.
std::vector<std::string> table_names(const config::Pool& base, const wire::PoolOverlay& overlay) {
  return testing::maglev_slot_names(config::effective_servers(base, &overlay));
}

using testing::moved_share;

}  // namespace

BOOST_AUTO_TEST_SUITE(server_set_maglev)

BOOST_AUTO_TEST_CASE(same_changes_in_any_order_give_the_same_table) {
  const auto base = base_pool(10);
  std::vector<wire::ServerSetEntry> changes;
  for (int i = 0; i < 100; ++i) changes.push_back(put("burst-" + std::to_string(i), 1 + i));
  for (int i = 0; i < 100; i += 2) changes.push_back(removal("burst-" + std::to_string(i), 101 + i));
  changes.push_back(removal("base-3", 300));
  wire::PoolOverlay node_a, node_b;
  config::merge_entries(node_a, changes);
  auto shuffled = changes;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(11));
  for (const auto& e : shuffled) config::merge_entries(node_b, {e});
  BOOST_TEST(config::effective_servers(base, &node_a).size() == 59u);  // 10 - 1 + 100 - 50
  BOOST_TEST((table_names(base, node_a) == table_names(base, node_b)));
}

BOOST_AUTO_TEST_CASE(one_server_added_or_removed_moves_about_one_nth) {
  const auto base = base_pool(100);
  const wire::PoolOverlay none;
  wire::PoolOverlay added, removed;
  config::merge_entries(added, {put("new-1", 1)});
  config::merge_entries(removed, {removal("base-42", 1)});
  const auto before = table_names(base, none);
  const double add = moved_share(before, table_names(base, added));
  const double remove = moved_share(before, table_names(base, removed));
  BOOST_TEST_MESSAGE("maglev 100 servers: +1 moves " << add * 100 << "% of keys (bound 1/101 = 0.99%), -1 moves "
                                                     << remove * 100 << "% (bound 1/100 = 1%)");
  BOOST_TEST(add < 2.0 / 101);
  BOOST_TEST(remove < 2.0 / 100);
  BOOST_TEST(add >= 1.0 / 101 * 0.9);
}

BOOST_AUTO_TEST_CASE(a_burst_of_100_adds_then_removes_stays_near_the_bound) {
  const auto base = base_pool(100);
  const wire::PoolOverlay none;
  wire::PoolOverlay grown;
  std::vector<wire::ServerSetEntry> adds, removes;
  for (int i = 0; i < 100; ++i) adds.push_back(put("burst-" + std::to_string(i), 1 + i));
  config::merge_entries(grown, adds);
  const auto before = table_names(base, none);
  const auto during = table_names(base, grown);
  // 100 -> 200 servers: the new half must take 50% of the keys; the bound.
  const double grow = moved_share(before, during);
  wire::PoolOverlay shrunk = grown;
  for (int i = 0; i < 100; ++i) removes.push_back(removal("burst-" + std::to_string(i), 101 + i));
  config::merge_entries(shrunk, removes);
  const auto after = table_names(base, shrunk);
  const double back = moved_share(before, after);
  BOOST_TEST_MESSAGE("maglev burst: 100 -> 200 servers moves " << grow * 100
                                                              << "% of keys (bound 50%); after removing the 100 "
                                                              << back * 100 << "% differ from the start (ideal 0%)");
  BOOST_TEST(grow < 0.5 * 1.1);
  BOOST_TEST(back < 0.05);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
