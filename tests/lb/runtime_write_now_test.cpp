// write_now: one non-blocking send, and the buffer sequence advanced past it,
// whether the socket took everything, part of a buffer or nothing.
#include "lb/runtime/write_now.h"
#include "tests/lb/loopback_sockets.h"

#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

using namespace tandem::lb;

namespace {

using Pair = tandem::lb::testing::LoopbackPair;

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_write_now)

BOOST_AUTO_TEST_CASE(a_small_message_goes_out_whole) {
  Pair p;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  std::array<asio::const_buffer, 3> buffers{asio::buffer(head), asio::const_buffer(), asio::buffer("ok", 2)};
  std::span<asio::const_buffer> pending(buffers);
  boost::system::error_code ec;
  BOOST_TEST(write_now(p.near, pending, ec) == head.size() + 2);
  BOOST_TEST(!ec);
  BOOST_TEST(pending.empty());
  std::string got(head.size() + 2, '\0');
  asio::read(p.far, asio::buffer(got));
  BOOST_TEST(got == head + "ok");
}

BOOST_AUTO_TEST_CASE(a_full_send_buffer_leaves_the_rest_pending_in_order) {
  Pair p;
  const std::string first = "first:";
  std::string big(32 * 1024 * 1024, 'x');  // more than loopback buffers take at once
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(first), asio::buffer(big)};
  std::span<asio::const_buffer> pending(buffers);
  boost::system::error_code ec;
  const std::size_t sent = write_now(p.near, pending, ec);
  BOOST_TEST(!ec);
  BOOST_TEST(sent > first.size());
  BOOST_REQUIRE(pending.size() == 1u);
  BOOST_TEST(pending.front().size() == first.size() + big.size() - sent);
  BOOST_TEST(static_cast<const char*>(pending.front().data()) == big.data() + (sent - first.size()));
  // Until the peer reads, little or nothing more fits: not an error, and
  // the sequence moves by exactly what went out.
  const auto before = pending.front();
  const std::size_t more = write_now(p.near, pending, ec);
  BOOST_TEST(!ec);
  BOOST_REQUIRE(pending.size() == 1u);
  BOOST_TEST(static_cast<const char*>(pending.front().data()) == static_cast<const char*>(before.data()) + more);
  BOOST_TEST(p.near.non_blocking());
}

BOOST_AUTO_TEST_CASE(a_closed_peer_is_an_error) {
  Pair p;
  p.far.close();
  std::string data(1024 * 1024, 'x');
  std::array<asio::const_buffer, 1> buffers{asio::buffer(data)};
  boost::system::error_code ec;
  for (int i = 0; i < 100 && !ec; ++i) {
    std::span<asio::const_buffer> pending(buffers);
    write_now(p.near, pending, ec);
  }
  BOOST_TEST(!!ec);
}

BOOST_AUTO_TEST_SUITE_END()
