// What the proxy asks of a pool's servers over TLS, decided from the pool's
// `tls` block: whether the certificate is verified, which name it must
// carry and goes out as SNI, the protocol floor and ciphers, whether
// sessions are resumed. Pure; upstream_context.cpp hands it to OpenSSL.
#pragma once

#include <string>

#include "config/proto/cluster.pb.h"

namespace tandem::lb::tls {

struct UpstreamTlsPolicy {
  bool verify = true;           // the chain against the CA, and verify_name when set
  std::string verify_name;      // the name the certificate must carry; empty: the chain alone
  bool name_is_address = false; // verify_name is an IP address: checked against IP SANs, no SNI
  bool tls13_only = false;      // min_version TLS_1_3
  std::string ciphers;          // TLS 1.2 list
  bool session_reuse = true;    // resume the last session per server
  bool client_certificate = false;  // cert_file set: mutual TLS

  // The SNI to send: the name, unless it is an address (RFC 6066 §3 forbids
  // literal addresses there) or there is none.
  std::string sni() const { return name_is_address ? std::string() : verify_name; }
};

// The policy of POOL's `tls` block, defaults filled in. The default name
// is the one the servers are known by: the pool's DNS name when its
// servers come from A/AAAA records (they are that name's addresses), else
// none (a server in the file is an address).
UpstreamTlsPolicy upstream_tls_policy(const config::Pool& pool);

// The policy of an `etcd` block's `tls` (HTTPS to etcd): as for servers,
// but no session reuse, and an empty verify_name means "each endpoint's
// host" (UpstreamContext::prepare_for).
UpstreamTlsPolicy etcd_tls_policy(const config::PoolEtcd& etcd);

// NAME is an IP address (checked against IP SANs, never sent as SNI).
bool is_address(const std::string& name);

}  // namespace tandem::lb::tls
