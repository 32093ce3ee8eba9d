// The relay's fast path for a message already in hand: no body, or a
// Content-Length body whose bytes the read buffer holds whole. That is most
// keep-alive traffic (a GET, a small response), and it goes out with one
// non-blocking send and no coroutine call: relay_message nests two
// coroutine frames, each a trip through Asio's frame allocator and its
// awaitable pump. Anything else goes through relay_message.
//
// Threading: the sockets' owner (a worker's io_context thread) only.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>

#include "lb/runtime/http_relay.h"
#include "lb/runtime/write_now.h"

namespace tandem::lb {

/// What relay_now left to send when the socket did not take it all.
struct PendingSend {
  std::array<asio::const_buffer, 2> buffers;  // the header and the body bytes
  std::span<asio::const_buffer> rest;         // what is left of them
  std::size_t consume = 0;                    // body bytes to drop from the read buffer once out
};

/// Sends the message whose header PARSER has read (and the caller may have
/// edited) when it is in hand. Returns nullopt, having sent nothing, for any
/// other shape. Otherwise the result as relay_message would give it, final
/// when relayed_now() says so; else the caller co_awaits relay_rest, which
/// also covers the nullopt case. HEAD is header scratch.
template <bool isRequest, typename Out>
std::optional<RelayResult> relay_now(BufferParser<isRequest>& parser, beast::flat_buffer& in_buffer, Out& out, std::string& head, PendingSend& pending) {
  std::size_t body = 0;
  if (!parser.is_done()) {
    // As relay_message decides: a body sent as chunked, or received chunked, is reframed.
    if (parser.get().chunked() || parser.chunked()) return std::nullopt;
    const auto length = parser.content_length_remaining();
    if (!length || *length > in_buffer.size()) return std::nullopt;
    body = static_cast<std::size_t>(*length);
  }
  head.clear();
  http::serialize_header(parser.get().base(), head);
  pending.buffers = {asio::buffer(head), asio::buffer(in_buffer.data().data(), body)};
  pending.rest = std::span<asio::const_buffer>(pending.buffers.data(), body > 0 ? 2 : 1);
  pending.consume = body;
  RelayResult result;
  const std::size_t sent = write_now(out, pending.rest, result.ec);
  if (result.ec) return result;
  result.wrote_anything = sent > 0;
  result.body_bytes = body;
  result.complete = true;
  if (pending.rest.empty()) in_buffer.consume(body);
  return result;
}

/// True when relay_now's result NOW is final: no coroutine is needed.
inline bool relayed_now(const std::optional<RelayResult>& now, const PendingSend& pending) {
  return now && (now->ec || pending.rest.empty());
}

/// The slow path after relay_now: relay_message when the message was not in
/// hand, else the bytes the socket did not take (each write within IDLE).
template <bool isRequest, typename In, typename Out>
awaitable<RelayResult> relay_rest(std::optional<RelayResult> now, PendingSend& pending, In& in,
                                  beast::flat_buffer& in_buffer, BufferParser<isRequest>& parser, Out& out,
                                  Watchdog& watchdog, std::chrono::milliseconds idle, std::string& head) {
  if (!now) co_return co_await relay_message(in, in_buffer, parser, out, watchdog, idle, head);
  if (auto ec = co_await write_rest(out, pending.rest, watchdog, idle)) {
    now->ec = ec;
    now->complete = false;
    co_return *now;
  }
  in_buffer.consume(pending.consume);
  now->wrote_anything = true;
  co_return *now;
}

}  // namespace tandem::lb
