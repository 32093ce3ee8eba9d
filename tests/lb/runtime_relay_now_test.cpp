// relay_now: a message in hand (no body, or a Content-Length body already
// buffered) goes out with one send; any other shape is left to relay_message
// untouched; what a full socket did not take is finished by relay_rest.
#include "lb/runtime/relay_now.h"
#include "tests/lb/loopback_sockets.h"

#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace tandem::lb;

namespace {

using Pair = tandem::lb::testing::LoopbackPair;

// Parses the header of WIRE from BUFFER, as the session does.
template <bool isRequest>
void parse_header(beast::flat_buffer& buffer, BufferParser<isRequest>& parser, const std::string& wire) {
  auto n = asio::buffer_copy(buffer.prepare(wire.size()), asio::buffer(wire));
  buffer.commit(n);
  BOOST_REQUIRE(!parse_buffered(buffer, parser));
  BOOST_REQUIRE(parser.is_header_done());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_relay_now)

BOOST_AUTO_TEST_CASE(a_request_without_body_goes_at_once) {
  Pair p;
  tandem::lb::http::Arena arena;
  BufferParser<true> parser(arena);
  beast::flat_buffer buffer;
  const std::string get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  parse_header(buffer, parser, get + "GET /b");  // the start of a pipelined request stays
  std::string head;
  PendingSend pending;
  auto now = relay_now(parser, buffer, p.near, head, pending);
  BOOST_REQUIRE(now.has_value());
  BOOST_TEST(relayed_now(now, pending));
  BOOST_TEST(now->complete);
  BOOST_TEST(now->body_bytes == 0u);
  BOOST_TEST(p.read(get.size()) == get);
  BOOST_TEST(std::string(static_cast<const char*>(buffer.data().data()), buffer.size()) == "GET /b");
}

BOOST_AUTO_TEST_CASE(a_buffered_body_goes_with_its_header) {
  Pair p;
  tandem::lb::http::Arena arena;
  BufferParser<false> parser(arena);
  beast::flat_buffer buffer;
  const std::string res = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  parse_header(buffer, parser, res + "extra");
  std::string head;
  PendingSend pending;
  auto now = relay_now(parser, buffer, p.near, head, pending);
  BOOST_REQUIRE(relayed_now(now, pending));
  BOOST_TEST(now->body_bytes == 5u);
  BOOST_TEST(p.read(res.size()) == res);
  BOOST_TEST(buffer.size() == 5u);  // "extra" is not part of this message
}

BOOST_AUTO_TEST_CASE(other_shapes_are_left_untouched) {
  for (const std::string wire : {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",
                                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                                 "HTTP/1.1 200 OK\r\n\r\nuntil close"}) {
    Pair p;
    tandem::lb::http::Arena arena;
    BufferParser<false> parser(arena);
    beast::flat_buffer buffer;
    parse_header(buffer, parser, wire);
    const auto before = buffer.size();
    std::string head;
    PendingSend pending;
    BOOST_TEST(!relay_now(parser, buffer, p.near, head, pending).has_value());
    BOOST_TEST(buffer.size() == before);
    BOOST_TEST(p.near.available() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(what_a_full_socket_leaves_is_finished_by_relay_rest) {
  Pair p;
  tandem::lb::http::Arena arena;
  BufferParser<false> parser(arena);
  beast::flat_buffer buffer;
  std::string body(8 * 1024 * 1024, 'b');
  body.back() = 'z';
  const std::string header = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  parse_header(buffer, parser, header + body);
  std::string head;
  PendingSend pending;
  auto now = relay_now(parser, buffer, p.near, head, pending);
  BOOST_REQUIRE(now.has_value());
  BOOST_REQUIRE(!relayed_now(now, pending));  // 8 MiB do not fit in one send
  std::string got;
  RelayResult result;
  Watchdog watchdog(p.io.get_executor(), std::chrono::seconds(5));
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        result = co_await relay_rest(now, pending, p.far, buffer, parser, p.near, watchdog, std::chrono::seconds(5),
                                     head);
        p.near.shutdown(tcp::socket::shutdown_send);
      },
      asio::detached);
  asio::co_spawn(
      p.io,
      [&]() -> awaitable<void> {
        char chunk[65536];
        for (;;) {
          auto [ec, n] = co_await p.far.async_read_some(asio::buffer(chunk), use_nothrow);
          got.append(chunk, n);
          if (ec) break;
        }
      },
      asio::detached);
  p.io.run();
  BOOST_TEST(!result.ec);
  BOOST_TEST(result.complete);
  BOOST_TEST(got.size() == header.size() + body.size());
  BOOST_TEST((got == header + body));
  BOOST_TEST(buffer.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
