// The local channel's messages carry stick keys that clients and backends
// chose (cookie values): any bytes must cross it, or one odd key would make
// every frame that holds it unparsable, closing the channel on each resync.
// Found by local_channel_fuzz.
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/framing.h"
#include "common/proto/local_channel.pb.h"
#include "common/proto/sync.pb.h"

using namespace tandem;

BOOST_AUTO_TEST_SUITE(common_local_channel)

BOOST_AUTO_TEST_CASE(a_stick_key_that_is_not_utf8_crosses_the_channel) {
  const std::string key("SID-\xff\xfe\xc3\x28", 8);  // cookie-octets excluded, obs-text: legal in a field
  wire::ProxyToAgent sent;
  auto* e = sent.mutable_stick()->add_entries();
  e->set_pool("app");
  e->set_key(key);
  e->set_server("app1");
  e->set_ttl_remaining_ms(1000);
  FrameDecoder decoder;
  decoder.feed(encode_frame(sent));
  std::string payload;
  BOOST_REQUIRE(decoder.next(payload) == FrameDecoder::Status::frame);
  wire::ProxyToAgent received;
  BOOST_REQUIRE(received.ParseFromString(payload));
  BOOST_TEST(received.stick().entries(0).key() == key);

  // The same entry to a peer (sync.proto carries StickChanges too).
  wire::SyncMessage to_peer;
  *to_peer.mutable_stick() = sent.stick();
  wire::SyncMessage from_peer;
  BOOST_REQUIRE(from_peer.ParseFromString(to_peer.SerializeAsString()));
  BOOST_TEST(from_peer.stick().entries(0).key() == key);
}

BOOST_AUTO_TEST_SUITE_END()
