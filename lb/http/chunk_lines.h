// The line ends of a chunked body (RFC 9112 §7.1): the chunk-size lines, the
// last chunk and the trailer lines end in CRLF. §2.2 lets a recipient accept
// a bare LF as a line end, or reject the message; we reject it with 400 (a
// response: the relay fails, the connection closes). Beast's chunk parser
// knows only CRLF: it skips a bare LF and waits for a CRLF that never comes,
// which held the connection open with no answer. Pure, header-only, no
// allocation.
#pragma once

#include <string_view>

namespace tandem::lb::http {

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

}  // namespace tandem::lb::http
