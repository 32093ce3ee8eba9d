#include "lb/tls/upstream_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <boost/asio/ssl/error.hpp>

#include "config/source_position.h"
#include "lb/tls/openssl_reason.h"

namespace tandem::lb::tls {

namespace {

// Why PATH cannot be opened for reading, or "" when it can.
std::string unreadable(const std::string& path) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f) {
    std::fclose(f);
    return "";
  }
  return path + ": cannot read it (" + std::strerror(errno) + ")";
}

// The server key of a connection (upstream_context.h, prepare()), owned by its SSL.
void free_key(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<std::string*>(ptr); }

int key_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_key);
  return index;
}

// Where an SSL_CTX keeps its UpstreamContext (not the app data: Asio's
// ssl::context keeps its verify callback there).
int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

UpstreamContext::~UpstreamContext() {
  for (auto& [key, session] : sessions_) SSL_SESSION_free(session);
}

namespace {

// SNI and the name SSL's peer must carry: NAME, an address or a host name.
bool set_name(SSL* ssl, const UpstreamTlsPolicy& policy, const std::string& name, bool name_is_address,
              std::string& error) {
  if (!name.empty() && !name_is_address && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    error = "SNI '" + name + "': " + openssl_reason("refused");
    return false;
  }
  if (policy.verify && !name.empty()) {
    const bool ok = name_is_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                                    : SSL_set1_host(ssl, name.c_str()) == 1;
    if (!ok) {
      error = "verify name '" + name + "': " + openssl_reason("refused");
      return false;
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  return true;
}

}  // namespace

bool UpstreamContext::prepare_for(SSL* ssl, const std::string& host, std::string& error) {
  const std::string& name = policy_.verify_name.empty() ? host : policy_.verify_name;
  return set_name(ssl, policy_, name, is_address(name), error);
}

bool UpstreamContext::prepare(SSL* ssl, const std::string& server_key, std::string& error) {
  if (!set_name(ssl, policy_, policy_.verify_name, policy_.name_is_address, error)) return false;
  if (!policy_.session_reuse) return true;
  SSL_set_ex_data(ssl, key_index(), new std::string(server_key));
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(server_key); it != sessions_.end()) SSL_set_session(ssl, it->second);
  return true;
}

std::size_t UpstreamContext::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

// OpenSSL's new-session callback (a full handshake, or a TLS 1.3 ticket
// that came after it): the server's latest session replaces the one held.
int UpstreamContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<UpstreamContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
  auto* key = static_cast<std::string*>(SSL_get_ex_data(ssl, key_index()));
  if (!self || !key) return 0;
  // A copy: OpenSSL marks the connection's own session not resumable when
  // the connection is freed without a close_notify sent (ssl_clear_bad_session),
  // which is how most upstream connections end.
  if (SSL_SESSION* copy = SSL_SESSION_dup(session)) self->remember(*key, copy);
  return 0;  // OpenSSL keeps its reference to SESSION
}

void UpstreamContext::remember(const std::string& server_key, SSL_SESSION* session) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = sessions_.try_emplace(server_key, session);
  if (!fresh) {
    SSL_SESSION_free(it->second);
    it->second = session;
  }
}

std::string handshake_failure(SSL* ssl, const boost::system::error_code& ec) {
  if (ssl) {
    const long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
  }
  if (ec == boost::asio::error::operation_aborted) return "timeout";
  return ec.message();
}

