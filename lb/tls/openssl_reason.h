// OpenSSL's error queue as one line of text for the user: both TLS contexts
// (server_context, upstream_context) report a file or handshake OpenSSL
// refused with its reason, and leave the queue empty for the next call.
#pragma once

#include <openssl/err.h>

#include <string>

namespace tandem::lb::tls {

// OpenSSL's last error as text (and the queue cleared), or FALLBACK.
inline std::string openssl_reason(const char* fallback) {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

}  // namespace tandem::lb::tls
