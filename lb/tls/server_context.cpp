#include "lb/tls/server_context.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "config/defaults.h"
#include "config/source_position.h"
#include "lb/tls/openssl_reason.h"

namespace tandem::lb::tls {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
void free_chain(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using ChainPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_chain>>;

// One certificate entry, read and checked.
struct Loaded {
  X509Ptr leaf;
  ChainPtr chain;
  KeyPtr key;
  int key_type = 0;  // EVP_PKEY_RSA or EVP_PKEY_EC
  std::vector<std::string> names;
};

BioPtr open_file(const std::string& path, std::string& error) {
  errno = 0;
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    const int e = errno;
    ERR_clear_error();
    error = path + ": cannot read it (" + (e ? std::strerror(e) : "unknown error") + ")";
  }
  return bio;
}

// The DNS names of the certificate's subjectAltName, else its CN.
std::vector<std::string> certificate_names(X509* leaf) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
      if (name->type != GEN_DNS) continue;
      const auto* s = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn) > 0) names.emplace_back(cn);
  }
  return names;
}

std::string not_after_text(X509* leaf) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), X509_get0_notAfter(leaf));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Reads and checks ENTRY: PEM certificate (and chain), PEM key, the key
// matches, the certificate has not expired, the key is ECDSA or RSA.
std::optional<Loaded> load_entry(const config::TlsCertificate& entry, std::string& error) {
  if (entry.cert_file().empty()) {
    error = "a certificate has no `cert_file`";
    return std::nullopt;
  }
  Loaded out;
  const auto& cert_path = entry.cert_file();
  auto bio = open_file(cert_path, error);
  if (!bio) return std::nullopt;
  out.leaf.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!out.leaf) {
    ERR_clear_error();
    error = cert_path + ": holds no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\")";
    return std::nullopt;
  }
  out.chain.reset(sk_X509_new_null());
  while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) sk_X509_push(out.chain.get(), next);
  ERR_clear_error();  // the end of the file ends the chain
  const auto& key_path = entry.key_file().empty() ? cert_path : entry.key_file();
  auto key_bio = open_file(key_path, error);
  if (!key_bio) return std::nullopt;
  // An empty passphrase callback: an encrypted key is refused, not prompted for.
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  out.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr));
  if (!out.key) {
    ERR_clear_error();
    error = key_path + ": holds no unencrypted PEM private key (expected \"-----BEGIN PRIVATE KEY-----\")";
    return std::nullopt;
  }
  if (X509_check_private_key(out.leaf.get(), out.key.get()) != 1) {
    ERR_clear_error();
    error = key_path + ": this private key does not belong to the certificate in " + cert_path;
    return std::nullopt;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(out.leaf.get())) < 0) {
    error = cert_path + ": the certificate expired on " + not_after_text(out.leaf.get()) +
            " (clients would refuse it); renew it";
    return std::nullopt;
  }
  out.key_type = EVP_PKEY_get_base_id(out.key.get());
  if (out.key_type != EVP_PKEY_RSA && out.key_type != EVP_PKEY_EC) {
    error = key_path + ": the key is neither RSA nor ECDSA";
    return std::nullopt;
  }
  if (entry.server_names_size() > 0) {
    out.names.assign(entry.server_names().begin(), entry.server_names().end());
  } else {
    out.names = certificate_names(out.leaf.get());
  }
  return out;
}

const char* key_type_name(int type) { return type == EVP_PKEY_EC ? "ECDSA" : "RSA"; }

// Where each SSL_CTX keeps its ServerContexts (for the ticket callback).
int owner_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

