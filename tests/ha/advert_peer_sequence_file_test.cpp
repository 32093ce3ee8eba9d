// Tests for ha/advert/peer_sequence_file.h and write_throttle.h: the replay
// guard's memory across restarts, and how often it is written.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "ha/advert/peer_sequence_file.h"
#include "ha/advert/write_throttle.h"

namespace tandem::ha {

BOOST_AUTO_TEST_SUITE(advert_peer_sequence_file)

BOOST_AUTO_TEST_CASE(path_sits_next_to_the_state_file) {
  BOOST_TEST(peer_sequence_path("/var/lib/tandem/edge1.state") == "/var/lib/tandem/edge1.state.sequences");
  BOOST_TEST(peer_sequence_path("").empty());
}

BOOST_AUTO_TEST_CASE(text_round_trips) {
  std::map<std::pair<std::string, std::string>, PeerSequence> peers;
  peers[{"edge1", "www"}] = PeerSequence{42, 1765000000000001, 0};
  peers[{"edge2", "db"}] = PeerSequence{43, 17, 1};
  peers[{"edge2", "www"}] = PeerSequence{0, 0, 0};  // never accepted: not written
  const std::string text = peer_sequences_text(peers);
  BOOST_TEST(text ==
             "node=edge1 instance=www sequence=1765000000000001\n"
             "node=edge2 instance=db sequence=17\n");
  std::vector<std::string> problems;
  const PeerSequences back = parse_peer_sequences(text, problems);
  BOOST_TEST(problems.empty());
  BOOST_TEST(back.size() == 2u);
  BOOST_TEST(back.at({"edge1", "www"}) == 1765000000000001u);
  BOOST_TEST(back.at({"edge2", "db"}) == 17u);
}

BOOST_AUTO_TEST_CASE(damaged_lines_are_skipped_and_named) {
  std::vector<std::string> problems;
  const PeerSequences got = parse_peer_sequences(
      "node=edge1 instance=www sequence=100\n"
      "node=edge2 instance=www sequence=12x\n"
      "\n"
      "node=edge3 sequence=5\n"
      "node=edge2 instance=www sequence=0\n"
      "node=edge2 instance=www sequence=99999999999999999999999\n"
      "node=edge1 instance=www sequence=50\r\n"
      "node=edge1 instance=db sequence=7",  // no final newline: a torn write still counts
      problems);
  BOOST_TEST(got.size() == 2u);
  BOOST_TEST(got.at({"edge1", "www"}) == 100u);  // the larger of two lines
  BOOST_TEST(got.at({"edge1", "db"}) == 7u);
  BOOST_REQUIRE(problems.size() == 4u);
  BOOST_TEST(problems[0].starts_with("line 2:"));
  BOOST_TEST(problems[1].starts_with("line 4:"));
  BOOST_TEST(problems[2].starts_with("line 5:"));
  BOOST_TEST(problems[3].starts_with("line 6:"));
}

BOOST_AUTO_TEST_CASE(throttle_writes_at_most_once_per_interval) {
  using namespace std::chrono_literals;
  const WriteThrottle::TimePoint t0{std::chrono::seconds(100)};
  WriteThrottle w(500ms);
  BOOST_TEST(!w.due(t0));  // nothing changed
  BOOST_TEST(!w.next(t0).has_value());
  w.changed();
  BOOST_TEST(w.due(t0));  // first write at once
  BOOST_TEST((*w.next(t0) == t0));
  w.written(t0);
  BOOST_TEST(!w.due(t0 + 10ms));
  // 50 adverts at 10 ms: no write until the interval is over.
  for (int i = 1; i <= 49; ++i) {
    w.changed();
    BOOST_TEST(!w.due(t0 + i * 10ms));
  }
  BOOST_TEST((*w.next(t0 + 490ms) == t0 + 500ms));
  BOOST_TEST(w.due(t0 + 500ms));
  w.written(t0 + 500ms);
  BOOST_TEST(!w.dirty());
  BOOST_TEST(!w.due(t0 + 2s));  // quiet: nothing to write
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
