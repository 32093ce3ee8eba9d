// Streams one HTTP message from a parser to a socket through a fixed buffer:
// header and body go out as they come in, so memory per message is bounded
// whatever the body size (Beast's "relay" pattern, made asynchronous).
//
// The I/O is done here on plain sockets rather than through Beast's composed
// read/write operations: the parser is fed from the buffer synchronously and
// the socket is read only when the parser needs more, and the header goes
// out with the first body bytes in one write (serialize.h). Deadlines come
// from the connection's Watchdog.
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/beast/http.hpp>

#include "lb/http/arena_fields.h"
#include "lb/http/chunk_lines.h"
#include "lb/http/serialize.h"
#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"
#include "lb/runtime/splice_pipe.h"
#include "lb/runtime/watchdog.h"
#include "lb/runtime/write_now.h"

namespace tandem::lb {

namespace bhttp = boost::beast::http;  // tandem::lb::http is ours (lb/http)

// A parser whose header fields live in ARENA (one exchange's), whose body
// goes to a caller's buffer.
template <bool isRequest>
class BufferParser : public bhttp::parser<isRequest, bhttp::buffer_body, http::ArenaAllocator<char>> {
 public:
  explicit BufferParser(http::Arena& arena)
      : bhttp::parser<isRequest, bhttp::buffer_body, http::ArenaAllocator<char>>(
            std::piecewise_construct, std::make_tuple(), std::make_tuple(http::ArenaAllocator<char>(arena))) {}
};

// Response header size we accept from servers (they are trusted more than
// clients, but not unboundedly).
inline constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

// Sets PARSER up for a server's response; HEAD_REQUEST: the request was a
// HEAD, so the response has no body whatever its framing says.
inline void limit_response_parser(BufferParser<false>& parser, bool head_request) {
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(boost::none);
  parser.skip(head_request);
}

// Parses the bytes BUFFER already holds, without reading: need_more while
// the header is incomplete. A request header usually arrives whole with the
// read that woke the connection; this takes it without a coroutine call.
// The parsing step of parse_some too (lb/fuzz/http_response_fuzz.cpp drives it).
// In a chunked body, a line that ends in a bare LF, or a chunk line or
// trailer past its bound, is bad_chunk at once (lb/http/chunk_lines.h):
// Beast would wait for a CRLF that never comes, or read on without bound.
template <bool isRequest>
boost::system::error_code parse_buffered(beast::flat_buffer& buffer, BufferParser<isRequest>& parser) {
  boost::system::error_code ec = bhttp::error::need_more;
  if (buffer.size() > 0) buffer.consume(parser.put(buffer.data(), ec));
  if (ec == bhttp::error::need_more && buffer.size() > 0 && parser.is_header_done() && parser.chunked() &&
      (http::chunk_lines_have_bare_lf({static_cast<const char*>(buffer.data().data()), buffer.size()}) ||
       http::chunk_lines_too_long({static_cast<const char*>(buffer.data().data()), buffer.size()})))
    ec = bhttp::error::bad_chunk;
  return ec;
}

// Sends what write_now() left of BUFFERS, within IDLE: the slow path, a
// coroutine only when the socket was full.
template <typename Out>
awaitable<boost::system::error_code> write_rest(Out& out, std::span<asio::const_buffer> buffers,
                                                       Watchdog& watchdog, std::chrono::milliseconds idle) {
  watchdog.arm(idle);
  auto [ec, n] = co_await asio::async_write(out, buffers, use_nothrow);
  co_return watchdog.translate(ec);
}

// Sends all of BUFFERS: at once when the socket takes it all (write_now.h),
// else the rest within IDLE.
template <typename Out>
awaitable<boost::system::error_code> send_all(Out& out, std::span<asio::const_buffer> buffers,
                                                     Watchdog& watchdog, std::chrono::milliseconds idle) {
  boost::system::error_code ec;
  write_now(out, buffers, ec);
  if (!ec && !buffers.empty()) ec = co_await write_rest(out, buffers, watchdog, idle);
  co_return ec;
}

// Feeds PARSER from BUFFER, reading from IN only when the parser needs more
// bytes, until it makes progress: the header is complete (the parser is not
// eager), body bytes were produced, the message is done, or an error. A body
// buffer that is full is reported as need_buffer. READ counts bytes read from
// IN; a read asks for at least MIN_READ bytes of room. The caller arms WATCHDOG.
template <bool isRequest, typename In>
awaitable<boost::system::error_code> parse_some(In& in, beast::flat_buffer& buffer,
                                                BufferParser<isRequest>& parser, const Watchdog& watchdog,
                                                std::uint64_t& read, std::size_t min_read = 4096) {
  for (;;) {
    auto ec = parse_buffered(buffer, parser);
    if (ec != bhttp::error::need_more) co_return ec;
    // Up to 64 KiB a read; the parser's header limit bounds what a header can
    // make the buffer hold. Bodies read at least a relay chunk at a time.
    const std::size_t room = std::min<std::size_t>(std::max(buffer.capacity() - buffer.size(), min_read), 65536);
    auto [rec, n] = co_await in.async_read_some(buffer.prepare(room), use_nothrow);
    buffer.commit(n);
    read += n;
    if (is_end_of_stream(rec)) {
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      ec = {};
      parser.put_eof(ec);  // a body delimited by the close ends here; anything else is partial
      co_return ec;
    }
    if (rec) co_return watchdog.translate(rec);
  }
}

// Reads until PARSER has the whole header (or an error). One parse_some is
// enough: a parser that is not eager stops with success only once the header
// is complete. Not a coroutine itself (it hands back parse_some's), so a
// header read costs one coroutine frame, not two.
template <bool isRequest, typename In>
awaitable<boost::system::error_code> read_header(In& in, beast::flat_buffer& buffer,
                                                 BufferParser<isRequest>& parser, const Watchdog& watchdog,
                                                 std::uint64_t& read) {
  return parse_some(in, buffer, parser, watchdog, read);
}

// A fixed buffer a relay moves a body through, borrowed from a per-thread
// free list for the relay's duration: kept in the coroutine frame it would
// cost a large malloc and free per message; kept per connection, memory per
// idle connection. Each worker thread runs its own io_context, so a relay
// returns its buffer on the thread it took it from.
template <std::size_t Size, std::size_t MaxSpares>
class PooledBuffer {
 public:
  static constexpr std::size_t kSize = Size;
  PooledBuffer() {
    auto& spare = spares();
    if (spare.empty()) {
      buffer_ = std::make_unique_for_overwrite<Buffer>();  // no memset of the whole buffer
    } else {
      buffer_ = std::move(spare.back());
      spare.pop_back();
    }
  }
  ~PooledBuffer() {
    auto& spare = spares();
    if (spare.size() < MaxSpares) spare.push_back(std::move(buffer_));
  }
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  char* data() { return buffer_->data(); }
  static constexpr std::size_t size() { return kSize; }

