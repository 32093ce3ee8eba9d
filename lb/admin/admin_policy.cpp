#include "lb/admin/admin_policy.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address.hpp>

#include "common/control/admin_auth.h"

namespace tandem::lb {

namespace {

AdminVerdict refuse(unsigned status, const char* counter, std::string reason) {
  return AdminVerdict{status, std::move(reason) + "\n", counter};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool AdminPolicy::host_allowed(std::string_view host, const std::vector<std::string>& extra) {
  if (host.empty() || host.size() > 255) return false;
  std::string_view name = host;
  if (name.front() == '[') {  // [v6]:port
    const auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    const auto rest = name.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    name = name.substr(1, close - 1);
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address_v6(std::string(name), ec);
    return !ec;
  }
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    const auto port = name.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    name = name.substr(0, colon);
  }
  const std::string n = lower(name);
  if (n == "localhost") return true;
  for (const auto& e : extra)
    if (lower(e) == n) return true;
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address_v4(n, ec);
  return !ec;
}

AdminVerdict AdminPolicy::check(const AdminRequestFacts& r, std::uint64_t now_unix_ms) {
  if (r.host.empty()) return refuse(400, "no_host", "a Host header is required");
  if (!host_allowed(r.host, extra_hosts_))
    return refuse(403, "bad_host",
                  "Host '" + std::string(r.host.substr(0, 64)) +
                      "' does not name this admin listener; use its address (a DNS name here is how DNS "
                      "rebinding reaches it)");
  if (!r.origin.empty() && lower(r.origin) != "http://" + lower(r.host))
    return refuse(403, "cross_origin",
                  "cross-origin request refused (Origin " + std::string(r.origin.substr(0, 64)) + ")");
  if (!r.sec_fetch_site.empty() && r.sec_fetch_site != "same-origin" && r.sec_fetch_site != "none")
    return refuse(403, "cross_origin", "cross-site request refused (Sec-Fetch-Site " +
                                           std::string(r.sec_fetch_site.substr(0, 32)) + ")");
  if (is_read(r.method)) return {};

  // A state change.
  if (r.body_bytes > 0 || !r.content_type.empty())
    return refuse(415, "body", "state changes take no body (a cross-site form sends one); send the value in the query");
  if (keys_.signing.empty())
    return refuse(403, "no_key",
                  "state changes are disabled: this proxy has no cluster key (set ha.key_file); use lbctl");
  if (r.authorization.empty())
    return refuse(401, "unauthenticated",
                  "state changes need the cluster key: use `lbctl drain|disable|enable`, or sign the request "
                  "(Authorization: Tandem-HMAC, docs/security.md)");
  const auto creds = control::parse_admin_authorization(r.authorization);
  if (!creds) return refuse(401, "malformed", "Authorization is not a well-formed Tandem-HMAC header");
  if (!keys_.verify(control::admin_signing_bytes(r.method, r.target, r.host, creds->unix_ms, creds->nonce_hex),
                    creds->mac))
    return refuse(401, "bad_signature", "Authorization does not verify under the cluster key");
  const auto skew = creds->unix_ms > now_unix_ms ? creds->unix_ms - now_unix_ms : now_unix_ms - creds->unix_ms;
  if (skew > control::kFreshnessMs)
    return refuse(401, "stale", "Authorization is " + std::to_string(skew) + " ms from this host's clock (limit " +
                                    std::to_string(control::kFreshnessMs) + "; check NTP)");
  const auto admitted = window_.admit(creds->nonce_hex, creds->unix_ms, now_unix_ms);
  if (!admitted) return refuse(503, "busy", "too many recent state changes; retry in a few seconds");
  if (!*admitted) return refuse(401, "replayed", "this signed request was already used");
  return {};
}

}  // namespace tandem::lb
