// The OpenSSL side of TLS to a pool's servers: one SSL_CTX per pool (the CA
// store, the optional client certificate, the protocol floor), and the last
// session of each server so that a new connection resumes instead of paying
// a full handshake. A thin shell over upstream_policy (what is verified,
// which name).
//
// Built whole or not at all at load (load_upstream_tls): a CA, certificate
// or key file that cannot be used is a problem with file:line:col and the
// reason, so `--check-config`, the start and a SIGHUP reload refuse the
// same things; a reload that fails keeps the previous contexts. Shared by
// every worker and the health checks: SSL_CTX is thread-safe for creating
// connections, and the session cache takes a lock (once per new connection
// and once per session the server issues).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <google/protobuf/text_format.h>

#include "config/loader.h"
#include "config/proto/cluster.pb.h"
#include "lb/tls/upstream_policy.h"

namespace tandem::lb::tls {

class UpstreamContext {
 public:
  UpstreamContext() = default;
  ~UpstreamContext();
  UpstreamContext(const UpstreamContext&) = delete;
  UpstreamContext& operator=(const UpstreamContext&) = delete;

  boost::asio::ssl::context& context() { return *context_; }
  const UpstreamTlsPolicy& policy() const { return policy_; }
  // One line for the log: verification, name, CA, client certificate.
  const std::string& summary() const { return summary_; }

  // Readies SSL, a new connection to the server known as SERVER_KEY (its
  // name and address): SNI, the name its certificate must carry, the last
  // session it gave us. False (with OpenSSL's reason in ERROR) if OpenSSL
  // refused a setting.
  bool prepare(SSL* ssl, const std::string& server_key, std::string& error);

  // Readies SSL, a new connection to HOST (an etcd endpoint's host): the
  // policy's name when it has one, else HOST, as SNI (unless an address)
  // and as the name the certificate must carry. No session resumption.
  bool prepare_for(SSL* ssl, const std::string& host, std::string& error);

  // Sessions held (one per server at most), for tests and /metrics.
  std::size_t sessions() const;

 private:
  friend struct UpstreamContextBuilder;
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  void remember(const std::string& server_key, SSL_SESSION* session);

  std::unique_ptr<boost::asio::ssl::context> context_;
  UpstreamTlsPolicy policy_;
  std::string summary_;
  mutable std::mutex mutex_;  // guards sessions_
  std::unordered_map<std::string, SSL_SESSION*> sessions_;  // one reference each
};

// Why a TLS handshake with a server failed, for the log, the health
// check's cause and /status: the verification result when the certificate
// was refused ("certificate verify failed: unable to get local issuer
// certificate"), else OpenSSL's reason or EC's message.
std::string handshake_failure(SSL* ssl, const boost::system::error_code& ec);

struct UpstreamTlsLoad {
  std::map<std::string, std::shared_ptr<UpstreamContext>> by_pool;  // pools with a `tls` block
  std::map<std::string, std::shared_ptr<UpstreamContext>> etcd_by_pool;  // pools whose `etcd` has a `tls` block
  std::vector<config::Problem> problems;  // any: nothing in by_pool is to be used
  std::vector<std::string> warnings;      // e.g. a pool that does not verify
};

// Loads the contexts of every pool of CLUSTER that has a `tls` block, and
// of every `etcd` block that has one (HTTPS to etcd).
// FILENAME and LOCATIONS (may be null) place each problem in the cluster
// file; the message names the file and the reason.
UpstreamTlsLoad load_upstream_tls(const config::Cluster& cluster, const std::string& filename,
                                  const google::protobuf::TextFormat::ParseInfoTree* locations);

}  // namespace tandem::lb::tls