 private:
  using Buffer = std::array<char, kSize>;
  static std::vector<std::unique_ptr<Buffer>>& spares() {
    static thread_local std::vector<std::unique_ptr<Buffer>> list;
    return list;
  }
  std::unique_ptr<Buffer> buffer_;
};

// Parsed bodies (chunked, or read until close) go through 16 KiB: 1 MiB of
// spares per thread at most.
using RelayChunk = PooledBuffer<16384, 64>;
// Content-Length bodies skip the parser and move in large reads and writes
// (fewer syscalls and wake-ups per byte; 256 KiB measured no better on
// loopback and costs 4x the memory per transfer): 1 MiB of spares per thread.
using BulkBuffer = PooledBuffer<64 * 1024, 16>;

// A per-message object borrowed from a per-thread free list, so its
// capacity is reused from request to request instead of costing a malloc
// and free each time, while an idle connection holds none. T is a buffer
// with clear() and capacity(); one that grew past kKeepCapacity is released.
template <typename T>
class ThreadSpare {
 public:
  ThreadSpare() {
    auto& spare = spares();
    if (!spare.empty()) {
      value_ = std::move(spare.back());
      spare.pop_back();
      value_.clear();
    }
  }
  ~ThreadSpare() {
    auto& spare = spares();
    if (value_.capacity() > 0 && value_.capacity() <= kKeepCapacity && spare.size() < kMaxSpares) {
      value_.clear();
      spare.push_back(std::move(value_));
    }
  }
  ThreadSpare(const ThreadSpare&) = delete;
  ThreadSpare& operator=(const ThreadSpare&) = delete;
  T& get() { return value_; }

