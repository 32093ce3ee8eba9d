#include "lb/tls/upstream_policy.h"

#include <boost/asio/ip/address.hpp>

#include "lb/tls/tls_policy.h"

namespace tandem::lb::tls {

namespace {

// What a `tls` block says whoever it is to; the default name is the caller's.
UpstreamTlsPolicy policy_of(const config::PoolTls& tls) {
  UpstreamTlsPolicy policy;
  policy.verify = !tls.has_verify() || tls.verify();
  policy.tls13_only = tls.min_version() == config::TLS_1_3;
  policy.ciphers = tls.ciphers().empty() ? std::string(kIntermediateCiphers) : tls.ciphers();
  policy.session_reuse = !tls.has_session_reuse() || tls.session_reuse();
  policy.client_certificate = !tls.cert_file().empty();
  policy.verify_name = tls.server_name();
  return policy;
}

}  // namespace

bool is_address(const std::string& name) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(name, ec);
  return !name.empty() && !ec;
}

UpstreamTlsPolicy upstream_tls_policy(const config::Pool& pool) {
  UpstreamTlsPolicy policy = policy_of(pool.tls());
  if (policy.verify_name.empty() && pool.has_dns() && pool.dns().type() != config::PoolDns::SRV) {
    policy.verify_name = pool.dns().name();
  }
  policy.name_is_address = is_address(policy.verify_name);
  return policy;
}

UpstreamTlsPolicy etcd_tls_policy(const config::PoolEtcd& etcd) {
  UpstreamTlsPolicy policy = policy_of(etcd.tls());
  // One long-lived watch per endpoint: nothing to resume often, and the
  // name may differ per endpoint (the default), which a per-pool session
  // key would not tell apart.
  policy.session_reuse = false;
  policy.name_is_address = is_address(policy.verify_name);
  return policy;
}

}  // namespace tandem::lb::tls
