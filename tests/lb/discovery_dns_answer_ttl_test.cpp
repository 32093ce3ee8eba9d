// The TTL read from a DNS response's answers (lb/discovery/dns_answer_ttl):
// the SRV record's own TTL, which c-ares 1.18 does not report.
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "lb/discovery/dns_answer_ttl.h"

namespace tandem::lb {
namespace {

constexpr std::uint16_t kSrv = 33;
constexpr std::uint16_t kCname = 5;

// A response built field by field, as a server would send it.
struct Message {
  std::vector<std::uint8_t> bytes;

  Message(std::uint16_t questions, std::uint16_t answers) {
    u16(0x1234);
    u16(0x8180);  // response, recursion desired and available, no error
    u16(questions);
    u16(answers);
    u16(0);
    u16(0);
  }
  Message &u16(std::uint16_t v) {
    bytes.push_back(static_cast<std::uint8_t>(v >> 8));
    bytes.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Message &u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v)); }
  Message &name(const std::string &dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      const auto dot = dotted.find('.', start);
      const auto end = dot == std::string::npos ? dotted.size() : dot;
      bytes.push_back(static_cast<std::uint8_t>(end - start));
      bytes.insert(bytes.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(end));
      start = end + 1;
    }
    bytes.push_back(0);
    return *this;
  }
  Message &pointer(std::uint16_t offset) { return u16(static_cast<std::uint16_t>(0xC000 | offset)); }
  Message &question(const std::string &qname, std::uint16_t type) { return name(qname).u16(type).u16(1); }
  // An answer whose owner name is a pointer to the question (offset 12).
  Message &answer(std::uint16_t type, std::uint32_t ttl, std::vector<std::uint8_t> rdata) {
    pointer(12).u16(type).u16(1).u32(ttl).u16(static_cast<std::uint16_t>(rdata.size()));
    bytes.insert(bytes.end(), rdata.begin(), rdata.end());
    return *this;
  }
  // The TTL read, or -1 for none (nullopt).
  std::int64_t ttl(std::uint16_t type = kSrv) const {
    const auto found = smallest_answer_ttl(bytes, type);
    return found ? std::int64_t{*found} : -1;
  }
};

// SRV RDATA: priority, weight, port, target "a.test" uncompressed.
std::vector<std::uint8_t> srv_rdata() { return {0, 0, 0, 10, 0x1f, 0x90, 1, 'a', 4, 't', 'e', 's', 't', 0}; }

Message srv_response(std::initializer_list<std::uint32_t> ttls) {
  Message m(1, static_cast<std::uint16_t>(ttls.size()));
  m.question("_http._tcp.web.test", kSrv);
  for (auto ttl : ttls) m.answer(kSrv, ttl, srv_rdata());
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discovery_dns_answer_ttl)

BOOST_AUTO_TEST_CASE(the_smallest_srv_ttl_counts) {
  BOOST_TEST(srv_response({30}).ttl() == 30);
  BOOST_TEST(srv_response({300, 5, 60}).ttl() == 5);
}

BOOST_AUTO_TEST_CASE(records_of_other_types_are_skipped_not_counted) {
  Message m(1, 2);
  m.question("_http._tcp.web.test", kSrv);
  m.answer(kCname, 1, {3, 'w', 'e', 'b', 0});
  m.answer(kSrv, 90, srv_rdata());
  BOOST_TEST(m.ttl() == 90);
  BOOST_TEST(m.ttl(kCname) == 1);
  BOOST_TEST(m.ttl(1) == -1);  // no A record
}

BOOST_AUTO_TEST_CASE(no_answer_is_nullopt) { BOOST_TEST(srv_response({}).ttl() == -1); }

BOOST_AUTO_TEST_CASE(an_owner_name_written_out_in_full_is_skipped) {
  Message m(1, 1);
  m.question("_http._tcp.web.test", kSrv);
  m.name("_http._tcp.web.test").u16(kSrv).u16(1).u32(42).u16(static_cast<std::uint16_t>(srv_rdata().size()));
  const auto rdata = srv_rdata();
  m.bytes.insert(m.bytes.end(), rdata.begin(), rdata.end());
  BOOST_TEST(m.ttl() == 42);
}

BOOST_AUTO_TEST_CASE(a_ttl_with_the_top_bit_set_counts_as_zero) {
  BOOST_TEST(srv_response({0x80000001u, 60}).ttl() == 0);
}

BOOST_AUTO_TEST_CASE(malformed_messages_give_nullopt) {
  BOOST_TEST(!smallest_answer_ttl({}, kSrv).has_value());
  const auto good = srv_response({30, 40});
  // Every truncation of a good message, down to a bare header.
  for (std::size_t size = 0; size < good.bytes.size(); ++size) {
    const std::span<const std::uint8_t> cut(good.bytes.data(), size);
    BOOST_TEST_INFO("cut at " << size);
    BOOST_TEST(!smallest_answer_ttl(cut, kSrv).has_value());
  }
  // RDATA longer than what is left.
  auto m = srv_response({30});
  m.bytes[m.bytes.size() - srv_rdata().size() - 1] = 200;
  BOOST_TEST(m.ttl() == -1);
  // A reserved label type (0x40) in the question name.
  auto reserved = srv_response({30});
  reserved.bytes[12] = 0x41;
  BOOST_TEST(reserved.ttl() == -1);
  // More answers announced than present.
  auto short_count = srv_response({30});
  short_count.bytes[7] = 2;
  BOOST_TEST(short_count.ttl() == -1);
}

BOOST_AUTO_TEST_CASE(a_name_of_too_many_labels_is_refused) {
  Message m(1, 0);
  std::string name;
  for (int i = 0; i < 130; ++i) name += "a.";
  m.question(name + "test", kSrv);
  BOOST_TEST(m.ttl() == -1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
