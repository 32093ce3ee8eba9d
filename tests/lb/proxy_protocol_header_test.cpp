// Unit tests for lb/proxy_protocol/header: v1 and v2 headers, valid and every
// malformed shape, the need_more contract, and the encoders round-tripping.
#include "lb/proxy_protocol/header.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace tandem::lb::proxy_protocol;
namespace ip = boost::asio::ip;

namespace {

Result parse_text(std::string_view s) {
  return parse(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

const std::string kSig("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

std::string v2(std::uint8_t ver_cmd, std::uint8_t fam, const std::string& block) {
  std::string out = kSig;
  out += static_cast<char>(ver_cmd);
  out += static_cast<char>(fam);
  out += static_cast<char>(block.size() >> 8);
  out += static_cast<char>(block.size() & 0xFF);
  return out + block;
}

std::string inet_block() {
  return std::string("\xC6\x12\x00\x07\xC6\x12\x00\x64\x30\x39\x00\x50", 12);  // 198.18.0.7:12345 -> 198.18.0.100:80
}

bool invalid(std::string_view s) { return parse_text(s).status == Status::invalid; }
bool needs_more(std::string_view s) { return parse_text(s).status == Status::need_more; }

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_protocol_header)

BOOST_AUTO_TEST_CASE(v1_tcp4) {
  const std::string h = "PROXY TCP4 198.18.0.7 198.18.0.100 12345 80\r\n";
  auto r = parse_text(h + "GET / HTTP/1.1\r\n");
  BOOST_TEST((r.status == Status::complete));
  BOOST_TEST(r.header.version == 1u);
  BOOST_TEST(r.header.length == h.size());
  BOOST_TEST(r.header.source->address.to_string() == "198.18.0.7");
  BOOST_TEST(r.header.source->port == 12345);
  BOOST_TEST(r.header.destination->address.to_string() == "198.18.0.100");
  BOOST_TEST(r.header.destination->port == 80);
}

BOOST_AUTO_TEST_CASE(v1_tcp6_and_unknown) {
  auto r = parse_text("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n");
  BOOST_TEST((r.status == Status::complete));
  BOOST_TEST(r.header.source->address.to_string() == "2001:db8::1");
  BOOST_TEST(r.header.destination->port == 65535);
  auto u = parse_text("PROXY UNKNOWN\r\n");
  BOOST_TEST((u.status == Status::complete));
  BOOST_TEST(!u.header.source);
  BOOST_TEST(u.header.length == 15u);
  BOOST_TEST((parse_text("PROXY UNKNOWN ff02::1 whatever\r\n").status == Status::complete));
}

BOOST_AUTO_TEST_CASE(v1_needs_more_until_the_line_ends) {
  const std::string h = "PROXY TCP4 198.18.0.7 198.18.0.100 12345 80\r\n";
  for (std::size_t n = 0; n < h.size(); ++n) BOOST_TEST(needs_more(h.substr(0, n)), n);
}

BOOST_AUTO_TEST_CASE(v1_malformed) {
  BOOST_TEST(invalid("GET / HTTP/1.1\r\n"));
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7 198.18.0.100 12345 80\n"));        // bare LF
  BOOST_TEST(invalid("PROXY TCP5 198.18.0.7 198.18.0.100 12345 80\r\n"));      // protocol
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7 198.18.0.100 12345\r\n"));         // too few
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7 198.18.0.100 12345 80 9\r\n"));    // too many
  BOOST_TEST(invalid("PROXY TCP4  198.18.0.7 198.18.0.100 12345 80\r\n"));     // double space
  BOOST_TEST(invalid("PROXY TCP4 2001:db8::1 198.18.0.100 12345 80\r\n"));     // v6 in TCP4
  BOOST_TEST(invalid("PROXY TCP6 198.18.0.7 2001:db8::2 1 2\r\n"));            // v4 in TCP6
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.256 198.18.0.100 12345 80\r\n"));    // octet
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7 198.18.0.100 65536 80\r\n"));      // port range
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7 198.18.0.100 -1 80\r\n"));         // sign
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7 198.18.0.100 080 80\r\n"));        // leading zero
  BOOST_TEST(invalid("PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\r\n"));          // zone id
  BOOST_TEST(invalid("PROXY TCP4 198.18.0.7\t198.18.0.100 1 2\r\n"));          // control char
  BOOST_TEST(invalid("PROXY \x01"));                                            // control char, early
  BOOST_TEST(invalid("proxy TCP4 198.18.0.7 198.18.0.100 1 2\r\n"));           // case
}

BOOST_AUTO_TEST_CASE(v1_oversize_is_refused_without_a_line_end) {
  BOOST_TEST(invalid("PROXY UNKNOWN " + std::string(200, 'x')));
  BOOST_TEST(invalid("PROXY UNKNOWN " + std::string(93, 'x')));  // 107 bytes, still no LF
  BOOST_TEST(needs_more("PROXY UNKNOWN " + std::string(92, 'x')));
}

BOOST_AUTO_TEST_CASE(v2_proxy_inet) {
  const auto h = v2(0x21, 0x11, inet_block());
  auto r = parse_text(h + "payload");
  BOOST_TEST((r.status == Status::complete));
  BOOST_TEST(r.header.version == 2u);
  BOOST_TEST(r.header.length == 28u);
  BOOST_TEST(r.header.source->address.to_string() == "198.18.0.7");
  BOOST_TEST(r.header.source->port == 12345);
  BOOST_TEST(r.header.destination->port == 80);
  for (std::size_t n = 0; n < h.size(); ++n) BOOST_TEST(needs_more(h.substr(0, n)), n);
}

BOOST_AUTO_TEST_CASE(v2_inet6_tlvs_local_unspec_unix) {
  std::string block6(36, '\0');
  block6[15] = 1;
  block6[31] = 2;
  block6[33] = 7;
  auto r = parse_text(v2(0x21, 0x21, block6));
  BOOST_TEST((r.status == Status::complete));
  BOOST_TEST(r.header.source->address.to_string() == "::1");
  BOOST_TEST(r.header.source->port == 7);
  // TLVs after the addresses are skipped.
  const std::string tlvs = std::string("\x01\x00\x02h2", 5) + std::string("\x04\x00\x00", 3);
  auto t = parse_text(v2(0x21, 0x11, inet_block() + tlvs));
  BOOST_TEST((t.status == Status::complete));
  BOOST_TEST(t.header.length == 16 + 12 + tlvs.size());
  // LOCAL: the balancer's own connection, whatever the block says.
  auto l = parse_text(v2(0x20, 0x00, ""));
  BOOST_TEST((l.status == Status::complete));
  BOOST_TEST(l.header.local);
  BOOST_TEST(!l.header.source);
  auto l2 = parse_text(v2(0x20, 0x11, inet_block()));
  BOOST_TEST(l2.header.local);
  BOOST_TEST(!l2.header.source);
  // UNSPEC and UNIX: proxied, but no address we can use.
  auto u = parse_text(v2(0x21, 0x00, ""));
  BOOST_TEST((u.status == Status::complete));
  BOOST_TEST(!u.header.source);
  auto x = parse_text(v2(0x21, 0x31, std::string(216, 'a')));
  BOOST_TEST((x.status == Status::complete));
  BOOST_TEST(!x.header.source);
}

BOOST_AUTO_TEST_CASE(v2_malformed) {
  BOOST_TEST(invalid(v2(0x11, 0x11, inet_block())));   // version 1 in a v2 header
  BOOST_TEST(invalid(v2(0x22, 0x11, inet_block())));   // command 2
  BOOST_TEST(invalid(v2(0x21, 0x41, inet_block())));   // family 4
  BOOST_TEST(invalid(v2(0x21, 0x13, inet_block())));   // transport 3
  BOOST_TEST(invalid(v2(0x21, 0x10, inet_block())));   // INET without a transport
  BOOST_TEST(invalid(v2(0x21, 0x11, inet_block().substr(0, 11))));   // short block
  BOOST_TEST(invalid(v2(0x21, 0x21, inet_block())));   // INET6 with an INET block
  BOOST_TEST(invalid(v2(0x21, 0x11, inet_block() + "\x01\x00")));                       // truncated TLV
  BOOST_TEST(invalid(v2(0x21, 0x11, inet_block() + std::string("\x01\x00\x09xy", 5))));  // TLV overruns
  BOOST_TEST(invalid(v2(0x21, 0x11, inet_block() + std::string(kMaxHeader, 'x'))));      // oversize
  std::string bad_sig = v2(0x21, 0x11, inet_block());
  bad_sig[5] = 0x0E;
  BOOST_TEST(invalid(bad_sig));
}

BOOST_AUTO_TEST_CASE(oversize_v2_is_refused_from_its_fixed_part) {
  std::string h = kSig + std::string("\x21\x11\xFF\xFF", 4);  // announces 65535 bytes
  BOOST_TEST(invalid(h));
}

BOOST_AUTO_TEST_CASE(encoders_round_trip) {
  const Endpoint src{ip::make_address("198.18.0.7"), 40000};
  const Endpoint dst{ip::make_address("198.18.0.100"), 80};
  BOOST_TEST(encode_v1(src, dst) == "PROXY TCP4 198.18.0.7 198.18.0.100 40000 80\r\n");
  for (const auto& bytes : {encode_v1(src, dst), encode_v2(src, dst)}) {
    auto r = parse_text(bytes);
    BOOST_TEST((r.status == Status::complete));
    BOOST_TEST(r.header.length == bytes.size());
    BOOST_TEST((*r.header.source == src));
    BOOST_TEST((*r.header.destination == dst));
  }
  const Endpoint dst6{ip::make_address("2001:db8::100"), 443};
  auto mixed = parse_text(encode_v1(src, dst6));
  BOOST_TEST(mixed.header.source->address.to_string() == "::ffff:198.18.0.7");
  auto mixed2 = parse_text(encode_v2(src, dst6));
  BOOST_TEST(mixed2.header.destination->address.to_string() == "2001:db8::100");
}

BOOST_AUTO_TEST_SUITE_END()
