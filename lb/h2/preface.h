// Whether a new connection speaks HTTP/2 by prior knowledge: it opens with
// the client preface (RFC 9113 §3.4), which no HTTP/1.1 request starts with.
// HAProxy detects it the same way on every HTTP frontend. Pure.
#pragma once

#include <algorithm>
#include <string_view>

namespace tandem::lb::h2 {

inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// True when RECEIVED, the first bytes of a connection, begin the preface (a
// first read may hold only part of it: "PRI" is no HTTP/1.1 method in use;
// the codec checks the rest and refuses a broken preface).
inline bool starts_h2_preface(std::string_view received) {
  if (received.size() < 3) return false;
  const auto n = std::min(received.size(), kClientPreface.size());
  return received.substr(0, n) == kClientPreface.substr(0, n);
}

}  // namespace tandem::lb::h2
