// The OpenSSL side of a TLS listener: its certificates loaded and checked,
// one SSL_CTX per group of names (server_names.h), the SNI and ALPN
// callbacks answered from the pure tables. A thin shell: which certificate,
// which protocol and which ciphers are decided in server_names and
// tls_policy.
//
// Built whole or not at all: load_listener_tls() reads every file and
// reports every problem (file and reason) so that `--check-config`, the
// start and a SIGHUP reload refuse the same things; a reload that fails
// keeps the previous contexts serving. Immutable once built and shared by
// every worker (OpenSSL's SSL_CTX is thread-safe for creating sessions); a
// connection keeps the contexts it started with across a reload.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <google/protobuf/text_format.h>

#include "config/loader.h"
#include "config/proto/cluster.pb.h"
#include "lb/tls/server_names.h"
#include "lb/tls/ticket_keys.h"
#include "lb/tls/tls_policy.h"

namespace tandem::lb::tls {

class ServerContexts {
 public:
  // The context a new connection starts with (the default certificate's);
  // the SNI callback may move it to another group's.
  boost::asio::ssl::context& initial() { return *groups_.front(); }
  // The handshake's limit (handshake_timeout_ms, default request_header_ms).
  std::chrono::milliseconds handshake_timeout() const { return handshake_timeout_; }
  // One line for the log: the certificates and their names.
  const std::string& summary() const { return summary_; }
  const TlsPolicy& policy() const { return policy_; }

 private:
  friend struct ContextBuilder;
  static int on_servername(SSL* ssl, int* alert, void* arg);
  static int on_ticket(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                       int encrypt);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                     unsigned int inlen, void* arg);

  std::vector<std::unique_ptr<boost::asio::ssl::context>> groups_;
  ServerNames names_;
  TlsPolicy policy_;
  std::shared_ptr<const TicketKeys> tickets_;  // null: OpenSSL's own per-process key
  std::chrono::milliseconds handshake_timeout_{0};
  std::string summary_;
};

struct TlsLoad {
  std::map<std::string, std::shared_ptr<ServerContexts>> by_listener;  // listeners with a `tls` block
  std::vector<config::Problem> problems;  // any: nothing in by_listener is to be used
};

// Loads the TLS contexts of every listener of CLUSTER that has a `tls`
// block. FILENAME and LOCATIONS (may be null) place each problem in the
// cluster file; the message names the certificate or key file and the reason.
// TICKET_SECRETS: the cluster key ring (signing key first), from which the
// session-ticket keys are derived (ticket_keys.h); empty: tickets are only
// good on this process.
TlsLoad load_listener_tls(const config::Cluster& cluster, const std::string& filename,
                          const google::protobuf::TextFormat::ParseInfoTree* locations,
                          const std::vector<std::string>& ticket_secrets = {});

}  // namespace tandem::lb::tls
