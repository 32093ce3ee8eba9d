// JSON string escaping for bytes that came off the wire (a request path, a
// method, a server name). The output is always valid JSON and valid UTF-8,
// whatever the input: quotes and backslashes escaped, control characters as
// \u00XX, and each byte that does not start a well-formed UTF-8 sequence
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) replaced
// by U+FFFD, so one bad byte cannot hide the bytes after it. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::lb::observe {

// Appends TEXT to OUT as a quoted JSON string, reading at most MAX_BYTES of
// TEXT (cut at a character boundary). Returns true when TEXT was cut.
bool append_json_string(std::string& out, std::string_view text, std::size_t max_bytes = std::string_view::npos);

// The same into the buffer at P, which must hold json_string_bound(TEXT,
// MAX_BYTES) bytes; returns the end of what was written, CUT set as above.
char* write_json_string(char* p, std::string_view text, std::size_t max_bytes, bool& cut);

// The most bytes write_json_string writes for TEXT: quotes, and six bytes
// (\u00XX) for each byte read.
inline std::size_t json_string_bound(std::string_view text, std::size_t max_bytes) {
  return 2 + 6 * (text.size() < max_bytes ? text.size() : max_bytes);
}

// Length of the well-formed UTF-8 sequence at the start of TEXT, or 0 when
// its first byte does not start one (TEXT must not be empty).
std::size_t utf8_sequence_length(std::string_view text);

}  // namespace tandem::lb::observe