// Builds the context of one pool (a friend of UpstreamContext).
struct UpstreamContextBuilder {
  // The context of a `tls` block at TLS_POS, deciding with DECIDED; each
  // problem starts with LABEL ("pool 'web' tls").
  static std::shared_ptr<UpstreamContext> build(const config::PoolTls& tls, UpstreamTlsPolicy decided,
                                                const std::string& label, const config::SourcePosition& tls_pos,
                                                std::vector<config::Problem>& problems) {
    const auto before = problems.size();
    auto fail = [&](std::string where, std::string message) {
      problems.push_back({std::move(where), label + ": " + std::move(message)});
    };
    auto out = std::make_shared<UpstreamContext>();
    out->policy_ = std::move(decided);
    const auto& policy = out->policy_;
    out->context_ = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    SSL_CTX* ctx = out->context_->native_handle();
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_min_proto_version(ctx, policy.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(ctx, policy.ciphers.c_str()) != 1) {
      fail(tls_pos.at("ciphers"), "no usable cipher in '" + policy.ciphers + "' (" + openssl_reason("") + ")");
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // idle pooled connections hold no record buffers

    if (policy.verify) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      if (tls.ca_file().empty()) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
          fail(tls_pos.self(), "the system's CA store cannot be read (" + openssl_reason("") + "); set `ca_file`");
        }
      } else if (auto why = unreadable(tls.ca_file()); !why.empty()) {
        fail(tls_pos.at("ca_file"), why);
      } else if (SSL_CTX_load_verify_file(ctx, tls.ca_file().c_str()) != 1) {
        ERR_clear_error();
        fail(tls_pos.at("ca_file"),
             tls.ca_file() + ": holds no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\")");
      }
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }

    if (!tls.cert_file().empty()) {
      const auto& key_file = tls.key_file().empty() ? tls.cert_file() : tls.key_file();
      if (auto why = unreadable(tls.cert_file()); !why.empty()) {
        fail(tls_pos.at("cert_file"), why);
      } else if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file().c_str()) != 1) {
        ERR_clear_error();
        fail(tls_pos.at("cert_file"),
             tls.cert_file() + ": holds no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\")");
      } else if (auto kwhy = unreadable(key_file); !kwhy.empty()) {
        fail(tls_pos.at(tls.key_file().empty() ? "cert_file" : "key_file"), kwhy);
      } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL 3 compares the key with the certificate here already.
        const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
        ERR_clear_error();
        fail(tls_pos.at(tls.key_file().empty() ? "cert_file" : "key_file"),
             mismatch ? key_file + ": this key does not belong to " + tls.cert_file()
                      : key_file + ": holds no unencrypted PEM private key (expected \"-----BEGIN PRIVATE KEY-----\")");
      } else if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        fail(tls_pos.at("key_file"), key_file + ": this key does not belong to " + tls.cert_file());
      }
    } else if (!tls.key_file().empty()) {
      fail(tls_pos.at("key_file"), "`key_file` without `cert_file`: add the client certificate");
    }
    if (problems.size() != before) return nullptr;

    if (policy.session_reuse) {
      SSL_CTX_set_ex_data(ctx, context_index(), out.get());
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_sess_set_new_cb(ctx, &UpstreamContext::on_new_session);
    }
    out->summary_ = std::string("verify=") + (policy.verify ? "on" : "OFF") +
                    " name=" + (policy.verify_name.empty() ? "-" : policy.verify_name) +
                    " ca=" + (tls.ca_file().empty() ? "system" : tls.ca_file()) +
                    " client_cert=" + (tls.cert_file().empty() ? "-" : tls.cert_file()) +
                    " min=" + (policy.tls13_only ? "TLS1.3" : "TLS1.2") +
                    " session_reuse=" + (policy.session_reuse ? "on" : "off");
    return out;
  }
};

UpstreamTlsLoad load_upstream_tls(const config::Cluster& cluster, const std::string& filename,
                                  const google::protobuf::TextFormat::ParseInfoTree* locations) {
  UpstreamTlsLoad out;
  const config::SourcePosition root(filename, locations, config::Cluster::descriptor(), filename);
  for (int i = 0; i < cluster.pools_size(); ++i) {
    const auto& pool = cluster.pools(i);
    const auto pos = root.in("pools", i);
    if (pool.has_tls()) {
      if (auto context = UpstreamContextBuilder::build(pool.tls(), upstream_tls_policy(pool),
                                                       "pool '" + pool.name() + "' tls", pos.in("tls"), out.problems)) {
        if (!context->policy().verify) {
          out.warnings.push_back("pool '" + pool.name() +
                                 "' tls: verify is false: any certificate is accepted, so anyone on the path "
                                 "to the servers can read and change the traffic");
        }
        out.by_pool[pool.name()] = std::move(context);
      }
    }
    if (pool.has_etcd() && pool.etcd().has_tls()) {
      if (auto context = UpstreamContextBuilder::build(pool.etcd().tls(), etcd_tls_policy(pool.etcd()),
                                                       "pool '" + pool.name() + "' etcd tls",
                                                       pos.in("etcd").in("tls"), out.problems)) {
        if (!context->policy().verify) {
          out.warnings.push_back("pool '" + pool.name() +
                                 "' etcd tls: verify is false: anyone on the path to etcd can choose the "
                                 "pool's servers");
        }
        out.etcd_by_pool[pool.name()] = std::move(context);
      }
    }
  }
  if (!out.problems.empty()) {
    out.by_pool.clear();
    out.etcd_by_pool.clear();
  }
  return out;
}

}  // namespace tandem::lb::tls