// Builds the contexts of one listener (a friend of ServerContexts).
struct ContextBuilder {
  static std::shared_ptr<ServerContexts> build(const config::Cluster& cluster, const config::Listener& listener,
                                               const config::SourcePosition& pos,
                                               const std::vector<std::string>& ticket_secrets,
                                               std::vector<config::Problem>& problems) {
    const auto& tls = listener.tls();
    const auto tls_pos = pos.in("tls");
    const auto before = problems.size();
    auto fail = [&](std::string where, std::string message) {
      problems.push_back({std::move(where), "listener '" + listener.name() + "' tls: " + std::move(message)});
    };
    if (tls.certificates_size() == 0) {
      fail(tls_pos.self(), "no `certificates`: add one { cert_file: \"...\" key_file: \"...\" }");
      return nullptr;
    }
    const bool http2 = listener.mode() == config::HTTP && config::effective_http2(cluster, listener).enabled;
    for (int i = 0; i < tls.alpn_size(); ++i) {
      if (!app_protocol(tls.alpn(i))) {
        fail(tls_pos.at("alpn", i), "ALPN protocol '" + tls.alpn(i) + "' is not spoken here (use \"h2\" or \"http/1.1\")");
      } else if (tls.alpn(i) == "h2" && !http2 && listener.mode() == config::HTTP) {
        fail(tls_pos.at("alpn", i), "ALPN \"h2\" with http2 disabled: remove it, or remove `http2 { enabled: false }`");
      }
    }
    if (listener.mode() == config::TCP && tls.alpn_size() > 0) {
      fail(tls_pos.at("alpn"), "a TCP listener does not negotiate ALPN; remove `alpn`");
    }
    std::vector<Loaded> loaded;
    for (int i = 0; i < tls.certificates_size(); ++i) {
      std::string error;
      auto entry = load_entry(tls.certificates(i), error);
      if (!entry) {
        fail(tls_pos.at("certificates", i), error);
        continue;
      }
      loaded.push_back(std::move(*entry));
    }
    if (problems.size() != before) return nullptr;

    auto out = std::make_shared<ServerContexts>();
    out->policy_ = tls_policy(tls, http2);
    if (!ticket_secrets.empty() && out->policy_.resumption) {
      const auto period = tls.ticket_key_period_s() ? tls.ticket_key_period_s() : 3600;
      out->tickets_ = std::make_shared<TicketKeys>(ticket_secrets, std::chrono::seconds(period));
    }
    const auto timeout = tls.handshake_timeout_ms();
    out->handshake_timeout_ = timeout ? std::chrono::milliseconds(timeout)
                                      : config::effective_timeouts(cluster, listener).request_header;
    std::vector<std::vector<std::string>> names;
    for (const auto& l : loaded) names.push_back(l.names);
    const auto group_of = group_by_names(names);
    std::set<std::pair<std::size_t, int>> slots;  // (group, key type): one certificate each
    for (std::size_t i = 0; i < loaded.size(); ++i) {
      auto& l = loaded[i];
      const auto group = group_of[i];
      if (!slots.insert({group, l.key_type}).second) {
        fail(tls_pos.at("certificates", static_cast<int>(i)),
             tls.certificates(static_cast<int>(i)).cert_file() + ": another " + key_type_name(l.key_type) +
                 " certificate already serves the same names; a name takes one ECDSA and one RSA certificate");
        continue;
      }
      if (group == out->groups_.size()) {
        std::string error;
        auto ctx = new_context(*out, error);
        if (!ctx) {
          fail(tls_pos.self(), error);
          return nullptr;
        }
        out->groups_.push_back(std::move(ctx));
        out->names_.add(group, l.names);
      }
      SSL_CTX* ctx = out->groups_[group]->native_handle();
      if (SSL_CTX_use_cert_and_key(ctx, l.leaf.get(), l.key.get(), l.chain.get(), 1) != 1) {
        fail(tls_pos.at("certificates", static_cast<int>(i)),
             tls.certificates(static_cast<int>(i)).cert_file() + ": OpenSSL refused it: " + openssl_reason("unknown"));
        continue;
      }
      std::string joined;
      for (const auto& n : l.names) joined += (joined.empty() ? "" : ",") + n;
      out->summary_ += (out->summary_.empty() ? "" : " ") + std::string(key_type_name(l.key_type)) + ":" +
                       (joined.empty() ? "-" : joined);
    }
    if (problems.size() != before) return nullptr;
    return out;
  }

