// Who may do what on the lb-proxy admin listener. Pure:
// the request's facts and the time in, a verdict out.
//
//  - Every request: the Host header must name this listener as an address,
//    not a DNS name (an IP literal, `localhost`, or one of the extra names,
//    e.g. the node's name), so a page on an attacker's domain that rebinds
//    its name to this address cannot read /status or /stick (DNS
//    rebinding). An Origin header, when present, must be the same origin
//    (http://HOST), and `Sec-Fetch-Site`, when present, same-origin or none:
//    a browser on another site is refused before anything is read.
//  - Reads (GET/HEAD /status, /stick, /metrics) need nothing more.
//  - Every state change (any other method) also needs a Tandem-HMAC
//    Authorization under the cluster key (common/control/admin_auth.h),
//    fresh (+-30 s) and with a nonce not seen before, and no body (a
//    cross-site form always sends one, with a text/plain or form type).
// Without a key configured (no ha.key_file), state changes are refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/control/auth.h"
#include "common/key_ring.h"

namespace tandem::lb {

// What the policy looks at in one request.
struct AdminRequestFacts {
  std::string_view method;
  std::string_view target;
  std::string_view host;            // Host header ("" when absent)
  std::string_view origin;          // Origin header ("" when absent)
  std::string_view sec_fetch_site;  // Sec-Fetch-Site header ("" when absent)
  std::string_view content_type;    // Content-Type header ("" when absent)
  std::string_view authorization;   // Authorization header ("" when absent)
  std::uint64_t body_bytes = 0;
};

struct AdminVerdict {
  unsigned status = 0;  // 0: allowed; else the HTTP status to answer with
  std::string reason;   // the body (and the log), saying what to do
  const char* counter = "";  // the refusal's metric label
};

class AdminPolicy {
 public:
  // KEYS: the cluster key(s), empty signing key when none is configured.
  // EXTRA_HOSTS: host names accepted besides addresses and localhost.
  explicit AdminPolicy(KeyRing keys = {}, std::vector<std::string> extra_hosts = {})
      : keys_(std::move(keys)), extra_hosts_(std::move(extra_hosts)) {}

  // The verdict on REQUEST at NOW_UNIX_MS (a state change's nonce is remembered).
  AdminVerdict check(const AdminRequestFacts& request, std::uint64_t now_unix_ms);

  // New keys (a reload): nonces seen stay remembered.
  void set_keys(KeyRing keys) { keys_ = std::move(keys); }

  // True for a method that only reads.
  static bool is_read(std::string_view method) { return method == "GET" || method == "HEAD"; }
  // True when HOST (a Host header value, with or without port) names this
  // listener as an address: an IP literal, localhost, or one of EXTRA.
  static bool host_allowed(std::string_view host, const std::vector<std::string>& extra);

 private:
  KeyRing keys_;
  std::vector<std::string> extra_hosts_;
  control::ReplayWindow window_{4096};
};

}  // namespace tandem::lb
