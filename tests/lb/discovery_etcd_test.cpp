// etcd discovery's pure parts: the gateway's JSON (lb/discovery/etcd_wire),
// the set a prefix's keys make and when to range again
// (lb/discovery/etcd_set), the reconnect schedule (retry_backoff). The
// JSON below is what etcd 3.4.23's gateway wrote, keys and values base64.
#include <boost/test/unit_test.hpp>

#include "lb/discovery/discovered_cluster.h"
#include "lb/discovery/etcd_set.h"
#include "lb/discovery/etcd_wire.h"
#include "lb/discovery/retry_backoff.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;

EtcdKv kv(const std::string& key, const std::string& value, std::int64_t rev) { return EtcdKv{key, value, rev}; }

EtcdRange range(std::int64_t revision, std::vector<EtcdKv> kvs) { return EtcdRange{revision, std::move(kvs), false}; }

EtcdWatchMessage events(std::vector<EtcdEvent> e) {
  EtcdWatchMessage m;
  m.events = std::move(e);
  if (!m.events.empty()) m.revision = m.events.back().kv.mod_revision;
  return m;
}

EtcdEvent put(const std::string& key, const std::string& value, std::int64_t rev) { return EtcdEvent{false, kv(key, value, rev)}; }
EtcdEvent del(const std::string& key, std::int64_t rev) { return EtcdEvent{true, kv(key, "", rev)}; }

std::string names(const EtcdSet& set) {
  std::string out;
  for (const auto& s : set.set()) out += (out.empty() ? "" : ",") + s.name;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discovery_etcd)

BOOST_AUTO_TEST_CASE(base64_round_trips_and_refuses_garbage) {
  const std::vector<std::string> samples{"", "a", "ab", "abc", "/p/web1", std::string("\0\xff\x10", 3)};
  for (const auto& s : samples)
    BOOST_TEST(*base64_decode(base64_encode(s)) == s);
  BOOST_TEST(base64_encode("/p/a") == "L3AvYQ==");
  BOOST_TEST(!base64_decode("L3AvYQ="));    // length
  BOOST_TEST(!base64_decode("L3A*YQ=="));   // alphabet
  BOOST_TEST(!base64_decode("L3=vYQ=="));   // data after padding
  BOOST_TEST(!base64_decode("L3AvY==="));
  BOOST_TEST(!base64_decode("p/bresu="));  // non-canonical: dropped bits set (found by etcd_stream_fuzz)
}

BOOST_AUTO_TEST_CASE(prefix_range_end_is_etcds) {
  BOOST_TEST(prefix_range_end("/p/") == "/p0");
  BOOST_TEST(prefix_range_end(std::string("a\xff", 2)) == "b");
  BOOST_TEST(prefix_range_end(std::string("\xff", 1)) == std::string(1, '\0'));
}

BOOST_AUTO_TEST_CASE(requests_name_the_prefix_in_base64) {
  BOOST_TEST(range_request_body("/p/") == R"({"key":"L3Av","range_end":"L3Aw","limit":"4097"})");
  BOOST_TEST(watch_request_body("/p/", 7) ==
             R"({"create_request":{"key":"L3Av","range_end":"L3Aw","start_revision":"7"}})");
}

BOOST_AUTO_TEST_CASE(a_range_answer_parses) {
  std::string error;
  const auto r = parse_range(
      R"({"header":{"cluster_id":"1","member_id":"2","revision":"2","raft_term":"2"},"kvs":[{"key":"L3AvYQ==","create_revision":"2","mod_revision":"2","version":"1","value":"eyJhZGRyZXNzIjoiMTI3LjAuMC4xOjgwIn0="}],"count":"1"})",
      error);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->revision == 2);
  BOOST_REQUIRE(r->kvs.size() == 1u);
  BOOST_TEST(r->kvs[0].key == "/p/a");
  BOOST_TEST(r->kvs[0].value == R"({"address":"127.0.0.1:80"})");
  BOOST_TEST(r->kvs[0].mod_revision == 2);
  // No keys: no "kvs" at all.
  BOOST_TEST(parse_range(R"({"header":{"revision":"9"}})", error)->kvs.empty());
  BOOST_TEST(!parse_range(R"({"error":"etcdserver: mvcc: required revision has been compacted","code":11,"message":"etcdserver: mvcc: required revision has been compacted"})", error));
  BOOST_TEST(error.find("compacted") != std::string::npos, error);
  BOOST_TEST(!parse_range(R"({"kvs":[]})", error));
  BOOST_TEST(!parse_range(R"({"header":{"revision":"3"},"kvs":[{"key":"!!"}]})", error));
  BOOST_TEST(!parse_range("[1]", error));
  BOOST_TEST(!parse_range("{", error));
}