  // A server context with the listener's policy and our callbacks.
  static std::unique_ptr<boost::asio::ssl::context> new_context(ServerContexts& owner, std::string& error) {
    auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    SSL_CTX* c = ctx->native_handle();
    const auto& policy = owner.policy_;
    SSL_CTX_set_min_proto_version(c, policy.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // Idle connections give their 34 KiB of record buffers back (HAProxy and nginx do too).
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(c, policy.ciphers.c_str()) != 1) {
      error = "`ciphers`: OpenSSL knows none of \"" + policy.ciphers + "\" (" + openssl_reason("no cipher match") + ")";
      return nullptr;
    }
    if (SSL_CTX_set_ciphersuites(c, policy.suites.c_str()) != 1) {
      error = "`ciphersuites`: OpenSSL knows none of \"" + policy.suites + "\" (" + openssl_reason("no suite match") + ")";
      return nullptr;
    }
    SSL_CTX_set1_groups_list(c, std::string(kIntermediateGroups).c_str());
    SSL_CTX_set_dh_auto(c, 1);
    static const unsigned char kSessionContext[] = "tandem";
    SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_tlsext_servername_callback(c, &ServerContexts::on_servername);
    SSL_CTX_set_tlsext_servername_arg(c, &owner);
    SSL_CTX_set_alpn_select_cb(c, &ServerContexts::on_alpn, &owner);
    SSL_CTX_set_ex_data(c, owner_index(), &owner);
    if (owner.tickets_) SSL_CTX_set_tlsext_ticket_key_evp_cb(c, &ServerContexts::on_ticket);
    if (!policy.resumption) {
      // No ticket of either version (TLS 1.3 would otherwise send stateful
      // ones from the cache), and no cache to resume from.
      SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(c, 0);
      SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    }
    return ctx;
  }
};

int ServerContexts::on_servername(SSL* ssl, int*, void* arg) {
  const auto& self = *static_cast<ServerContexts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;  // the default's context is already in place
  const auto group = self.names_.choose(name);
  if (group != 0) SSL_set_SSL_CTX(ssl, self.groups_[group]->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

// RFC 5077 §4's recommended ticket construction, as OpenSSL runs it: the
// key name in clear, AES-256-CBC, HMAC-SHA256. Returns 1 (issued, or
// decrypted under the issuing key), 2 (decrypted, issue a fresh ticket),
// 0 (unknown key: a full handshake), -1 (an error).
int ServerContexts::on_ticket(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                              EVP_MAC_CTX* mac, int encrypt) {
  const auto* self = static_cast<const ServerContexts*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), owner_index()));
  if (!self || !self->tickets_) return -1;
  const auto now = std::chrono::system_clock::now();
  TicketKey key;
  int verdict = 1;
  std::array<std::uint8_t, 16> wanted;
  if (encrypt) {
    key = self->tickets_->issuing(now);
    std::memcpy(name, key.name.data(), key.name.size());
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
  } else {
    std::memcpy(wanted.data(), name, wanted.size());
    const auto found = self->tickets_->find(wanted, now);
    if (!found) return 0;
    key = found->key;
    verdict = found->renew ? 2 : 1;
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac_key.data(), key.hmac_key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  const int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv)
                         : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv);
  return ok == 1 ? verdict : -1;
}

int ServerContexts::on_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                            unsigned int inlen, void* arg) {
  const auto& self = *static_cast<ServerContexts*>(arg);
  const auto chosen = select_alpn(self.policy_.alpn, {reinterpret_cast<const char*>(in), inlen});
  if (!chosen) return SSL_TLSEXT_ERR_NOACK;
  *out = reinterpret_cast<const unsigned char*>(chosen->data());  // points into IN, as OpenSSL allows
  *outlen = static_cast<unsigned char>(chosen->size());
  return SSL_TLSEXT_ERR_OK;
}

TlsLoad load_listener_tls(const config::Cluster& cluster, const std::string& filename,
                          const google::protobuf::TextFormat::ParseInfoTree* locations,
                          const std::vector<std::string>& ticket_secrets) {
  TlsLoad out;
  const config::SourcePosition root(filename, locations, config::Cluster::descriptor(), filename);
  for (int i = 0; i < cluster.listeners_size(); ++i) {
    const auto& listener = cluster.listeners(i);
    if (!listener.has_tls()) continue;
    if (auto contexts = ContextBuilder::build(cluster, listener, root.in("listeners", i), ticket_secrets, out.problems)) {
      out.by_listener[listener.name()] = std::move(contexts);
    }
  }
  if (!out.problems.empty()) out.by_listener.clear();
  return out;
}

}  // namespace tandem::lb::tls
