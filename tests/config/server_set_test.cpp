// The server-set model (config/server_set): base + overlay -> effective set,
// last-writer-wins merge in any order, versions, digests, diffs, the change
// query and the overlay file.
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "config/server_set/change_query.h"
#include "config/server_set/overlay_file.h"
#include "config/server_set/server_set.h"

namespace tandem::config {
namespace {

Pool base_pool() {
  Pool p;
  p.set_name("web");
  for (int i = 1; i <= 3; ++i) {
    auto* s = p.add_servers();
    s->set_name("web" + std::to_string(i));
    s->set_address("198.18.0." + std::to_string(10 + i) + ":80");
  }
  p.mutable_servers(1)->set_state(DRAIN);
  return p;
}

wire::ServerSetEntry put(std::string name, std::string address, std::uint32_t weight, std::uint64_t revision) {
  wire::ServerSetEntry e;
  e.set_name(std::move(name));
  e.set_address(std::move(address));
  e.set_weight(weight);
  e.set_revision(revision);
  return e;
}

wire::ServerSetEntry removal(std::string name, std::uint64_t revision) {
  wire::ServerSetEntry e;
  e.set_name(std::move(name));
  e.set_removed(true);
  e.set_revision(revision);
  return e;
}

std::vector<std::string> names(const std::vector<Server>& servers) {
  std::vector<std::string> out;
  for (const auto& s : servers) out.push_back(s.name());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_set)

BOOST_AUTO_TEST_CASE(no_overlay_is_the_file_in_file_order) {
  const auto pool = base_pool();
  const auto set = effective_servers(pool, nullptr);
  BOOST_TEST(names(set) == (std::vector<std::string>{"web1", "web2", "web3"}), boost::test_tools::per_element());
  BOOST_TEST(set_report(pool, nullptr).version() == 0u);
}

BOOST_AUTO_TEST_CASE(overlay_replaces_in_place_removes_and_appends_new_names_in_name_order) {
  const auto pool = base_pool();
  wire::PoolOverlay o;
  merge_entries(o, {put("zeta", "198.18.0.30:80", 1, 1), put("alpha", "198.18.0.31:80", 2, 2),
                    put("web2", "198.18.0.12:80", 5, 3), removal("web1", 4)});
  const auto set = effective_servers(pool, &o);
  BOOST_TEST(names(set) == (std::vector<std::string>{"web2", "web3", "alpha", "zeta"}), boost::test_tools::per_element());
  BOOST_TEST(set[0].weight() == 5u);
  BOOST_TEST(set[0].state() == DRAIN);  // the file's other fields stay
  BOOST_TEST(overlay_version(o) == 4u);
}

BOOST_AUTO_TEST_CASE(merge_is_last_writer_wins_and_order_independent) {
  const std::vector<wire::ServerSetEntry> changes = {
      put("a", "198.18.0.40:80", 1, 1), removal("a", 2),           put("a", "198.18.0.41:80", 3, 3),
      put("b", "198.18.0.42:80", 1, 4), put("b", "198.18.0.43:80", 1, 4),  // same revision: larger content
      removal("web3", 5),               put("c", "198.18.0.44:80", 2, 6)};
  wire::PoolOverlay reference;
  merge_entries(reference, changes);
  const auto pool = base_pool();
  const auto digest = set_digest(effective_servers(pool, &reference));
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    auto shuffled = changes;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    wire::PoolOverlay o;
    // Delivered in two parts, with a duplicate: as a node that was down gets them.
    const auto half = shuffled.size() / 2;
    merge_entries(o, {shuffled.begin(), shuffled.begin() + half});
    merge_entries(o, {shuffled.begin() + half, shuffled.end()});
    const auto again = merge_entries(o, {shuffled.front()});
    BOOST_TEST(again.applied == 0u);
    BOOST_TEST(set_digest(effective_servers(pool, &o)) == digest);
    BOOST_TEST(o.SerializeAsString() == reference.SerializeAsString());
  }
  const auto set = effective_servers(pool, &reference);
  BOOST_TEST(names(set) == (std::vector<std::string>{"web1", "web2", "a", "b", "c"}), boost::test_tools::per_element());
  BOOST_TEST(set[2].address() == "198.18.0.41:80");
  BOOST_TEST(set[3].address() == "198.18.0.43:80");
}

BOOST_AUTO_TEST_CASE(entries_after_gives_what_a_node_behind_lacks) {
  wire::PoolOverlay o;
  merge_entries(o, {put("a", "198.18.0.40:80", 1, 1), put("b", "198.18.0.41:80", 1, 2), removal("c", 3)});
  const auto lacking = entries_after(o, 1);
  BOOST_TEST(lacking.size() == 2u);
  wire::PoolOverlay behind;
  merge_entries(behind, {put("a", "198.18.0.40:80", 1, 1)});
  merge_entries(behind, lacking);
  BOOST_TEST(behind.SerializeAsString() == o.SerializeAsString());
}

BOOST_AUTO_TEST_CASE(entries_winning_are_what_a_peer_can_teach) {
  wire::PoolOverlay peer;
  merge_entries(peer, {put("a", "198.18.0.40:80", 1, 1), put("b", "198.18.0.41:80", 2, 3), removal("c", 4)});
  // Knowing nothing: everything.
  BOOST_TEST(entries_winning(nullptr, peer).size() == 3u);
  // Behind on b, ahead on c, equal on a: only b.
  wire::PoolOverlay mine;
  merge_entries(mine, {put("a", "198.18.0.40:80", 1, 1), put("b", "198.18.0.41:80", 1, 2), put("c", "198.18.0.42:80", 1, 5)});
  const auto learn = entries_winning(&mine, peer);
  BOOST_TEST_REQUIRE(learn.size() == 1u);
  BOOST_TEST(learn[0].name() == "b");
  BOOST_TEST(learn[0].weight() == 2u);
  // Once merged, nothing is left to learn, and the merge is the peer's view plus what was newer here.
  merge_entries(mine, learn);
  BOOST_TEST(entries_winning(&mine, peer).empty());
  BOOST_TEST(entries_winning(&peer, mine).size() == 1u);  // c at revision 5 goes the other way
}

BOOST_AUTO_TEST_CASE(diff_names_added_removed_and_changed) {
  const auto pool = base_pool();
  wire::PoolOverlay o;
  merge_entries(o, {put("new", "198.18.0.50:80", 1, 1), removal("web1", 2), put("web3", "198.18.0.13:80", 4, 3)});
  const auto d = diff_sets(effective_servers(pool, nullptr), effective_servers(pool, &o));
  BOOST_TEST(d.added == std::vector<std::string>{"new"}, boost::test_tools::per_element());
  BOOST_TEST(d.removed == std::vector<std::string>{"web1"}, boost::test_tools::per_element());
  BOOST_TEST(d.changed == std::vector<std::string>{"web3"}, boost::test_tools::per_element());
  BOOST_TEST(diff_sets(effective_servers(pool, &o), effective_servers(pool, &o)).empty());
}

BOOST_AUTO_TEST_CASE(digest_sees_address_and_weight) {
  const auto pool = base_pool();
  const auto d0 = set_digest(effective_servers(pool, nullptr));
  wire::PoolOverlay o;
  merge_entries(o, {put("web1", "198.18.0.11:80", 2, 1)});
  BOOST_TEST(set_digest(effective_servers(pool, &o)) != d0);
  BOOST_TEST(d0.size() == 16u);
}

BOOST_AUTO_TEST_CASE(entry_problems_say_what_is_wrong) {
  BOOST_TEST(entry_problem(put("ok", "198.18.0.1:80", 1, 1)).empty());
  BOOST_TEST(entry_problem(put("ok6", "[2001:db8::1]:80", 256, 1)).empty());
  BOOST_TEST(entry_problem(removal("gone", 1)).empty());
  BOOST_TEST(!entry_problem(put("", "198.18.0.1:80", 1, 1)).empty());
  BOOST_TEST(!entry_problem(put("a b", "198.18.0.1:80", 1, 1)).empty());
  BOOST_TEST(!entry_problem(put("x", "198.18.0.1", 1, 1)).empty());
  BOOST_TEST(!entry_problem(put("x", "example.com:80", 1, 1)).empty());
  BOOST_TEST(entry_problem(put("x", "198.18.0.1:80", 0, 1)).find("weight") != std::string::npos);
  BOOST_TEST(!entry_problem(put("x", "198.18.0.1:80", 257, 1)).empty());
  BOOST_TEST(entry_problem(put("x", "198.18.0.1:80", 1, 0)).find("revision") != std::string::npos);
  BOOST_TEST(!entry_problem(put(std::string(129, 'a'), "198.18.0.1:80", 1, 1)).empty());
}

BOOST_AUTO_TEST_CASE(change_query_round_trips) {
  const std::vector<wire::ServerSetEntry> entries = {put("a", "198.18.0.1:80", 3, 9), removal("b", 10),
                                                     put("c6", "[2001:db8::1]:8080", 1, 11)};
  const auto q = encode_changes(entries);
  BOOST_TEST(q == "set=a,198.18.0.1:80,3,9&remove=b,10&set=c6,%5B2001:db8::1%5D:8080,1,11");
  const auto parsed = parse_changes(q);
  BOOST_TEST(parsed.error.empty());
  BOOST_REQUIRE(parsed.entries.size() == 3u);
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(parsed.entries[i].SerializeAsString() == entries[i].SerializeAsString());
}

BOOST_AUTO_TEST_CASE(change_query_refuses_bad_input_whole) {
  for (const char* q : {"", "set=a", "set=a,198.18.0.1:80,1", "set=a,198.18.0.1:80,x,1", "remove=a",
                              "remove=a,0", "nope=a,1", "set=a,198.18.0.1:80,1,1&remove=a,2", "set=a,%zz,1,1",
                              "set=a,198.18.0.1:80,1,1&", "set=a,198.18.0.1:80,1,99999999999999999999999",
                              "remove=a,1%", "set=a%2Cb,198.18.0.1:80,1,1"}) {
    const auto parsed = parse_changes(q);
    BOOST_TEST(!parsed.error.empty(), q);
    BOOST_TEST(parsed.entries.empty(), q);
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxChangesPerRequest; ++i) many += (i ? "&" : "") + std::string("remove=s") + std::to_string(i) + ",1";
  BOOST_TEST(parse_changes(many).error.find("split") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(apply_overlay_replaces_each_pools_servers) {
  Cluster c;
  *c.add_pools() = base_pool();
  wire::ServerOverlay overlay;
  merge_entries(pool_overlay(overlay, "web"), {removal("web1", 1)});
  merge_entries(pool_overlay(overlay, "not-in-file"), {put("x", "198.18.0.9:80", 1, 1)});
  const auto merged = apply_overlay(c, overlay);
  BOOST_TEST(merged.pools(0).servers_size() == 2);
  BOOST_TEST(overlay.pools_size() == 2);
  BOOST_TEST(overlay.pools(0).pool() == "not-in-file");  // kept in pool-name order
}

BOOST_AUTO_TEST_CASE(overlay_file_round_trips_and_reports_positions) {
  char dir[] = "/tmp/tandem-overlay-XXXXXX";
  BOOST_REQUIRE(mkdtemp(dir));
  const std::string path = std::string(dir) + "/cluster.conf.servers";
  BOOST_TEST(load_overlay(path).overlay.has_value());  // missing: empty
  wire::ServerOverlay overlay;
  merge_entries(pool_overlay(overlay, "web"), {put("a", "198.18.0.1:80", 2, 1), removal("web1", 2)});
  std::string error;
  BOOST_REQUIRE(save_overlay(path, overlay, error));
  const auto loaded = load_overlay(path);
  BOOST_REQUIRE(loaded.overlay.has_value());
  BOOST_TEST(loaded.overlay->SerializeAsString() == overlay.SerializeAsString());

  const auto bad = parse_overlay_text("pools {\n  pool: \"web\"\n  entries { nme: \"a\" }\n}\n", "o.servers");
  BOOST_REQUIRE(!bad.problems.empty());
  BOOST_TEST(bad.problems[0].where.rfind("o.servers:3:", 0) == 0u);  // file:line:col
  const auto invalid = parse_overlay_text("pools { pool: \"web\" entries { name: \"a\" address: \"x\" weight: 1 revision: 1 } }",
                                          "o.servers");
  BOOST_TEST(!invalid.overlay.has_value());
  BOOST_TEST(invalid.problems.at(0).message.find("address") != std::string::npos);
  std::remove(path.c_str());
  std::remove(dir);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::config
