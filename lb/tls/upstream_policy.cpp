#include "lb/tls/upstream_policy.h"

#include <boost/asio/ip/address.hpp>

#include "lb/tls/tls_policy.h"

namespace tandem::lb::tls {

UpstreamTlsPolicy upstream_tls_policy(const config::Pool& pool) {
  const auto& tls = pool.tls();
  UpstreamTlsPolicy policy;
  policy.verify = !tls.has_verify() || tls.verify();
  policy.tls13_only = tls.min_version() == config::TLS_1_3;
  policy.ciphers = tls.ciphers().empty() ? std::string(kIntermediateCiphers) : tls.ciphers();
  policy.session_reuse = !tls.has_session_reuse() || tls.session_reuse();
  policy.client_certificate = !tls.cert_file().empty();
  if (!tls.server_name().empty()) {
    policy.verify_name = tls.server_name();
  } else if (pool.has_dns() && pool.dns().type() != config::PoolDns::SRV) {
    policy.verify_name = pool.dns().name();
  }
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(policy.verify_name, ec);
  policy.name_is_address = !policy.verify_name.empty() && !ec;
  return policy;
}

}  // namespace tandem::lb::tls
