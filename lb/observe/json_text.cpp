#include "lb/observe/json_text.h"

#include <algorithm>
#include <cstring>

namespace tandem::lb::observe {

std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range (RFC 3629 §4)
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // overlong
    if (b0 == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // overlong
    if (b0 == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

namespace {

// Bytes copied as they are: printable ASCII but the quote and the backslash.
constexpr bool plain(unsigned char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; }

}  // namespace

char* write_json_string(char* p, std::string_view text, std::size_t max_bytes, bool& cut) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  const std::size_t limit = std::min(text.size(), max_bytes);
  std::size_t i = 0;
  cut = false;
  while (i < text.size()) {
    // The common case, a run of plain ASCII, is copied at once.
    std::size_t run = i;
    while (run < limit && plain(static_cast<unsigned char>(text[run]))) ++run;
    if (run > i) {
      std::memcpy(p, text.data() + i, run - i);
      p += run - i;
      i = run;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 1;
    bool valid = true;
    if (c >= 0x80) {
      n = utf8_sequence_length(text.substr(i));
      valid = n != 0;
      if (!valid) n = 1;  // replaced below, one byte at a time
    }
    if (i + n > max_bytes) {
      cut = true;
      break;
    }
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      std::memcpy(p, "\\u00", 4);
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 0xF];
      p += 6;
    } else if (valid) {
      std::memcpy(p, text.data() + i, n);
      p += n;
    } else {
      std::memcpy(p, "\xEF\xBF\xBD", 3);  // U+FFFD REPLACEMENT CHARACTER
      p += 3;
    }
    i += n;
  }
  *p++ = '"';
  return p;
}

bool append_json_string(std::string& out, std::string_view text, std::size_t max_bytes) {
  const auto old = out.size();
  out.resize(old + json_string_bound(text, max_bytes));
  bool cut = false;
  char* end = write_json_string(out.data() + old, text, max_bytes, cut);
  out.resize(static_cast<std::size_t>(end - out.data()));
  return cut;
}

}  // namespace tandem::lb::observe
