// Unit tests for lb/tls/upstream_policy: what TLS to a pool's servers
// verifies, which name it checks and sends as SNI, and the defaults.
#include "lb/tls/upstream_policy.h"

#include <boost/test/unit_test.hpp>

using namespace tandem::lb::tls;
using tandem::config::Pool;

namespace {

Pool pool_with_tls() {
  Pool p;
  p.set_name("app");
  p.mutable_tls()->set_ca_file("/etc/ssl/ca.pem");
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_upstream_policy)

BOOST_AUTO_TEST_CASE(defaults_verify_reuse_sessions_and_send_no_name_for_servers_given_by_address) {
  const auto policy = upstream_tls_policy(pool_with_tls());
  BOOST_TEST(policy.verify);
  BOOST_TEST(policy.session_reuse);
  BOOST_TEST(!policy.tls13_only);
  BOOST_TEST(!policy.client_certificate);
  BOOST_TEST(policy.verify_name.empty());
  BOOST_TEST(policy.sni().empty());
  BOOST_TEST(!policy.ciphers.empty());
}

BOOST_AUTO_TEST_CASE(a_configured_name_is_checked_and_sent_as_sni) {
  auto p = pool_with_tls();
  p.mutable_tls()->set_server_name("api.internal");
  const auto policy = upstream_tls_policy(p);
  BOOST_TEST(policy.verify_name == "api.internal");
  BOOST_TEST(policy.sni() == "api.internal");
  BOOST_TEST(!policy.name_is_address);
}

BOOST_AUTO_TEST_CASE(an_address_is_checked_against_ip_sans_and_never_sent_as_sni) {
  auto p = pool_with_tls();
  p.mutable_tls()->set_server_name("198.18.0.7");
  auto policy = upstream_tls_policy(p);
  BOOST_TEST(policy.name_is_address);
  BOOST_TEST(policy.sni().empty());  // RFC 6066 §3: no literal addresses in SNI
  p.mutable_tls()->set_server_name("2001:db8::1");
  policy = upstream_tls_policy(p);
  BOOST_TEST(policy.name_is_address);
}

BOOST_AUTO_TEST_CASE(servers_from_a_records_default_to_the_dns_name_but_srv_targets_do_not) {
  auto p = pool_with_tls();
  p.mutable_dns()->set_name("web.example.internal");
  p.mutable_dns()->set_type(tandem::config::PoolDns::A);
  BOOST_TEST(upstream_tls_policy(p).verify_name == "web.example.internal");
  p.mutable_dns()->set_type(tandem::config::PoolDns::SRV);
  p.mutable_dns()->set_name("_http._tcp.web.service.consul");
  BOOST_TEST(upstream_tls_policy(p).verify_name.empty());
  p.mutable_tls()->set_server_name("web.service.consul");  // the operator's name wins
  BOOST_TEST(upstream_tls_policy(p).verify_name == "web.service.consul");
}

BOOST_AUTO_TEST_CASE(explicit_choices_override_the_defaults) {
  auto p = pool_with_tls();
  p.mutable_tls()->set_verify(false);
  p.mutable_tls()->set_session_reuse(false);
  p.mutable_tls()->set_min_version(tandem::config::TLS_1_3);
  p.mutable_tls()->set_cert_file("/etc/tandem/client.pem");
  p.mutable_tls()->set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256");
  const auto policy = upstream_tls_policy(p);
  BOOST_TEST(!policy.verify);
  BOOST_TEST(!policy.session_reuse);
  BOOST_TEST(policy.tls13_only);
  BOOST_TEST(policy.client_certificate);
  BOOST_TEST(policy.ciphers == "ECDHE-ECDSA-AES128-GCM-SHA256");
}

BOOST_AUTO_TEST_CASE(etcd_tls_verifies_each_endpoints_host_unless_named_and_never_resumes) {
  tandem::config::PoolEtcd etcd;
  etcd.add_endpoints("10.0.0.2:2379");
  etcd.mutable_tls()->set_ca_file("/etc/tandem/etcd-ca.pem");
  auto policy = etcd_tls_policy(etcd);
  BOOST_TEST(policy.verify);
  BOOST_TEST(policy.verify_name.empty());  // UpstreamContext::prepare_for uses the endpoint's host
  BOOST_TEST(!policy.session_reuse);       // one long-lived watch: nothing to resume
  BOOST_TEST(!policy.client_certificate);
  etcd.mutable_tls()->set_server_name("etcd.internal");
  etcd.mutable_tls()->set_cert_file("/etc/tandem/etcd-client.pem");
  etcd.mutable_tls()->set_session_reuse(true);
  policy = etcd_tls_policy(etcd);
  BOOST_TEST(policy.verify_name == "etcd.internal");
  BOOST_TEST(!policy.name_is_address);
  BOOST_TEST(policy.client_certificate);
  BOOST_TEST(!policy.session_reuse);
  BOOST_TEST(is_address("10.0.0.2"));
  BOOST_TEST(is_address("::1"));
  BOOST_TEST(!is_address("etcd.internal"));
  BOOST_TEST(!is_address(""));
}

BOOST_AUTO_TEST_SUITE_END()
