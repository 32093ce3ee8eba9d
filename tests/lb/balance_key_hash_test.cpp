// stable_hash must never change (every node must map a key alike), and the
// Rng must be deterministic and unbiased enough for power-of-two.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/balancer.h"
#include "lb/balance/key_hash.h"

namespace tandem::lb {
namespace {

BOOST_AUTO_TEST_SUITE(balance_key_hash)

BOOST_AUTO_TEST_CASE(golden_values_never_change) {
  // Changing these remaps every key and every Maglev table in a mixed-version
  // cluster: only ever update them with a migration plan.
  BOOST_TEST(stable_hash("") == 0xEFD01F60BA992926ULL);
  BOOST_TEST(stable_hash("198.18.0.7") == 0x43C92A6D55E6266CULL);
  BOOST_TEST(stable_hash("web-1") == 0xC663F9D41A1B33B4ULL);
}

BOOST_AUTO_TEST_CASE(is_usable_at_compile_time_and_spreads) {
  static_assert(stable_hash("a") != stable_hash("b"));
  static_assert(mix64(0) == 0);  // fmix64 fixes 0; stable_hash never feeds it 0 for "" anyway
  std::set<std::uint64_t> seen;
  std::vector<int> top_bits(16, 0);
  for (int i = 0; i < 16000; ++i) {
    const std::uint64_t h = stable_hash("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    seen.insert(h);
    ++top_bits[h >> 60];
  }
  BOOST_TEST(seen.size() == 16000U);
  for (const int n : top_bits) BOOST_TEST((n > 800 && n < 1200));  // ~1000 each
}

BOOST_AUTO_TEST_CASE(rng_is_deterministic_per_seed) {
  Rng a(7);
  Rng b(7);
  Rng c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    BOOST_TEST(x == b.next());
    differs = differs || x != c.next();
  }
  BOOST_TEST(differs);
  Rng copy = a;  // value type: a copy replays
  BOOST_TEST(copy.next() == a.next());
}

BOOST_AUTO_TEST_CASE(rng_uniform_stays_in_range_and_is_flat) {
  Rng rng(3);
  BOOST_TEST(rng.uniform(0) == 0U);
  BOOST_TEST(rng.uniform(1) == 0U);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const auto v = rng.uniform(7);
    BOOST_REQUIRE_LT(v, 7U);
    ++counts[v];
  }
  for (const int n : counts) BOOST_TEST((n > 9500 && n < 10500));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
