#include "lb/tls/tls_policy.h"

namespace tandem::lb::tls {

std::optional<AppProtocol> app_protocol(std::string_view alpn_name) {
  if (alpn_name == "http/1.1") return AppProtocol::http1;
  if (alpn_name == "h2") return AppProtocol::h2;
  return std::nullopt;
}

TlsPolicy tls_policy(const config::ListenerTls& tls, bool http2) {
  TlsPolicy policy;
  policy.tls13_only = tls.min_version() == config::TLS_1_3;
  policy.ciphers = tls.ciphers().empty() ? std::string(kIntermediateCiphers) : tls.ciphers();
  policy.suites = tls.ciphersuites().empty() ? std::string(kIntermediateSuites) : tls.ciphersuites();
  if (tls.alpn().empty()) {
    policy.alpn = http2 ? std::vector<std::string>{"h2", "http/1.1"} : std::vector<std::string>{"http/1.1"};
  } else {
    for (const auto& name : tls.alpn()) {
      if (name != "h2" || http2) policy.alpn.push_back(name);
    }
  }
  for (const auto& name : policy.alpn) {
    policy.alpn_wire.push_back(static_cast<char>(name.size()));
    policy.alpn_wire += name;
  }
  policy.resumption = !tls.has_session_resumption() || tls.session_resumption();
  return policy;
}

std::optional<std::string_view> select_alpn(const std::vector<std::string>& ours, std::string_view client_wire) {
  // Walk the offer once to check it is well-formed: a name of length 0 or
  // running past the end spoils it all.
  std::vector<std::string_view> offered;
  for (std::size_t i = 0; i < client_wire.size();) {
    const auto len = static_cast<unsigned char>(client_wire[i]);
    if (len == 0 || i + 1 + len > client_wire.size()) return std::nullopt;
    offered.push_back(client_wire.substr(i + 1, len));
    i += 1 + len;
  }
  for (const auto& mine : ours) {
    for (const auto& theirs : offered) {
      if (theirs == mine) return theirs;
    }
  }
  return std::nullopt;
}

}  // namespace tandem::lb::tls
