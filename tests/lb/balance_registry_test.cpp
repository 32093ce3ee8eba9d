// Properties every algorithm shares, through the registry: exclusion, all
// servers down, a single server; and the registry's enum -> kind mapping.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/key_hash.h"
#include "lb/balance/least_connections.h"
#include "lb/balance/least_response_time.h"
#include "lb/balance/maglev.h"
#include "lb/balance/power_of_two.h"
#include "lb/balance/registry.h"
#include "lb/balance/round_robin.h"
#include "lb/balance/smooth_weighted_round_robin.h"
#include "tests/lb/balance_test_helpers.h"

namespace tandem::lb {
namespace {

using testing::got;
using testing::servers;
using testing::weighted;

constexpr std::array kAll{
    config::ALGORITHM_UNSPECIFIED, config::ROUND_ROBIN,         config::WEIGHTED_ROUND_ROBIN,
    config::LEAST_CONNECTIONS,     config::POWER_OF_TWO,        config::LEAST_RESPONSE_TIME,
    config::SOURCE_IP_HASH,        config::CONSISTENT_HASH,
};

template <typename T>
bool is(const std::unique_ptr<Balancer>& b) {
  return dynamic_cast<const T*>(b.get()) != nullptr;
}

BOOST_AUTO_TEST_SUITE(balance_registry)

BOOST_AUTO_TEST_CASE(every_enum_value_maps_to_its_algorithm) {
  auto make = [](config::Algorithm a) { return make_balancer(a, servers(3)); };
  BOOST_TEST(is<RoundRobin>(make(config::ALGORITHM_UNSPECIFIED)));
  BOOST_TEST(is<RoundRobin>(make(config::ROUND_ROBIN)));
  BOOST_TEST(is<SmoothWeightedRoundRobin>(make(config::WEIGHTED_ROUND_ROBIN)));
  BOOST_TEST(is<LeastConnections>(make(config::LEAST_CONNECTIONS)));
  BOOST_TEST(is<PowerOfTwo>(make(config::POWER_OF_TWO)));
  BOOST_TEST(is<LeastResponseTime>(make(config::LEAST_RESPONSE_TIME)));
  BOOST_TEST(is<ConsistentHash>(make(config::SOURCE_IP_HASH)));
  BOOST_TEST(is<ConsistentHash>(make(config::CONSISTENT_HASH)));
}

BOOST_AUTO_TEST_CASE(every_valid_enum_value_is_registered) {
  for (int v = config::Algorithm_MIN; v <= config::Algorithm_MAX; ++v) {
    if (!config::Algorithm_IsValid(v)) continue;
    const auto a = static_cast<config::Algorithm>(v);
    BOOST_TEST_CONTEXT("algorithm " << config::Algorithm_Name(a)) {
      BOOST_TEST(make_balancer(a, servers(2)) != nullptr);
      BOOST_TEST(algorithm_name(a) != "unknown");
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_value_gives_nullptr) {
  const auto bogus = static_cast<config::Algorithm>(99);
  BOOST_TEST(make_balancer(bogus, servers(2)) == nullptr);
  BOOST_TEST(algorithm_name(bogus) == "unknown");
  BOOST_TEST(algorithm_name(config::ALGORITHM_UNSPECIFIED) == "round_robin");
  BOOST_TEST(algorithm_name(config::CONSISTENT_HASH) == "consistent_hash");
}

BOOST_AUTO_TEST_CASE(no_usable_server_gives_nullopt) {
  for (const auto a : kAll) {
    BOOST_TEST_CONTEXT("algorithm " << algorithm_name(a)) {
      auto b = make_balancer(a, {});
      Rng rng(1);
      PickContext ctx;
      ctx.rng = &rng;
      for (std::uint64_t key = 0; key < 10; ++key) {
        ctx.key_hash = key;
        BOOST_TEST(!b->pick(ctx).has_value());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(all_excluded_gives_nullopt) {
  const std::vector<ServerIndex> all{2, 0, 1};
  for (const auto a : kAll) {
    BOOST_TEST_CONTEXT("algorithm " << algorithm_name(a)) {
      auto b = make_balancer(a, weighted({5, 1, 1}));
      PickContext ctx;
      ctx.exclude = all;
      for (std::uint64_t key = 0; key < 10; ++key) {
        ctx.key_hash = stable_hash(std::to_string(key));
        BOOST_TEST(!b->pick(ctx).has_value());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(single_server_always_wins) {
  std::vector<Candidate> one{Candidate{7, 3, "only"}};
  const std::vector<ServerLoad> load(8, ServerLoad{4, 12.5});
  for (const auto a : kAll) {
    BOOST_TEST_CONTEXT("algorithm " << algorithm_name(a)) {
      auto b = make_balancer(a, one);
      PickContext ctx;
      ctx.load = load;
      for (std::uint64_t key = 0; key < 50; ++key) {
        ctx.key_hash = stable_hash(std::to_string(key));
        BOOST_TEST(got(b->pick(ctx)) == 7);
      }
      const std::vector<ServerIndex> tried{7};
      ctx.exclude = tried;
      BOOST_TEST(!b->pick(ctx).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(excluded_servers_are_never_picked_and_the_rest_are) {
  // Indexes need not be dense: a pool of 8 with 5 usable.
  const std::vector<Candidate> usable{
      {0, 2, "a"}, {2, 1, "b"}, {3, 3, "c"}, {5, 1, "d"}, {7, 1, "e"}};
  const std::vector<ServerIndex> tried{2, 5};
  std::vector<ServerLoad> load(8);  // LC/LRT/P2C would otherwise stick to one
  Rng rng(42);
  for (const auto a : kAll) {
    BOOST_TEST_CONTEXT("algorithm " << algorithm_name(a)) {
      auto b = make_balancer(a, usable);
      PickContext ctx;
      ctx.exclude = tried;
      ctx.load = load;
      ctx.rng = &rng;
      std::set<ServerIndex> seen;
      for (int i = 0; i < 2000; ++i) {
        ctx.key_hash = stable_hash(std::to_string(i));
        const auto picked = b->pick(ctx);
        BOOST_REQUIRE(picked.has_value());
        BOOST_TEST(*picked != 2U);
        BOOST_TEST(*picked != 5U);
        seen.insert(*picked);
        ++load[*picked].active;  // pretend it is in flight
        load[*picked].ewma_response_ms = 10;
      }
      BOOST_TEST((seen == std::set<ServerIndex>{0, 3, 7}));
      std::fill(load.begin(), load.end(), ServerLoad{});
    }
  }
}

BOOST_AUTO_TEST_CASE(short_load_span_counts_as_zero_and_zero_weight_as_one) {
  const std::vector<Candidate> usable{{0, 0, "a"}, {9, 0, "b"}};
  const std::vector<ServerLoad> load(1, ServerLoad{3, 5});  // covers index 0 only
  for (const auto a : kAll) {
    BOOST_TEST_CONTEXT("algorithm " << algorithm_name(a)) {
      auto b = make_balancer(a, usable);
      PickContext ctx;
      ctx.load = load;
      std::set<ServerIndex> seen;
      for (int i = 0; i < 200; ++i) {
        ctx.key_hash = stable_hash(std::to_string(i));
        const auto picked = b->pick(ctx);
        BOOST_REQUIRE(picked.has_value());
        seen.insert(*picked);
      }
      BOOST_TEST(seen.count(9) == 1U);  // index 9 is past the load span: still usable
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