 private:
  static constexpr std::size_t kKeepCapacity = 16384;
  static constexpr std::size_t kMaxSpares = 64;
  static std::vector<T>& spares() {
    static thread_local std::vector<T> list;
    return list;
  }
  T value_;
};

// A response's read buffer.
using SpareFlatBuffer = ThreadSpare<beast::flat_buffer>;
// The serialized header of one message.
using SpareHead = ThreadSpare<std::string>;

// Content-Length bodies past what the header read brought are spliced
// (socket to pipe to socket, no copy to user space): on a 64 KiB response
// about 40% fewer cycles per request than the BulkBuffer path. SIGPIPE is
// ignored by the worker (worker.cpp) because splice cannot take MSG_NOSIGNAL.
inline constexpr bool kSpliceBodies = true;

// Which side failed when a relay stops early.
struct RelayResult {
  boost::system::error_code ec;
  bool read_side = false;       // the error came from reading IN (else from writing OUT)
  std::uint64_t body_bytes = 0;
  std::uint64_t bytes_read = 0;  // raw bytes read from IN (body and framing)
  bool wrote_anything = false;  // at least the header reached OUT
  bool complete = false;        // the whole message was relayed (the parser may not have seen the body)
};

// Moves REMAINING body bytes from IN to OUT through PIPE with splice(2),
// waiting for readiness when a socket would block (each wait within IDLE).
inline awaitable<void> splice_body(tcp::socket& in, std::uint64_t remaining, tcp::socket& out, SplicePipe& pipe,
                                   Watchdog& watchdog, std::chrono::milliseconds idle, RelayResult& result) {
  boost::system::error_code ec;
  in.native_non_blocking(true, ec);
  if (!ec) out.native_non_blocking(true, ec);
  while (!ec && remaining > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, SplicePipe::kCapacity));
    const ssize_t n = ::splice(in.native_handle(), nullptr, pipe.write_end(), nullptr, want,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) {
      result.ec = bhttp::error::partial_message;
      result.read_side = true;
      co_return;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        result.ec = boost::system::error_code(errno, boost::system::system_category());
        result.read_side = true;
        co_return;
      }
      watchdog.arm(idle);
      auto [wec] = co_await in.async_wait(tcp::socket::wait_read, use_nothrow);
      if (wec) {
        result.ec = watchdog.translate(wec);
        result.read_side = true;
        co_return;
      }
      continue;
    }
    result.bytes_read += static_cast<std::uint64_t>(n);
    remaining -= static_cast<std::uint64_t>(n);
    pipe.pending += static_cast<std::size_t>(n);
    while (pipe.pending > 0) {
      const ssize_t m = ::splice(pipe.read_end(), nullptr, out.native_handle(), nullptr, pipe.pending,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (m < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          result.ec = boost::system::error_code(errno, boost::system::system_category());
          co_return;
        }
        watchdog.arm(idle);
        auto [wec] = co_await out.async_wait(tcp::socket::wait_write, use_nothrow);
        if (wec) {
          result.ec = watchdog.translate(wec);
          co_return;
        }
        continue;
      }
      pipe.pending -= static_cast<std::size_t>(m);
      result.body_bytes += static_cast<std::uint64_t>(m);
    }
  }
  if (ec) {
    result.ec = ec;
    co_return;
  }
  result.complete = true;
}

