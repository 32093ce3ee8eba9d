// Authentication of state changes on the lb-proxy admin listener
// (POST /servers/POOL/SERVER/state): an HMAC-SHA256 under the cluster key,
// as the remote control endpoint uses, carried in one header:
//   Authorization: Tandem-HMAC t=UNIX_MS,n=NONCE_HEX,s=MAC_HEX
// over
//   "tandem-admin-request/1\0" | METHOD | "\0" | TARGET | "\0" | HOST | "\0" | t | "\0" | n
// (t in decimal, n as sent). The Host is signed so a request signed for one
// proxy cannot be replayed to another; the server accepts each nonce once
// within the +-30 s freshness window (common/control/auth.h ReplayWindow).
// The ha-agent signs what it forwards for lbctl; a script can sign with
// the same key (docs/security.md has a Python example). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::control {

inline constexpr std::string_view kAdminAuthScheme = "Tandem-HMAC";

// The bytes the MAC covers.
std::string admin_signing_bytes(std::string_view method, std::string_view target, std::string_view host,
                                std::uint64_t unix_ms, std::string_view nonce_hex);

// The Authorization header value for METHOD TARGET sent with Host HOST,
// signed with KEY at UNIX_MS with NONCE (raw bytes; sent in hex).
std::string admin_authorization(std::string_view key, std::string_view method, std::string_view target,
                                std::string_view host, std::uint64_t unix_ms, std::string_view nonce);

// The fields of an Authorization header value, nullopt when it is not a
// well-formed Tandem-HMAC one.
struct AdminCredentials {
  std::uint64_t unix_ms = 0;
  std::string nonce_hex;  // 16..64 hex digits
  std::string mac;        // 32 raw bytes
};
std::optional<AdminCredentials> parse_admin_authorization(std::string_view header);

// Lower-case hex of BYTES.
std::string to_hex(std::string_view bytes);

}  // namespace tandem::control