BOOST_AUTO_TEST_CASE(watch_lines_parse_puts_deletes_and_cancels) {
  std::string error;
  auto created = parse_watch_message(R"({"result":{"header":{"revision":"2"},"created":true}})", error);
  BOOST_REQUIRE(created.has_value());
  BOOST_TEST(created->created);
  BOOST_TEST(created->revision == 2);
  auto put_line = parse_watch_message(
      R"({"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"L3AvYg==","create_revision":"3","mod_revision":"3","version":"1","value":"eA=="}}]}})",
      error);
  BOOST_REQUIRE(put_line.has_value());
  BOOST_REQUIRE(put_line->events.size() == 1u);
  BOOST_TEST(!put_line->events[0].deleted);
  BOOST_TEST(put_line->events[0].kv.key == "/p/b");
  BOOST_TEST(put_line->events[0].kv.value == "x");
  auto del_line = parse_watch_message(
      R"({"result":{"header":{"revision":"4"},"events":[{"type":"DELETE","kv":{"key":"L3AvYg==","mod_revision":"4"}}]}})", error);
  BOOST_REQUIRE(del_line.has_value());
  BOOST_TEST(del_line->events[0].deleted);
  BOOST_TEST(del_line->events[0].kv.mod_revision == 4);
  auto cancel = parse_watch_message(R"({"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"4"}})", error);
  BOOST_REQUIRE(cancel.has_value());
  BOOST_TEST(cancel->canceled);
  BOOST_TEST(cancel->compact_revision == 4);
  BOOST_TEST(!parse_watch_message(R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}})", error));
  BOOST_TEST(error == "etcd: etcdserver: no leader");
  BOOST_TEST(!parse_watch_message(R"({"result":{"events":[{"type":"BOOM","kv":{"key":"YQ=="}}]}})", error));
  BOOST_TEST(!parse_watch_message(R"({"result":{"events":[{"type":"PUT"}]}})", error));
}

BOOST_AUTO_TEST_CASE(stream_lines_are_cut_wherever_the_bytes_split) {
  EtcdStreamLines cut;
  std::vector<std::string> lines;
  BOOST_TEST(cut.feed("{\"a\":", lines));
  BOOST_TEST(lines.empty());
  BOOST_TEST(cut.feed("1}\n\n{\"b\":2}\n{\"c\"", lines));
  BOOST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0] == "{\"a\":1}");
  BOOST_TEST(lines[1] == "{\"b\":2}");
  BOOST_TEST(cut.buffered() == 4u);
  EtcdStreamLines big;
  BOOST_TEST(!big.feed(std::string(kMaxEtcdLineBytes + 1, 'x'), lines));
}

BOOST_AUTO_TEST_CASE(values_become_servers_or_are_refused_with_a_reason) {
  std::string why;
  auto s = etcd_server("web1", R"({"address":"198.18.0.11:8000","weight":3,"state":"drain","zone":"a"})", why);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->name == "web1");
  BOOST_TEST(s->address == "198.18.0.11:8000");
  BOOST_TEST(s->weight == 3u);
  BOOST_TEST(s->state == config::DRAIN);
  BOOST_TEST(etcd_server("w", R"({"address":"198.18.0.11:8000"})", why)->state == config::READY);
  BOOST_TEST(etcd_server("w", R"({"address":"198.18.0.11:8000","state":"disabled"})", why)->state == config::MAINTENANCE);
  const std::pair<const char*, const char*> bad[] = {
      {"w", "not json"},
      {"w", R"({"weight":2})"},
      {"w", R"({"address":"web.internal:80"})"},
      {"w", R"({"address":"198.18.0.1"})"},
      {"w", R"({"address":"198.18.0.1:80","weight":0})"},
      {"w", R"({"address":"198.18.0.1:80","weight":257})"},
      {"w", R"({"address":"198.18.0.1:80","weight":"2"})"},
      {"w", R"({"address":"198.18.0.1:80","state":"up"})"},
      {"a/b", R"({"address":"198.18.0.1:80"})"},
      {"", R"({"address":"198.18.0.1:80"})"},
  };
  for (const auto& [name, value] : bad) {
    why.clear();
    BOOST_TEST(!etcd_server(name, value, why), name << " " << value);
    BOOST_TEST(!why.empty());
  }
}

