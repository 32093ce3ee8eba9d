// Unit tests for lb/h2/server_codec: bytes of a real nghttp2 client, and
// hand-built frames for the floods, fed to the server side; what the shell
// is told and what goes back on the wire.
#include "lb/h2/server_codec.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace tandem::lb::h2;
using namespace std::chrono_literals;

namespace {

const SteadyTime t0 = SteadyTime{} + 1h;
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::string_view payload) {
  std::string f;
  const auto n = payload.size();
  f += static_cast<char>((n >> 16) & 0xff);
  f += static_cast<char>((n >> 8) & 0xff);
  f += static_cast<char>(n & 0xff);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  f += static_cast<char>((stream >> 24) & 0x7f);
  f += static_cast<char>((stream >> 16) & 0xff);
  f += static_cast<char>((stream >> 8) & 0xff);
  f += static_cast<char>(stream & 0xff);
  f += payload;
  return f;
}

// GET / with :authority "a": HPACK static-table indexes and one literal.
const std::string kGetBlock = std::string("\x82\x86\x84\x41\x01\x61", 6);

std::string opening() { return std::string(kPreface) + frame(0x4, 0, 0, ""); }

bool feed(ServerCodec& c, std::string_view bytes, SteadyTime now = t0) {
  return c.receive(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), now);
}

