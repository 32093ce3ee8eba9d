// StickTable hammered from several threads (run under TSan to check the design).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "lb/stick/stick_table.h"

namespace tandem::lb {

BOOST_AUTO_TEST_SUITE(stick_threads)

BOOST_AUTO_TEST_CASE(four_threads_hammer_one_table) {
  using namespace std::chrono_literals;
  StickTableOptions o;
  o.pool = "web";
  o.node = "lb1";
  o.ttl = 50ms;
  o.max_entries = 200;  // small: evictions happen all the time
  o.max_pending_changes = 64;
  StickTable table(o);
  const TimePoint t0 = TimePoint{} + 1h;
  constexpr int kOps = 20000;

  std::atomic<std::uint64_t> hits{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) {
    threads.emplace_back([&, id] {
      for (int i = 0; i < kOps; ++i) {
        const TimePoint now = t0 + std::chrono::microseconds(i * 10);
        const std::string key = "10.0.0." + std::to_string((i * 7 + id) % 300);
        switch ((i + id) % 8) {
          case 0: table.put(key, "s" + std::to_string(id), now); break;
          case 1: table.remove(key, now); break;
          case 2: table.move(key, "moved", now); break;
          case 3: table.expire(now); break;
          case 4: {
            wire::StickEntry e;
            e.set_key(key);
            e.set_server("peer");
            e.set_ttl_remaining_ms(40);
            e.set_origin("lb2");
            e.set_version(static_cast<std::uint64_t>(i));
            table.apply({e}, now);
            break;
          }
          case 5: table.drain_changes(16, now); table.take_needs_full_resync(); break;
          case 6: if (i % 64 == 6) table.list(now); break;
          default:
            if (table.lookup(key, now)) hits.fetch_add(1, std::memory_order_relaxed);
            break;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  const auto c = table.counters();
  BOOST_TEST(c.entries <= 200u);
  BOOST_TEST(c.hits == hits.load());
  BOOST_TEST(c.hits + c.misses == 4u * kOps / 8u);
  BOOST_TEST(table.list(t0 + 1h).empty());
  BOOST_TEST(table.expire(t0 + 1h) <= 200u);
  BOOST_TEST(table.counters().entries == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