// Relays the rest of a message whose body is delimited by Content-Length
// and needs no reframing: the body bytes already in IN_BUFFER go out with
// HEAD, the rest straight from IN to OUT through a BulkBuffer, without the
// parser (which is left at the start of the body). Bytes past the body stay
// in IN_BUFFER. Each read and write must complete within IDLE.
template <typename In, typename Out>
awaitable<void> relay_fixed_body(In& in, beast::flat_buffer& in_buffer, std::uint64_t remaining, Out& out, Watchdog& watchdog, std::chrono::milliseconds idle,
                                        const std::string& head, RelayResult& result) {
  // Borrowed only once a read is needed: a small body arrives with the
  // header, and a BulkBuffer per concurrent relay would only cost memory.
  std::optional<BulkBuffer> bulk;
  bool header_sent = false;
  while (remaining > 0) {
    // Splice only between plain sockets (TLS bytes must pass through
    // OpenSSL), once the header is out.
    if constexpr (kSpliceBodies && is_plain_socket<In> && is_plain_socket<Out>) {
      if (header_sent) {
        SplicePipe pipe;
        if (pipe.ok()) {
          co_await splice_body(in, remaining, out, pipe, watchdog, idle, result);
          co_return;
        }
      }
    }
    const char* data = nullptr;
    std::size_t got = 0;
    const bool buffered = in_buffer.size() > 0;
    if (buffered) {
      data = static_cast<const char*>(in_buffer.data().data());
      got = static_cast<std::size_t>(std::min<std::uint64_t>(in_buffer.size(), remaining));
    } else {
      if (!bulk) bulk.emplace();
      data = bulk->data();
      watchdog.arm(idle);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, BulkBuffer::size()));
      auto [ec, n] = co_await in.async_read_some(asio::buffer(bulk->data(), want), use_nothrow);
      result.bytes_read += n;
      if (ec) {
        // As the parser would say it: a body cut short by the close is partial.
        result.ec = is_end_of_stream(ec) ? boost::system::error_code(bhttp::error::partial_message)
                                           : watchdog.translate(ec);
        result.read_side = true;
        co_return;
      }
      got = n;
    }
    std::array<asio::const_buffer, 2> buffers;
    std::size_t count = 0;
    if (!header_sent) buffers[count++] = asio::buffer(head);
    buffers[count++] = asio::buffer(data, got);
    if (auto ec = co_await send_all(out, std::span(buffers.data(), count), watchdog, idle)) {
      result.ec = ec;
      co_return;
    }
    header_sent = true;
    result.wrote_anything = true;
    result.body_bytes += got;
    remaining -= got;
    if (buffered) in_buffer.consume(got);
  }
  result.complete = true;
}

// Writes the message whose header PARSER has already read (and the caller may
// have edited), then its body as it arrives on IN, to OUT; a chunked message
// is sent chunked again. Each read and write must complete within IDLE.
// HEAD is scratch space for the serialized header (its capacity is reused).
template <bool isRequest, typename In, typename Out>
awaitable<RelayResult> relay_message(In& in, beast::flat_buffer& in_buffer, BufferParser<isRequest>& parser, Out& out, Watchdog& watchdog, std::chrono::milliseconds idle,
                                     std::string& head) {
  RelayResult result;
  head.clear();
  http::serialize_header(parser.get().base(), head);
  // As Beast's serializer: the framing follows the (edited) header. A message
  // without a body (HEAD response, no length) gets no chunk terminator.
  const bool chunked = parser.get().chunked() && !parser.is_done();
  if (!parser.is_done() && !chunked && !parser.chunked()) {
    if (const auto length = parser.content_length_remaining()) {
      co_await relay_fixed_body(in, in_buffer, *length, out, watchdog, idle, head, result);
      co_return result;
    }
  }
  // A message without a body (most requests) borrows no chunk buffer.
  std::optional<RelayChunk> chunk;
  if (!parser.is_done()) chunk.emplace();
  char size_line[http::kMaxChunkSizeLine];
  parser.eager(true);  // past the header: parse whole buffers, not one chunk header at a time
  bool header_sent = false;
  for (;;) {
    std::size_t got = 0;
    if (!parser.is_done()) {
      auto& body = parser.get().body();
      body.data = chunk->data();
      body.size = RelayChunk::size();
      watchdog.arm(idle);
      auto ec = co_await parse_some(in, in_buffer, parser, watchdog, result.bytes_read, RelayChunk::size());
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        result.ec = ec;
        result.read_side = true;
        co_return result;
      }
      got = RelayChunk::size() - body.size;
      result.body_bytes += got;
      if (got == 0 && !parser.is_done() && header_sent) continue;  // only framing arrived
    }
    std::array<asio::const_buffer, 5> buffers;
    std::size_t count = 0;
    if (!header_sent) buffers[count++] = asio::buffer(head);
    if (chunked && got > 0) buffers[count++] = asio::buffer(size_line, http::chunk_size_line(got, size_line));
    if (got > 0) buffers[count++] = asio::buffer(chunk->data(), got);
    if (chunked && got > 0) buffers[count++] = asio::buffer("\r\n", 2);
    if (chunked && parser.is_done()) buffers[count++] = asio::buffer("0\r\n\r\n", 5);
    if (count > 0) {
      if (auto ec = co_await send_all(out, std::span(buffers.data(), count), watchdog, idle)) {
        result.ec = ec;
        co_return result;
      }
      header_sent = true;
      result.wrote_anything = true;
    }
    if (parser.is_done()) {
      result.complete = true;
      co_return result;
    }
  }
}

}  // namespace tandem::lb
