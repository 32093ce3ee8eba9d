// etcd discovery and Maglev, through the pool build the proxy uses: keys →
// EtcdSet → with_discovered (the pool's servers) → the candidates
// PoolRuntime::usable gives (position, weight, name) → ConsistentHash.
// Nodes that reached the same revision by different paths (one range, or a
// range and watch events) build the same table, and one key put or deleted
// at 100 servers moves close to the 1/n bound of the table's slots. The
// namespace cluster test (integration/cluster/test_etcd_cluster.py) checks
// through the binaries that every node reaches the same revision and set.
// Figures are printed with --log_level=message.
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "config/defaults.h"
#include "lb/balance/maglev.h"
#include "tests/lb/maglev_table_helpers.h"
#include "lb/discovery/discovered_cluster.h"
#include "lb/discovery/etcd_set.h"

namespace tandem::lb {
namespace {

const std::string kPrefix = "/tandem/pools/web/";

EtcdKv key(int i, std::int64_t revision) {
  return EtcdKv{kPrefix + "s" + std::to_string(i),
                R"({"address": "198.18.0.)" + std::to_string(1 + i % 250) + ":" + std::to_string(8000 + i) + R"("})",
                revision};
}

// The keys s0..s(N-1), as one range at revision N.
EtcdSet ranged(int n) {
  EtcdRange range{n, {}, false};
  for (int i = 0; i < n; ++i) range.kvs.push_back(key(i, 1 + i));
  EtcdSet set(kPrefix);
  set.on_range(range);
  return set;
}

EtcdWatchMessage one_event(bool deleted, const EtcdKv& kv) {
  EtcdWatchMessage m;
  m.revision = kv.mod_revision;
  m.events.push_back(EtcdEvent{deleted, kv});
  return m;
}

// Pool "web"'s Maglev table, as server names per slot, once SET is adopted.
std::vector<std::string> table_names(const EtcdSet& set) {
  config::Cluster cluster;
  auto* pool = cluster.add_pools();
  pool->set_name("web");
  pool->set_algorithm(config::CONSISTENT_HASH);
  pool->mutable_etcd()->set_prefix(kPrefix);
  const auto adopted = with_discovered(cluster, DiscoveredSets{{"web", set.set()}});
  return testing::maglev_slot_names(adopted.pools(0).servers());
}

using testing::moved_share;

}  // namespace

BOOST_AUTO_TEST_SUITE(discovery_etcd_maglev)

BOOST_AUTO_TEST_CASE(a_range_and_watch_events_to_the_same_revision_give_the_same_table) {
  const auto whole = ranged(100);
  // Another node: ranged an empty prefix, then saw the 100 puts, one by one.
  EtcdSet followed(kPrefix);
  followed.on_range(EtcdRange{0, {}, false});
  for (int i = 0; i < 100; ++i) followed.on_watch(one_event(false, key(i, 1 + i)));
  BOOST_TEST(followed.revision() == whole.revision());
  BOOST_TEST((table_names(followed) == table_names(whole)));
}

BOOST_AUTO_TEST_CASE(one_key_put_or_deleted_at_100_servers_moves_about_one_nth) {
  auto set = ranged(100);
  const auto before = table_names(set);
  set.on_watch(one_event(false, key(100, 101)));
  const auto added = table_names(set);
  set.on_watch(one_event(true, EtcdKv{kPrefix + "s42", "", 102}));
  const auto removed = table_names(set);
  const double add = moved_share(before, added);        // 100 -> 101
  const double remove = moved_share(added, removed);    // 101 -> 100
  // Of the slots that moved at the put, those the new server took (its
  // share, the bound) and those that changed hands between old servers
  // (Maglev's extra disruption: the paper's section 3.4 trades it for an
  // even spread).
  std::size_t to_new = 0;
  for (const auto& owner : added) to_new += owner == "s100";
  const double taken = static_cast<double>(to_new) / static_cast<double>(added.size());
  BOOST_TEST_MESSAGE("maglev, etcd pool of 100: a put moves " << add * 100 << "% of slots (bound 1/101 = "
                                                              << 100.0 / 101 << "%; " << taken * 100
                                                              << "% to the new server, " << (add - taken) * 100
                                                              << "% between old ones), a delete at 101 moves "
                                                              << remove * 100 << "% (bound 1/101)");
  BOOST_TEST(taken >= 1.0 / 101 * 0.95);  // the new server takes its share...
  BOOST_TEST(add < 2.0 / 101);            // ...and the churn stays within twice the bound
  BOOST_TEST(remove >= 1.0 / 101 * 0.95);
  BOOST_TEST(remove < 2.0 / 101);
}

BOOST_AUTO_TEST_CASE(a_burst_of_100_keys_put_then_deleted_restores_the_table_exactly) {
  auto set = ranged(3);
  const auto before = table_names(set);
  EtcdWatchMessage burst;  // one transaction: 100 events at one revision
  for (int i = 0; i < 100; ++i) burst.events.push_back(EtcdEvent{false, key(100 + i, 4)});
  burst.revision = 4;
  set.on_watch(burst);
  BOOST_TEST(set.set().size() == 103u);
  const double grow = moved_share(before, table_names(set));
  EtcdWatchMessage gone;  // one deleterange
  for (int i = 0; i < 100; ++i) gone.events.push_back(EtcdEvent{true, EtcdKv{kPrefix + "s" + std::to_string(100 + i), "", 5}});
  gone.revision = 5;
  set.on_watch(gone);
  BOOST_TEST(set.set().size() == 3u);
  BOOST_TEST_MESSAGE("maglev, etcd pool 3 -> 103 servers moves " << grow * 100 << "% of slots (bound 100/103 = "
                                                                 << 10000.0 / 103 << "%)");
  BOOST_TEST(grow < 100.0 / 103 * 1.02);
  BOOST_TEST((table_names(set) == before));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
