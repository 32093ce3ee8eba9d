// Streams one HTTP message from a parser to a stream through a fixed buffer:
// header and body go out as they come in, so memory per message is bounded
// whatever the body size (Beast's "relay" pattern, made asynchronous).
#pragma once

#include <array>

#include <boost/beast/http.hpp>

#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

namespace bhttp = boost::beast::http;  // tandem::lb::http is ours (lb/http)

// Which side failed when a relay stops early.
struct RelayResult {
  boost::system::error_code ec;
  bool read_side = false;       // the error came from reading IN (else from writing OUT)
  std::uint64_t body_bytes = 0;
  bool wrote_anything = false;  // at least the header reached OUT
};

// Writes the message whose header PARSER has already read (and the caller may
// have edited), then its body as it arrives on IN, to OUT. Each read and
// write must complete within IDLE.
template <bool isRequest, class InStream, class OutStream>
awaitable<RelayResult> relay_message(InStream& in, beast::flat_buffer& in_buffer,
                                     bhttp::parser<isRequest, bhttp::buffer_body>& parser, OutStream& out,
                                     std::chrono::milliseconds idle) {
  RelayResult result;
  std::array<char, 16384> chunk;
  bhttp::serializer<isRequest, bhttp::buffer_body> serializer{parser.get()};
  do {
    auto& body = parser.get().body();
    if (!parser.is_done()) {
      body.data = chunk.data();
      body.size = chunk.size();
      in.expires_after(idle);
      auto [ec, n] = co_await bhttp::async_read(in, in_buffer, parser, use_nothrow);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        result.ec = ec;
        result.read_side = true;
        co_return result;
      }
      body.size = chunk.size() - body.size;
      body.data = chunk.data();
      body.more = !parser.is_done();
      result.body_bytes += body.size;
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    out.expires_after(idle);
    auto [ec, n] = co_await bhttp::async_write(out, serializer, use_nothrow);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      result.ec = ec;
      co_return result;
    }
    result.wrote_anything = true;
  } while (!parser.is_done() || !serializer.is_done());
  co_return result;
}

}  // namespace tandem::lb