BOOST_AUTO_TEST_CASE(a_range_makes_the_set_and_a_bad_value_is_skipped_not_fatal) {
  EtcdSet set("/p/");
  const auto step = set.on_range(range(10, {kv("/p/b", R"({"address":"198.18.0.12:80"})", 5),
                                            kv("/p/a", R"({"address":"198.18.0.11:80","weight":2})", 6),
                                            kv("/p/c", "garbage", 7)}));
  BOOST_TEST(step.changed);
  BOOST_TEST(names(set) == "a,b");
  BOOST_TEST(set.set()[0].weight == 2u);
  BOOST_TEST(set.revision() == 10);
  BOOST_REQUIRE(step.refused.size() == 1u);
  BOOST_TEST(step.refused[0].rfind("/p/c: ", 0) == 0u, step.refused[0]);
  BOOST_TEST(set.refused_keys() == 1u);
  BOOST_TEST(set.refused_total() == 1u);
}

BOOST_AUTO_TEST_CASE(watch_events_add_change_and_remove_servers) {
  EtcdSet set("/p/");
  set.on_range(range(10, {kv("/p/a", R"({"address":"198.18.0.11:80"})", 5)}));
  auto step = set.on_watch(events({put("/p/b", R"({"address":"198.18.0.12:80"})", 11)}));
  BOOST_TEST(step.changed);
  BOOST_TEST(names(set) == "a,b");
  step = set.on_watch(events({put("/p/b", R"({"address":"198.18.0.12:80","weight":5})", 12), del("/p/a", 12)}));
  BOOST_TEST(step.changed);
  BOOST_TEST(names(set) == "b");
  BOOST_TEST(set.set()[0].weight == 5u);
  BOOST_TEST(set.revision() == 12);
  // A resumed watch repeating revisions already applied changes nothing.
  step = set.on_watch(events({put("/p/z", R"({"address":"198.18.0.13:80"})", 12)}));
  BOOST_TEST(!step.changed);
  BOOST_TEST(names(set) == "b");
  // A good value turning bad takes the server out (every node agrees on
  // what the keys say), and is reported.
  set.on_watch(events({put("/p/c", R"({"address":"198.18.0.13:80"})", 13)}));
  step = set.on_watch(events({put("/p/b", R"({"address":"nope"})", 14)}));
  BOOST_TEST(step.changed);
  BOOST_TEST(names(set) == "c");
  BOOST_TEST(step.refused.size() == 1u);
  // Keys outside the prefix are never servers.
  step = set.on_watch(events({put("/q/x", R"({"address":"198.18.0.14:80"})", 15)}));
  BOOST_TEST(!step.changed);
}

BOOST_AUTO_TEST_CASE(no_usable_key_keeps_the_last_good_set) {
  EtcdSet set("/p/");
  auto step = set.on_range(range(3, {}));
  BOOST_TEST(!step.changed);
  BOOST_TEST(set.set().empty());  // the pool keeps the file's servers
  BOOST_TEST(step.note == "no key under the prefix");
  set.on_watch(events({put("/p/a", R"({"address":"198.18.0.11:80"})", 4)}));
  BOOST_TEST(names(set) == "a");
  step = set.on_watch(events({del("/p/a", 5)}));
  BOOST_TEST(!step.changed);
  BOOST_TEST(set.keeping());
  BOOST_TEST(names(set) == "a");
  BOOST_TEST(step.note == "no key under the prefix");
  step = set.on_watch(events({put("/p/a", "{}", 6)}));
  BOOST_TEST(names(set) == "a");
  BOOST_TEST(step.note == "no usable key under the prefix");
  step = set.on_watch(events({put("/p/b", R"({"address":"198.18.0.12:80"})", 7)}));
  BOOST_TEST(step.changed);
  BOOST_TEST(!set.keeping());
  BOOST_TEST(names(set) == "b");
}

