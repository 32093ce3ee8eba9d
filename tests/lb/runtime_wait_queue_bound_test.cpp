// Tests for lb/runtime/wait_queue_bound.h: pool.queue_size bounds the
// waiters of one pool over all workers (issue 9 part 4).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "lb/runtime/wait_queue_bound.h"

namespace tandem::lb {

BOOST_AUTO_TEST_SUITE(runtime_wait_queue_bound)

BOOST_AUTO_TEST_CASE(limit_is_the_number_of_waiters) {
  WaitQueueBound q;
  BOOST_TEST(!q.try_enter(0).has_value());  // queue_size 0: no queue
  auto a = q.try_enter(2);
  auto b = q.try_enter(2);
  BOOST_TEST(a.has_value());
  BOOST_TEST(b.has_value());
  BOOST_TEST(!q.try_enter(2).has_value());
  BOOST_TEST(q.waiting() == 2u);
  a.reset();  // a waiter got a slot or timed out: its place is free
  BOOST_TEST(q.waiting() == 1u);
  BOOST_TEST(q.try_enter(2).has_value());  // temporary: given back at once
  BOOST_TEST(q.waiting() == 1u);
}

BOOST_AUTO_TEST_CASE(pools_do_not_share_places) {
  // Pool A's waiters fill A's queue only; B still has all its places.
  WaitQueueBound pool_a, pool_b;
  std::vector<WaitQueueBound::Place> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::move(*pool_a.try_enter(3)));
  BOOST_TEST(!pool_a.try_enter(3).has_value());
  for (int i = 0; i < 3; ++i) held.push_back(std::move(*pool_b.try_enter(3)));
  BOOST_TEST(!pool_b.try_enter(3).has_value());
  held.clear();
  BOOST_TEST(pool_a.waiting() == 0u);
  BOOST_TEST(pool_b.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(workers_together_never_exceed_the_limit) {
  // Four threads (as four workers) race for 5 places of one pool: the bound
  // is 5 in total, not 5 per worker.
  WaitQueueBound q;
  constexpr std::uint32_t kLimit = 5;
  std::atomic<std::uint32_t> peak{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      std::vector<WaitQueueBound::Place> mine;
      for (int i = 0; i < 2000; ++i) {
        if (auto p = q.try_enter(kLimit)) mine.push_back(std::move(*p));
        std::uint32_t seen = q.waiting();
        std::uint32_t prev = peak.load();
        while (seen > prev && !peak.compare_exchange_weak(prev, seen)) {}
        if (mine.size() > 1 || (i % 3 == 0 && !mine.empty())) mine.pop_back();
      }
    });
  }
  go = true;
  for (auto& t : workers) t.join();
  BOOST_TEST(peak.load() <= kLimit);
  BOOST_TEST(peak.load() >= 1u);
  BOOST_TEST(q.waiting() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
