// What a TLS listener negotiates, decided from its configuration: protocol
// versions, cipher lists, ALPN. Pure; server_context.cpp hands the result to
// OpenSSL.
//
// The default cipher policy is Mozilla's "intermediate" (server-side TLS
// guidelines, version 5.7): TLS 1.2 and 1.3, ECDHE (and DHE) key exchange,
// AEAD ciphers only, the client's order honoured (every cipher listed is
// strong, and a phone without AES hardware prefers ChaCha20).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/proto/cluster.pb.h"

namespace tandem::lb::tls {

// Mozilla "intermediate": TLS 1.2 ciphers (OpenSSL names), TLS 1.3 suites, groups.
inline constexpr std::string_view kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
inline constexpr std::string_view kIntermediateSuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
inline constexpr std::string_view kIntermediateGroups = "X25519:prime256v1:secp384r1";

// The application protocols a listener can speak after the handshake, by
// their ALPN names (RFC 7301); the handshake shell dispatches on the
// negotiated one (lb/runtime/tls_handshake.cpp).
enum class AppProtocol { http1, h2 };
std::optional<AppProtocol> app_protocol(std::string_view alpn_name);

struct TlsPolicy {
  bool tls13_only = false;                 // min_version TLS_1_3
  std::string ciphers;                     // TLS 1.2 list
  std::string suites;                      // TLS 1.3 list
  std::vector<std::string> alpn;           // offered, preferred first
  std::string alpn_wire;                   // ALPN as OpenSSL takes it: length-prefixed names
  bool resumption = true;                  // session tickets and the session cache
};

// The policy of a listener's `tls` block (defaults filled in). HTTP2: the
// listener serves HTTP/2 (an HTTP listener whose `http2` is enabled); the
// default ALPN list then offers "h2" first, as nginx and HAProxy do with h2
// on, so a browser gets HTTP/2 and an HTTP/1.1-only client still gets
// "http/1.1". Without it "h2" is never offered, even when listed: a client
// must not be told HTTP/2 and then be answered in HTTP/1.1. Unknown ALPN
// names are the caller's problem (validate with app_protocol first).
TlsPolicy tls_policy(const config::ListenerTls& tls, bool http2);

// The protocol to select from the client's ALPN offer (CLIENT_WIRE, the
// length-prefixed list of the ClientHello): the first of OURS (in our order
// of preference) the client offers; nullopt when none (the handshake then
// goes on without ALPN, as RFC 7301 §3.2 allows for HTTP/1.1 servers that
// would rather serve than fail). A malformed offer selects nothing.
std::optional<std::string_view> select_alpn(const std::vector<std::string>& ours, std::string_view client_wire);

}  // namespace tandem::lb::tls
