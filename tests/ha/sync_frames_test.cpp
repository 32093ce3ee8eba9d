// The peer sync messages (ha/sync/sync_frames.h): a snapshot is cut into
// batches and always ends with snapshot_end; change batches carry their id.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "ha/sync/sync_frames.h"

namespace tandem::ha::sync {
namespace {

std::vector<wire::StickEntry> entries(int n) {
  std::vector<wire::StickEntry> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)].set_key("k" + std::to_string(i));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_frames)

BOOST_AUTO_TEST_CASE(a_snapshot_is_cut_into_batches_then_an_end_marker) {
  const auto messages = snapshot_messages(entries(5), 2);
  BOOST_TEST(messages.size() == 4u);  // 2 + 2 + 1, then the end
  BOOST_TEST(messages[2].stick().entries_size() == 1);
  BOOST_TEST(messages[2].stick().entries(0).key() == "k4");
  for (const auto& m : messages) {
    BOOST_TEST(m.stick().full_snapshot());
    BOOST_TEST(m.batch() == 0u);
  }
  BOOST_TEST(!messages[2].stick().snapshot_end());
  BOOST_TEST(messages[3].stick().snapshot_end());
  BOOST_TEST(messages[3].stick().entries_size() == 0);
}

BOOST_AUTO_TEST_CASE(an_empty_snapshot_is_still_ended) {
  const auto messages = snapshot_messages({}, 256);
  BOOST_TEST(messages.size() == 1u);
  BOOST_TEST(messages[0].stick().snapshot_end());
}

BOOST_AUTO_TEST_CASE(a_change_batch_carries_its_id_acks_and_pings_are_distinct) {
  const auto m = stick_message(entries(3), false, false, 7);
  BOOST_TEST(m.batch() == 7u);
  BOOST_TEST(!m.stick().full_snapshot());
  BOOST_TEST(m.stick().entries_size() == 3);
  BOOST_TEST(ack_message(7).ack().batch() == 7u);
  BOOST_TEST(ping_message().has_ping());
  BOOST_TEST(!ping_message().has_stick());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
