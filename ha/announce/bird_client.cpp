#include "ha/announce/bird_client.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>

#include "ha/announce/bird_reply.h"

namespace tandem::ha {

namespace {

using local = asio::local::stream_protocol;
using Stream = boost::beast::basic_stream<local>;

// Reads into BUF until it holds a whole reply; the reply's length, or 0 and
// ERROR.
awaitable<std::size_t> read_reply(Stream& stream, std::string& buf, std::string& error) {
  char chunk[4096];
  for (;;) {
    if (auto n = bird_reply_length(buf)) co_return *n;
    if (buf.size() > kBirdReplyMaxBytes) {
      error = "reply larger than " + std::to_string(kBirdReplyMaxBytes) + " bytes";
      co_return 0;
    }
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), use_nothrow);
    if (ec) {
      error = ec == boost::beast::error::timeout ? "timeout" : ec.message();
      co_return 0;
    }
    buf.append(chunk, n);
  }
}

}  // namespace

awaitable<BirdFetch> bird_show_protocols(std::string path, std::chrono::milliseconds timeout) {
  BirdFetch out;
  const std::string where = "BIRD control socket " + path;
  Stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  auto [cec] = co_await stream.async_connect(local::endpoint(path), use_nothrow);
  if (cec) {
    out.error = where + ": " + cec.message() + " (is bird running? node.routing_socket)";
    co_return out;
  }
  std::string buf, error;
  const std::size_t greeting = co_await read_reply(stream, buf, error);
  if (greeting == 0) {
    out.error = where + ": greeting: " + error;
    co_return out;
  }
  buf.erase(0, greeting);
  static const std::string kCommand = "show protocols\n";
  auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(kCommand), use_nothrow);
  (void)wn;
  if (wec) {
    out.error = where + ": " + wec.message();
    co_return out;
  }
  const std::size_t len = co_await read_reply(stream, buf, error);
  if (len == 0) {
    out.error = where + ": " + error;
    co_return out;
  }
  auto rows = parse_show_protocols(std::string_view(buf).substr(0, len), error);
  if (!rows) {
    out.error = where + ": " + error;
    co_return out;
  }
  for (const auto& r : *rows) {
    wire::RoutingSession s;
    s.set_name(r.name);
    s.set_protocol(r.protocol);
    s.set_state(r.state);
    s.set_since(r.since);
    s.set_info(r.info);
    out.sessions.push_back(std::move(s));
  }
  co_return out;
}

}  // namespace tandem::ha
