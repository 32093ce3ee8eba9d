// The local channel side of stick sync (ha/sync/proxy_feed.h), through a
// fake ProxyStickPort and a fake clock: what the proxy sends is merged and
// handed on for the peers; what peers teach goes to the proxy at once; a
// (re)connect and an overflow each bring one full resync with an id.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ha/sync/proxy_feed.h"

namespace tandem::ha::sync {
namespace {

using namespace std::chrono_literals;

struct FakePort : ProxyStickPort {
  void set_stick_handlers(std::function<void(const wire::StickChanges&)> stick, std::function<void()> connected_fn,
                          std::function<void(std::uint64_t)> applied) override {
    on_stick = std::move(stick);
    on_connected = std::move(connected_fn);
    on_applied = std::move(applied);
  }
  void send_stick(const wire::StickChanges& changes) override { sent.push_back(changes); }
  std::size_t queued_bytes() const override { return queued; }
  bool connected() const override { return up; }

  std::function<void(const wire::StickChanges&)> on_stick;
  std::function<void()> on_connected;
  std::function<void(std::uint64_t)> on_applied;
  std::vector<wire::StickChanges> sent;
  std::size_t queued = 0;
  bool up = true;
};

wire::StickEntry entry(const std::string& key, std::uint32_t ttl_ms = 5000) {
  wire::StickEntry e;
  e.set_pool("web");
  e.set_key(key);
  e.set_server("s1");
  e.set_ttl_remaining_ms(ttl_ms);
  e.set_origin("edge2");
  e.set_version(1);
  return e;
}

std::size_t entries_in(const std::vector<wire::StickChanges>& sent) {
  std::size_t n = 0;
  for (const auto& c : sent) n += static_cast<std::size_t>(c.entries_size());
  return n;
}

struct Fixture {
  Fixture(std::size_t batch = 2, std::size_t limit = 100)
      : store({{"web", PoolLimits{60000ms, 100}}}),
        feed(store, batch, limit,
             ProxyFeed::Hooks{[this] { return now; },
                              [this](const std::vector<wire::StickEntry>& changed, TimePoint) {
                                for (const auto& e : changed) for_peers.push_back(e.key());
                              },
                              [this](std::uint64_t id, TimePoint) { resyncs_sent.push_back(id); },
                              [this](std::uint64_t id) { applied.push_back(id); }}) {
    feed.attach(&port);
  }
  TimePoint now = TimePoint{} + 1h;
  StickStore store;
  FakePort port;
  ProxyFeed feed;
  std::vector<std::string> for_peers;
  std::vector<std::uint64_t> resyncs_sent;
  std::vector<std::uint64_t> applied;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_proxy_feed)

BOOST_AUTO_TEST_CASE(what_the_proxy_writes_is_merged_and_handed_on_once) {
  Fixture f;
  wire::StickChanges c;
  *c.add_entries() = entry("a");
  *c.add_entries() = entry("b");
  f.port.on_stick(c);
  f.port.on_stick(c);  // the same again changes nothing
  BOOST_TEST(f.for_peers == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(f.store.snapshot(f.now).size() == 2u);
  BOOST_TEST(f.feed.counters().received == 4u);
}

BOOST_AUTO_TEST_CASE(what_peers_teach_goes_to_the_proxy_at_once_in_batches) {
  Fixture f(/*batch=*/2);
  f.feed.learned({entry("a"), entry("b"), entry("c")}, f.now);
  BOOST_TEST(f.port.sent.size() == 2u);  // 2 + 1
  BOOST_TEST(entries_in(f.port.sent) == 3u);
  BOOST_TEST(!f.port.sent[0].full_snapshot());
  BOOST_TEST(f.feed.counters().sent == 3u);
}

BOOST_AUTO_TEST_CASE(nothing_is_sent_above_the_high_water_mark_until_it_drains) {
  Fixture f;
  f.port.queued = ProxyFeed::kWriteHighWater;
  f.feed.learned({entry("a")}, f.now);
  BOOST_TEST(f.port.sent.empty());
  f.port.queued = 0;
  f.feed.flush(f.now + 1000ms);
  BOOST_TEST(entries_in(f.port.sent) == 1u);
  BOOST_TEST(f.port.sent[0].entries(0).ttl_remaining_ms() == 4000u);  // the wait came off its TTL
}

BOOST_AUTO_TEST_CASE(a_reconnect_brings_the_whole_store_with_an_id_the_proxy_acknowledges) {
  Fixture f(/*batch=*/2);
  f.store.apply({entry("a"), entry("b"), entry("c")}, f.now);
  f.port.on_connected();
  BOOST_TEST(f.port.sent.size() == 3u);  // 2 + 1 entries, then the end marker
  BOOST_TEST(f.port.sent[0].full_snapshot());
  BOOST_TEST(f.port.sent.back().snapshot_end());
  BOOST_TEST(f.port.sent.back().snapshot_id() == 1u);
  BOOST_TEST(f.resyncs_sent == std::vector<std::uint64_t>{1});
  f.port.on_applied(1);
  BOOST_TEST(f.applied == std::vector<std::uint64_t>{1});
  BOOST_TEST(f.feed.counters().resyncs == 1u);
}

BOOST_AUTO_TEST_CASE(an_overflow_while_disconnected_becomes_one_resync) {
  Fixture f(/*batch=*/10, /*limit=*/2);
  f.port.up = false;
  f.feed.learned({entry("a"), entry("b"), entry("c")}, f.now);
  BOOST_TEST(f.port.sent.empty());
  BOOST_TEST(f.feed.overflows() == 1u);
  f.port.up = true;
  f.feed.flush(f.now);
  BOOST_TEST(f.port.sent.size() == 1u);  // the (empty) store and its end marker
  BOOST_TEST(f.port.sent[0].snapshot_end());
  f.feed.flush(f.now);
  BOOST_TEST(f.port.sent.size() == 1u);  // once
}

BOOST_AUTO_TEST_CASE(no_port_no_traffic) {
  StickStore store({{"web", PoolLimits{}}});
  ProxyFeed feed(store, 10, 10, ProxyFeed::Hooks{[] { return TimePoint{}; }, {}, {}, {}});
  feed.learned({entry("a")}, TimePoint{} + 1h);
  feed.flush(TimePoint{} + 1h);
  BOOST_TEST(!feed.attached());
  BOOST_TEST(feed.counters().sent == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
