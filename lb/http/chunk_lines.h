// The line ends of a chunked body (RFC 9112 §7.1): the chunk-size lines, the
// last chunk and the trailer lines end in CRLF. §2.2 lets a recipient accept
// a bare LF as a line end, or reject the message; we reject it with 400 (a
// response: the relay fails, the connection closes). Beast's chunk parser
// knows only CRLF: it skips a bare LF and waits for a CRLF that never comes,
// which held the connection open with no answer. Pure, header-only, no
// allocation.
#pragma once

#include <cstddef>
#include <string_view>

namespace tandem::lb::http {

/// The longest chunk-size line (size and extensions) or trailer line we wait
/// for. Beast bounds neither: a line with no end grew the read buffer until
/// the idle timeout, however long (every byte resets the idle timer). HAProxy
/// bounds it by its buffer; 4 KiB is far above any real chunk line.
inline constexpr std::size_t kMaxChunkLineBytes = 4096;
/// The most we hold of the last chunk and its trailer section before its end
/// (Beast wants the whole trailer section in the buffer at once).
inline constexpr std::size_t kMaxChunkTrailerBytes = 16384;

/// Whether the bytes a chunked-body parser has not consumed yet, when it asks
/// for more, end a line with a bare LF. Those bytes start at a chunk-size line
/// (after the CRLF that closes the previous chunk's data), or at the last chunk
/// and its trailer: none of them may hold an LF without a CR before it. The
/// caller checks only while the parser is in the body of a chunked message,
/// so chunk data (consumed as it arrives) is never scanned.
[[nodiscard]] constexpr bool chunk_lines_have_bare_lf(std::string_view pending) noexcept {
  for (auto at = pending.find('\n'); at != std::string_view::npos; at = pending.find('\n', at + 1))
    if (at == 0 || pending[at - 1] != '\r') return true;
  return false;
}

/// Whether the same unconsumed bytes hold a line longer than
/// kMaxChunkLineBytes, ended or not yet, or more than kMaxChunkTrailerBytes in
/// all: a framing error (400), answered at once instead of read on.
[[nodiscard]] constexpr bool chunk_lines_too_long(std::string_view pending) noexcept {
  if (pending.size() > kMaxChunkTrailerBytes) return true;
  std::size_t line_start = 0;
  for (;;) {
    const auto end = pending.find('\n', line_start);
    auto line_end = end == std::string_view::npos ? pending.size() : end;
    if (end != std::string_view::npos && line_end > line_start && pending[line_end - 1] == '\r') --line_end;
    if (line_end - line_start > kMaxChunkLineBytes) return true;  // the line without its CRLF
    if (end == std::string_view::npos) return false;
    line_start = end + 1;
  }
}

}  // namespace tandem::lb::http