// Whether OUT holds a GOAWAY frame with error CODE.
bool has_goaway(const std::string& out, std::uint32_t code) {
  std::size_t at = 0;
  while (at + 9 <= out.size()) {
    const std::size_t len = (std::uint8_t(out[at]) << 16) | (std::uint8_t(out[at + 1]) << 8) | std::uint8_t(out[at + 2]);
    if (out[at + 3] == 0x7 && len >= 8) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(out.data() + at + 9 + 4);
      const std::uint32_t c = (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
      if (c == code) return true;
    }
    at += 9 + len;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(h2_server_codec)

BOOST_AUTO_TEST_CASE(a_get_is_announced_and_answered) {
  ServerCodec c({});
  BOOST_TEST(feed(c, opening() + frame(0x1, kFlagEndHeaders | kFlagEndStream, 1, kGetBlock)));
  auto notices = c.take_notices();
  BOOST_TEST_REQUIRE(notices.size() == 1u);
  BOOST_TEST((notices[0].kind == Notice::Kind::request));
  auto stream = notices[0].stream;
  BOOST_TEST(stream->head.method == "GET");
  BOOST_TEST(stream->head.path == "/");
  BOOST_TEST(stream->head.authority == "a");
  BOOST_TEST(stream->request_complete);
  std::string out;
  c.output(out, 1 << 20);  // our SETTINGS, the ACK of theirs
  BOOST_TEST(!out.empty());
  c.respond(*stream, 200, {{"content-type", "text/plain"}}, true);
  c.append_body(*stream, "hello");
  c.end_body(*stream);
  out.clear();
  c.output(out, 1 << 20);
  BOOST_TEST(out.find("hello") != std::string::npos);
  // Both ends have ended the stream: it closes.
  notices = c.take_notices();
  BOOST_TEST_REQUIRE(notices.size() == 1u);
  BOOST_TEST((notices[0].kind == Notice::Kind::closed));
  BOOST_TEST(c.open_streams() == 0u);
}

BOOST_AUTO_TEST_CASE(a_deferred_body_resumes_when_bytes_come) {
  ServerCodec c({});
  BOOST_TEST(feed(c, opening() + frame(0x1, kFlagEndHeaders | kFlagEndStream, 1, kGetBlock)));
  auto stream = c.take_notices().at(0).stream;
  c.respond(*stream, 200, {}, true);
  std::string out;
  c.output(out, 1 << 20);
  BOOST_TEST(stream->deferred);
  c.append_body(*stream, "late bytes");
  out.clear();
  c.output(out, 1 << 20);
  BOOST_TEST(out.find("late bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_request_body_is_handed_over_and_its_window_given_back) {
  ServerCodec c({});
  BOOST_TEST(feed(c, opening() + frame(0x1, kFlagEndHeaders, 1, kGetBlock) + frame(0x0, 0, 1, "abc") +
                         frame(0x0, kFlagEndStream, 1, "de")));
  auto notices = c.take_notices();
  BOOST_TEST_REQUIRE(!notices.empty());
  auto stream = notices[0].stream;
  BOOST_TEST(!notices.empty());
  BOOST_TEST(stream->body_in == "abcde");
  BOOST_TEST(stream->request_complete);
  BOOST_TEST(stream->body_unconsumed == 5u);
  c.consumed(*stream, 5);
  BOOST_TEST(stream->body_unconsumed == 0u);
}

BOOST_AUTO_TEST_CASE(a_header_list_over_the_limit_is_marked_for_a_431) {
  CodecSettings s;
  s.max_header_list_bytes = 200;
  ServerCodec c(s);
  // A literal field "x" (new name, not indexed) with a 300-byte value; the
  // length is HPACK's integer with a 7-bit prefix: 127, then 173 as 0xad 0x01.
  std::string block = kGetBlock + std::string("\x00\x01x\x7f\xad\x01", 6);
  block += std::string(300, 'v');
  BOOST_TEST(feed(c, opening() + frame(0x1, kFlagEndHeaders | kFlagEndStream, 1, block)));
  auto notices = c.take_notices();
  BOOST_TEST_REQUIRE(notices.size() == 1u);
  BOOST_TEST(notices[0].stream->head.over_limit);
}

BOOST_AUTO_TEST_CASE(rapid_reset_ends_the_connection_with_enhance_your_calm) {
  CodecSettings s;
  s.max_resets_per_window = 50;
  ServerCodec c(s);
  BOOST_TEST(feed(c, opening()));
  bool ok = true;
  std::uint32_t id = 1;
  for (int i = 0; i < 200 && ok; ++i, id += 2) {
    ok = feed(c, frame(0x1, kFlagEndHeaders | kFlagEndStream, id, kGetBlock) +
                     frame(0x3, 0, id, std::string("\x00\x00\x00\x08", 4)));  // CANCEL
  }
  BOOST_TEST(!ok);
  BOOST_TEST((c.ending() == Ending::reset_flood));
  BOOST_TEST(c.client_resets() == 51u);
  std::string out;
  c.output(out, 1 << 20);
  BOOST_TEST(has_goaway(out, 0xb));  // ENHANCE_YOUR_CALM
}

BOOST_AUTO_TEST_CASE(a_continuation_flood_ends_the_connection) {
  ServerCodec c({});
  std::string bytes = opening() + frame(0x1, 0, 1, kGetBlock);
  for (int i = 0; i < 100; ++i) bytes += frame(0x9, 0, 1, "");
  BOOST_TEST(!feed(c, bytes));
  BOOST_TEST((c.ending() == Ending::header_flood));
  std::string out;
  c.output(out, 1 << 20);
  BOOST_TEST(has_goaway(out, 0xb));
}

BOOST_AUTO_TEST_CASE(a_ping_flood_ends_the_connection) {
  CodecSettings s;
  s.max_control_frames_per_window = 100;
  ServerCodec c(s);
  std::string bytes = opening();
  for (int i = 0; i < 150; ++i) bytes += frame(0x6, 0, 0, "12345678");
  BOOST_TEST(!feed(c, bytes));
  BOOST_TEST((c.ending() == Ending::control_flood));
  std::string out;
  c.output(out, 1 << 20);
  BOOST_TEST(has_goaway(out, 0xb));
}

BOOST_AUTO_TEST_CASE(pings_spread_over_windows_are_answered) {
  CodecSettings s;
  s.max_control_frames_per_window = 10;
  s.flood_window = 1000ms;
  ServerCodec c(s);
  BOOST_TEST(feed(c, opening()));
  for (int i = 0; i < 50; ++i) BOOST_TEST_REQUIRE(feed(c, frame(0x6, 0, 0, "12345678"), t0 + i * 200ms));
  BOOST_TEST((c.ending() == Ending::none));
}

BOOST_AUTO_TEST_CASE(a_bad_preface_is_a_protocol_error) {
  ServerCodec c({});
  BOOST_TEST(!feed(c, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"));
  BOOST_TEST((c.ending() == Ending::protocol_error));
}

BOOST_AUTO_TEST_CASE(a_graceful_shutdown_lets_open_streams_finish) {
  ServerCodec c({});
  BOOST_TEST(feed(c, opening() + frame(0x1, kFlagEndHeaders | kFlagEndStream, 1, kGetBlock)));
  auto stream = c.take_notices().at(0).stream;
  c.shutdown();
  std::string out;
  c.output(out, 1 << 20);
  BOOST_TEST(has_goaway(out, 0x0));
  c.respond(*stream, 204, {}, false);
  out.clear();
  c.output(out, 1 << 20);
  BOOST_TEST(!out.empty());
  BOOST_TEST(c.open_streams() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
