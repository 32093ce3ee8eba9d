// What a node learns from its peers' overlays of runtime server changes
// (ha/sync/overlay_catch_up): only what wins over its proxy's overlay, never
// before that overlay is known, and the same offer not twice.
#include <boost/test/unit_test.hpp>

#include <string>

#include "config/server_set/server_set.h"
#include "ha/sync/overlay_catch_up.h"

namespace tandem::ha::sync {
namespace {

wire::ServerSetEntry put(const std::string& name, std::uint32_t weight, std::uint64_t revision) {
  wire::ServerSetEntry e;
  e.set_name(name);
  e.set_address("198.18.0.50:80");
  e.set_weight(weight);
  e.set_revision(revision);
  return e;
}

// A proxy's report: POOL over the file servers of digest BASE, with ENTRIES.
wire::ServerOverlay overlay(const std::string& pool, std::vector<wire::ServerSetEntry> entries,
                            const std::string& base = "base-1") {
  wire::ServerOverlay o;
  auto& p = config::pool_overlay(o, pool);
  p.set_base_digest(base);
  config::merge_entries(p, entries);
  return o;
}

// What a proxy with nothing changed reports for "web" (and "api").
wire::ServerOverlay untouched() {
  auto o = overlay("web", {});
  config::pool_overlay(o, "api").set_base_digest("base-1");
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_overlay_catch_up)

BOOST_AUTO_TEST_CASE(nothing_is_offered_before_the_proxy_reports) {
  OverlayCatchUp c;
  c.peer("edge1", overlay("web", {put("web4", 1, 1)}));
  BOOST_TEST(!c.offer().has_value());
  c.local(untouched());
  const auto offer = c.offer();
  BOOST_TEST_REQUIRE(offer.has_value());
  BOOST_TEST_REQUIRE(offer->pools_size() == 1);
  BOOST_TEST(offer->pools(0).pool() == "web");
  BOOST_TEST(offer->pools(0).entries(0).name() == "web4");
}

BOOST_AUTO_TEST_CASE(only_winning_entries_merged_over_every_peer) {
  OverlayCatchUp c;
  auto local = overlay("web", {put("web4", 1, 2)});
  config::pool_overlay(local, "api").set_base_digest("base-1");
  c.local(local);
  c.peer("edge1", overlay("web", {put("web4", 3, 1), put("web5", 1, 3)}));  // web4 older than ours
  c.peer("edge3", overlay("web", {put("web5", 2, 4)}));                     // web5 newer than edge1's
  auto api = overlay("api", {put("api9", 1, 1)});
  c.peer("edge4", api);
  const auto offer = c.offer();
  BOOST_TEST_REQUIRE(offer.has_value());
  BOOST_TEST_REQUIRE(offer->pools_size() == 2);
  BOOST_TEST(offer->pools(0).pool() == "api");
  const auto& web = offer->pools(1);
  BOOST_TEST_REQUIRE(web.entries_size() == 1);
  BOOST_TEST(web.entries(0).name() == "web5");
  BOOST_TEST(web.entries(0).weight() == 2u);
}

BOOST_AUTO_TEST_CASE(the_same_offer_is_not_made_twice_for_one_proxy_overlay) {
  OverlayCatchUp c;
  c.local(untouched());
  c.peer("edge1", overlay("web", {put("web4", 1, 1)}));
  BOOST_TEST(c.offer().has_value());
  c.peer("edge1", overlay("web", {put("web4", 1, 1)}));  // sent again by the peer
  BOOST_TEST(!c.offer().has_value());
  // The proxy reconnects with the same overlay: it may have lost the offer.
  c.local(untouched());
  BOOST_TEST(c.offer().has_value());
  // It applied it: nothing left.
  c.local(overlay("web", {put("web4", 1, 1)}));
  BOOST_TEST(!c.offer().has_value());
  // A newer change at the peer is offered.
  c.peer("edge1", overlay("web", {put("web4", 5, 2)}));
  BOOST_TEST(c.offer().has_value());
}

BOOST_AUTO_TEST_CASE(a_lost_proxy_gets_nothing_until_it_reports) {
  OverlayCatchUp c;
  c.local(untouched());
  c.local_lost();
  c.peer("edge1", overlay("web", {put("web4", 1, 1)}));
  BOOST_TEST(!c.offer().has_value());
}

BOOST_AUTO_TEST_CASE(entries_for_another_file_or_an_unknown_pool_are_not_offered) {
  OverlayCatchUp c;
  c.local(untouched());
  // The peer runs another cluster file for "web" (a rollout, or a merged
  // file installed after lbctl export): its entries apply to other servers.
  c.peer("edge1", overlay("web", {put("web4", 1, 1)}, "base-2"));
  // A pool this proxy does not have (or takes from DNS or etcd: not reported).
  c.peer("edge2", overlay("cache", {put("c1", 1, 1)}));
  BOOST_TEST(!c.offer().has_value());
}

BOOST_AUTO_TEST_CASE(an_offer_carries_the_base_it_applies_to) {
  OverlayCatchUp c;
  c.local(untouched());
  c.peer("edge1", overlay("web", {put("web4", 1, 1)}));
  const auto offer = c.offer();
  BOOST_TEST_REQUIRE(offer.has_value());
  BOOST_TEST(offer->pools(0).base_digest() == "base-1");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
