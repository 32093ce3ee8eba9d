// The bounded change queue (common/stick/change_queue.h): order, batching, TTL
// accounting while queued, overflow -> full resync.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "common/stick/change_queue.h"

namespace tandem::stick {
namespace {

using namespace std::chrono_literals;
using TimePoint = ChangeQueue::TimePoint;
const TimePoint t0 = TimePoint{} + 1h;

wire::StickEntry entry(const std::string& key, std::uint32_t ttl_ms) {
  wire::StickEntry e;
  e.set_pool("web");
  e.set_key(key);
  e.set_server("s1");
  e.set_ttl_remaining_ms(ttl_ms);
  e.set_origin("edge1");
  e.set_version(1);
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_queue)

BOOST_AUTO_TEST_CASE(batches_come_out_oldest_first_at_most_max) {
  ChangeQueue q(100);
  for (int i = 0; i < 5; ++i) q.push(entry("k" + std::to_string(i), 1000), t0);
  auto b1 = q.take(3, t0);
  BOOST_TEST(b1.entries.size() == 3u);
  BOOST_TEST(b1.entries[0].key() == "k0");
  BOOST_TEST(b1.entries[2].key() == "k2");
  auto b2 = q.take(3, t0);
  BOOST_TEST(b2.entries.size() == 2u);
  BOOST_TEST(b2.entries[0].key() == "k3");
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(time_spent_queued_is_taken_off_the_ttl) {
  ChangeQueue q(100);
  q.push(entry("a", 1000), t0);
  q.push(entry("b", 200), t0 + 50ms);
  auto b = q.take(10, t0 + 300ms);
  BOOST_TEST(b.entries.size() == 1u);  // b expired while queued: skipped
  BOOST_TEST(b.entries[0].key() == "a");
  BOOST_TEST(b.entries[0].ttl_remaining_ms() == 700u);
  BOOST_TEST(b.queued_at.size() == 1u);
  BOOST_TEST((b.queued_at[0] == t0));
}

BOOST_AUTO_TEST_CASE(overflow_drops_the_queue_and_asks_for_a_resync) {
  ChangeQueue q(3);
  BOOST_TEST(!q.take_needs_resync());
  for (int i = 0; i < 3; ++i) BOOST_TEST(q.push(entry("k" + std::to_string(i), 1000), t0));
  BOOST_TEST(!q.push(entry("k3", 1000), t0));
  BOOST_TEST(q.empty());
  BOOST_TEST(q.overflows() == 1u);
  BOOST_TEST(q.take_needs_resync());
  BOOST_TEST(!q.take_needs_resync());  // reading clears it
  BOOST_TEST(q.push(entry("k4", 1000), t0));  // and it takes changes again
  BOOST_TEST(q.size() == 1u);
}

BOOST_AUTO_TEST_CASE(oldest_age_measures_the_head) {
  ChangeQueue q(10);
  BOOST_TEST(q.oldest_age(t0).count() == 0);
  q.push(entry("a", 1000), t0);
  q.push(entry("b", 1000), t0 + 10ms);
  BOOST_TEST((q.oldest_age(t0 + 25ms) == std::chrono::steady_clock::duration(25ms)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::stick
