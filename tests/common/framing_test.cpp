// Unit tests of the frame codec, HMAC helpers and address parsing.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "common/address.h"
#include "common/framing.h"
#include "common/hmac.h"
#include "common/proto/local_channel.pb.h"

using namespace tandem;

BOOST_AUTO_TEST_SUITE(common_framing)

BOOST_AUTO_TEST_CASE(round_trip_byte_by_byte) {
  wire::ProxyToAgent a;
  a.mutable_heartbeat()->set_sequence(7);
  wire::ProxyToAgent b;
  b.mutable_stick()->add_entries()->set_key("198.18.0.50");
  const std::string stream = encode_frame(a) + encode_frame(b);
  FrameDecoder decoder;
  std::vector<std::string> payloads;
  for (char c : stream) {
    decoder.feed(std::string_view(&c, 1));
    std::string p;
    while (decoder.next(p) == FrameDecoder::Status::frame) payloads.push_back(p);
  }
  BOOST_REQUIRE_EQUAL(payloads.size(), 2u);
  wire::ProxyToAgent got;
  BOOST_TEST(got.ParseFromString(payloads[0]));
  BOOST_TEST(got.heartbeat().sequence() == 7u);
  BOOST_TEST(got.ParseFromString(payloads[1]));
  BOOST_TEST(got.stick().entries(0).key() == "198.18.0.50");
}

BOOST_AUTO_TEST_CASE(oversized_frame_is_refused_before_buffering) {
  FrameDecoder decoder(16);
  decoder.feed(std::string("\x00\x00\x00\x11", 4));  // announces 17 bytes
  std::string p;
  BOOST_TEST((decoder.next(p) == FrameDecoder::Status::too_large));
}

BOOST_AUTO_TEST_CASE(partial_header_needs_more) {
  FrameDecoder decoder;
  decoder.feed(std::string("\x00\x00", 2));
  std::string p;
  BOOST_TEST((decoder.next(p) == FrameDecoder::Status::need_more));
}

BOOST_AUTO_TEST_CASE(empty_message_is_a_valid_frame) {
  wire::ProxyToAgent empty;
  FrameDecoder decoder;
  decoder.feed(encode_frame(empty));
  std::string p = "x";
  BOOST_TEST((decoder.next(p) == FrameDecoder::Status::frame));
  BOOST_TEST(p.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(common_hmac)

BOOST_AUTO_TEST_CASE(rfc4231_test_case_2) {
  const auto d = hmac_sha256("Jefe", "what do ya want for nothing?");
  static const unsigned char expected[] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
                                           0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
                                           0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  BOOST_TEST(std::equal(d.begin(), d.end(), expected));
}

BOOST_AUTO_TEST_CASE(verify_rejects_wrong_key_data_and_length) {
  const auto d = hmac_sha256("key-key-key-key-", "data");
  const std::string sig(d.begin(), d.end());
  BOOST_TEST(hmac_verify("key-key-key-key-", "data", sig));
  BOOST_TEST(!hmac_verify("key-key-key-key!", "data", sig));
  BOOST_TEST(!hmac_verify("key-key-key-key-", "datA", sig));
  BOOST_TEST(!hmac_verify("key-key-key-key-", "data", sig.substr(1)));
}

BOOST_AUTO_TEST_CASE(key_file_errors_say_what_to_do) {
  std::string key, error;
  BOOST_TEST(!read_key_file("/nonexistent/key", key, error));
  BOOST_TEST(error.find("head -c 32 /dev/urandom") != std::string::npos, error);
  const std::string path = "/tmp/tandem-key-test";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("short\n", f);
  std::fclose(f);
  BOOST_TEST(!read_key_file(path, key, error));
  // 32 bytes, HMAC-SHA256's output size, as cluster.proto and the README say (issue 10 §5).
  BOOST_TEST(error.find("at least 32") != std::string::npos, error);
  f = std::fopen(path.c_str(), "w");
  std::fputs("  0123456789abcdef0123456789abcde\n", f);  // 31 bytes
  std::fclose(f);
  BOOST_TEST(!read_key_file(path, key, error));
  f = std::fopen(path.c_str(), "w");
  std::fputs("  0123456789abcdef0123456789abcdef\n", f);
  std::fclose(f);
  BOOST_TEST(read_key_file(path, key, error));
  BOOST_TEST(key == "0123456789abcdef0123456789abcdef");
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(a_world_readable_key_file_is_not_private) {
  const std::string path = "/tmp/tandem-key-mode-test";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("0123456789abcdef0123456789abcdef\n", f);
  std::fclose(f);
  std::string error;
  ::chmod(path.c_str(), 0644);
  BOOST_TEST(!key_file_is_private(path, error));
  BOOST_TEST(error.find("readable by every user (mode 0644)") != std::string::npos, error);
  BOOST_TEST(error.find("chmod 600 " + path) != std::string::npos, error);
  ::chmod(path.c_str(), 0640);  // the packaged units read it as group tandem
  BOOST_TEST(key_file_is_private(path, error), error);
  ::chmod(path.c_str(), 0600);
  BOOST_TEST(key_file_is_private(path, error), error);
  std::remove(path.c_str());
  BOOST_TEST(!key_file_is_private(path, error));
  BOOST_TEST(error.find("cannot read key file") != std::string::npos, error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(common_address)

BOOST_AUTO_TEST_CASE(host_port_forms) {
  std::string error;
  auto v4 = parse_host_port("198.18.0.1:80", error);
  BOOST_REQUIRE(v4);
  BOOST_TEST(v4->port == 80);
  auto v6 = parse_host_port("[2001:db8::1]:443", error);
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->address.is_v6());
  BOOST_TEST(format_host_port(v6->address, v6->port) == "[2001:db8::1]:443");
  BOOST_TEST(!parse_host_port("198.18.0.1", error));
  BOOST_TEST(!parse_host_port("198.18.0.1:0", error));
  BOOST_TEST(parse_host_port("198.18.0.1:0", error, true).has_value());
  BOOST_TEST(!parse_host_port("198.18.0.1:65536", error));
  BOOST_TEST(!parse_host_port("[::1:80", error));
  BOOST_TEST(!parse_host_port("host:80", error));
  BOOST_TEST(error.find("not an IP address") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prefixes) {
  std::string error;
  auto p = parse_prefix("198.18.0.100/24", error);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->length == 24u);
  BOOST_TEST(parse_prefix("198.18.0.100", error)->length == 32u);
  BOOST_TEST(parse_prefix("2001:db8::1", error)->length == 128u);
  BOOST_TEST(!parse_prefix("198.18.0.100/33", error));
  BOOST_TEST(!parse_prefix("198.18.0.100/", error));
}

BOOST_AUTO_TEST_SUITE_END()