BOOST_AUTO_TEST_CASE(a_range_over_the_key_limit_is_refused_and_the_set_kept) {
  EtcdSet set("/p/");
  set.on_range(range(3, {kv("/p/a", R"({"address":"198.18.0.11:80"})", 2)}));
  auto big = range(9, {});
  big.more = true;
  const auto step = set.on_range(big);
  BOOST_TEST(!step.changed);
  BOOST_TEST(!step.rerange);
  BOOST_TEST(names(set) == "a");
  BOOST_TEST(set.revision() == 3);
  BOOST_TEST(step.note.find("more than 4096 keys") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(compaction_or_a_cancel_or_a_revision_going_back_means_range_again) {
  EtcdSet set("/p/");
  set.on_range(range(20, {kv("/p/a", R"({"address":"198.18.0.11:80"})", 2)}));
  EtcdWatchMessage created;
  created.created = true;
  created.revision = 25;
  BOOST_TEST(!set.on_watch(created).rerange);
  EtcdWatchMessage compacted;
  compacted.canceled = true;
  compacted.compact_revision = 24;
  auto step = set.on_watch(compacted);
  BOOST_TEST(step.rerange);
  BOOST_TEST(step.note.find("compact_revision 24") != std::string::npos, step.note);
  BOOST_TEST(names(set) == "a");  // kept while ranging again
  EtcdWatchMessage canceled;
  canceled.canceled = true;
  BOOST_TEST(set.on_watch(canceled).rerange);
  EtcdWatchMessage back;
  back.created = true;
  back.revision = 4;  // a restored or new etcd
  step = set.on_watch(back);
  BOOST_TEST(step.rerange);
  BOOST_TEST(step.note.find("went back from 20 to 4") != std::string::npos, step.note);
  // The range after it replaces every key.
  step = set.on_range(range(4, {kv("/p/b", R"({"address":"198.18.0.12:80"})", 3)}));
  BOOST_TEST(step.changed);
  BOOST_TEST(names(set) == "b");
  BOOST_TEST(set.revision() == 4);
}

BOOST_AUTO_TEST_CASE(backoff_doubles_to_the_cap_with_jitter_and_resets) {
  RetryBackoff b(500ms, 4000ms);
  BOOST_TEST(b.next(0.0).count() == 250);
  BOOST_TEST(b.next(0.999999).count() == 999);
  BOOST_TEST(b.next(0.5).count() == 1500);  // [1000, 2000]
  BOOST_TEST(b.next(0.0).count() == 2000);  // d = 4000
  BOOST_TEST(b.next(1.0).count() == 4000);  // capped
  for (int i = 0; i < 100; ++i) BOOST_TEST(b.next(1.0).count() == 4000);
  BOOST_TEST(b.failures() == 105u);
  b.reset();
  BOOST_TEST(b.next(1.0).count() == 500);
}

BOOST_AUTO_TEST_CASE(discovered_digest_covers_state_and_the_cluster_takes_it) {
  const std::vector<DiscoveredServer> a{{"w1", "198.18.0.11:80", 1, config::READY}};
  auto b = a;
  b[0].state = config::DRAIN;
  BOOST_TEST(discovered_digest(a).size() == 16u);
  BOOST_TEST(discovered_digest(a) != discovered_digest(b));
  config::Cluster cluster;
  auto* pool = cluster.add_pools();
  pool->set_name("web");
  pool->mutable_etcd()->set_prefix("/p/");
  const auto out = with_discovered(cluster, DiscoveredSets{{"web", b}});
  BOOST_REQUIRE(out.pools(0).servers_size() == 1);
  BOOST_TEST(out.pools(0).servers(0).state() == config::DRAIN);
  BOOST_TEST(discovery_source(out.pools(0)) == "etcd");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
