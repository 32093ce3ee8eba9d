// relay_message over real loopback sockets: a Content-Length body takes the
// bulk path (no parser), and must still stop exactly at the body's end, keep
// what follows, and report a body cut short as the parser would.
#include "lb/runtime/http_relay.h"
#include "tests/lb/loopback_sockets.h"

#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace {

using namespace tandem::lb;

using tandem::lb::testing::connected;

struct Outcome {
  RelayResult result;
  std::string relayed;    // what reached the far end of OUT
  std::string leftover;   // what stayed in the input buffer
};

// Sends WIRE into the relay's input (then closes it if CLOSE), relays one
// response, returns what came out.
Outcome relay_response(const std::string& wire, bool close) {
  asio::io_context io;
  auto [in_far, in] = connected(io);
  auto [out, out_far] = connected(io);
  Outcome outcome;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        // Trickle the input in pieces so the relay needs several reads.
        for (std::size_t at = 0; at < wire.size(); at += 70000) {
          co_await asio::async_write(in_far, asio::buffer(wire.data() + at, std::min<std::size_t>(70000, wire.size() - at)),
                                     use_nothrow);
        }
        if (close) in_far.shutdown(tcp::socket::shutdown_send);
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        beast::flat_buffer buffer;
        tandem::lb::http::Arena arena;
        BufferParser<false> parser(arena);
        parser.body_limit(boost::none);
        Watchdog watchdog(io.get_executor(), std::chrono::seconds(5));
        watchdog.arm(std::chrono::seconds(5));
        std::uint64_t read = 0;
        auto ec = co_await read_header(in, buffer, parser, watchdog, read);
        BOOST_REQUIRE(!ec);
        std::string head;
        outcome.result = co_await relay_message(in, buffer, parser, out, watchdog, std::chrono::seconds(5), head);
        outcome.leftover.assign(static_cast<const char*>(buffer.data().data()), buffer.size());
        out.shutdown(tcp::socket::shutdown_send);
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        char chunk[65536];
        for (;;) {
          auto [ec, n] = co_await out_far.async_read_some(asio::buffer(chunk), use_nothrow);
          outcome.relayed.append(chunk, n);
          if (ec) break;
        }
      },
      asio::detached);
  io.run();
  return outcome;
}

std::string body_of(std::size_t n) {
  std::string body(n, 'x');
  for (std::size_t i = 0; i < n; i += 977) body[i] = static_cast<char>('a' + i % 26);
  return body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_relay)

BOOST_AUTO_TEST_CASE(content_length_body_relayed_exactly_and_what_follows_kept) {
  const auto body = body_of(600000);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 600000\r\n\r\n";
  const std::string next = "HTTP/1.1 204 No Content\r\n\r\n";
  const auto outcome = relay_response(head + body + next, false);
  BOOST_TEST(!outcome.result.ec);
  BOOST_TEST(outcome.result.complete);
  BOOST_TEST(outcome.result.body_bytes == body.size());
  BOOST_TEST(outcome.relayed == head + body);
  // The bytes past the body were either left in the buffer or never read.
  BOOST_TEST((outcome.leftover.empty() || outcome.leftover == next));
}

BOOST_AUTO_TEST_CASE(content_length_body_cut_short_is_partial) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n";
  const auto outcome = relay_response(head + body_of(200000), true);
  BOOST_TEST(outcome.result.ec == boost::system::error_code(bhttp::error::partial_message));
  BOOST_TEST(outcome.result.read_side);
  BOOST_TEST(!outcome.result.complete);
  BOOST_TEST(outcome.result.wrote_anything);
}

BOOST_AUTO_TEST_CASE(chunked_body_still_parsed_and_reframed) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const auto outcome = relay_response(head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", false);
  BOOST_TEST(!outcome.result.ec);
  BOOST_TEST(outcome.result.complete);
  BOOST_TEST(outcome.result.body_bytes == 11u);
  BOOST_TEST(outcome.relayed == head + "b\r\nhello world\r\n0\r\n\r\n");
}

// RFC 9112 §7.1: a chunk line that ends in a bare LF is rejected at once,
// with the input still open (Beast alone waited for a CRLF until the idle
// limit, 5 s here), before anything is written out.
BOOST_AUTO_TEST_CASE(chunk_line_with_bare_lf_fails_at_once) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string body : {"5\nhello", "5\nhello\r\n0\r\n\r\n", "5\nhello\n0\n\n", "5\r\nhello\r\n0\n\n",
                                 "5\r\nhello\r\n0\r\nX-T: 1\n\r\n"}) {
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = relay_response(head + body, false);
    // Beast itself calls a bare LF before a later CRLF a bad extension; both are a 400.
    BOOST_TEST((outcome.result.ec == bhttp::error::bad_chunk || outcome.result.ec == bhttp::error::bad_chunk_extension),
               body << ": " << outcome.result.ec.message());
    BOOST_TEST(outcome.result.read_side);
    BOOST_TEST(!outcome.result.complete);
    const auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST((took < std::chrono::seconds(2)));
  }
}

// A chunk-size line that never ends (a size with endless leading zeros, or
// an endless extension) is refused once it passes kMaxChunkLineBytes, with
// the input still open, instead of growing the buffer until the idle limit.
BOOST_AUTO_TEST_CASE(endless_chunk_line_fails_at_the_bound) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body : {std::string(20000, '0'), "5;e=" + std::string(20000, 'x'),
                                 "5\r\nhello\r\n0\r\nX-T: " + std::string(20000, 'y')}) {
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = relay_response(head + body, false);
    BOOST_TEST((outcome.result.ec == bhttp::error::bad_chunk || outcome.result.ec == bhttp::error::bad_chunk_extension),
               body.substr(0, 12) << ": " << outcome.result.ec.message());
    BOOST_TEST(outcome.result.read_side);
    BOOST_TEST(!outcome.result.complete);
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(2)));
  }
}

BOOST_AUTO_TEST_SUITE_END()
