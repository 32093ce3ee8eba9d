#include "ha/sync/sync_auth.h"

#include <array>

#include "common/hmac.h"
#include "common/key_ring.h"

namespace tandem::ha::sync {

namespace {

constexpr std::string_view kHelloLabel = "tandem-sync-hello/1";
constexpr std::string_view kSessionLabel = "tandem-sync-session/1";
constexpr std::uint32_t kVersion = 1;

std::string digest_string(const Digest& d) { return std::string(reinterpret_cast<const char*>(d.data()), d.size()); }

std::string session_key(std::string_view key, std::string_view sender, std::string_view receiver,
                        std::string_view dialer_nonce, std::string_view acceptor_nonce) {
  std::string material(kSessionLabel);
  material += sender;
  material.push_back('\0');
  material += receiver;
  material.push_back('\0');
  material += dialer_nonce;
  material += acceptor_nonce;
  return digest_string(hmac_sha256(key, material));
}

std::string counter_prefixed(std::uint64_t n, std::string_view body) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(n & 0xff);
    n >>= 8;
  }
  out += body;
  return out;
}

}  // namespace

std::string_view to_string(AuthError error) {
  switch (error) {
    case AuthError::kMalformed: return "malformed";
    case AuthError::kBadMac: return "bad_mac";
    case AuthError::kWrongCluster: return "wrong_cluster";
    case AuthError::kUnknownPeer: return "unknown_peer";
    case AuthError::kBadVersion: return "bad_version";
  }
  return "unknown";
}

SyncAuth::SyncAuth(std::string key, std::string cluster, std::string self, std::string nonce, bool dialer)
    : key_(std::move(key)), cluster_(std::move(cluster)), self_(std::move(self)), nonce_(std::move(nonce)),
      dialer_(dialer) {}

std::string SyncAuth::hello(std::string_view expected_peer) {
  wire::SyncHello hello;
  hello.set_version(kVersion);
  hello.set_cluster(cluster_);
  hello.set_node(self_);
  hello.set_to(std::string(expected_peer));
  hello.set_nonce(nonce_);
  wire::SyncFrame frame;
  frame.set_hello(hello.SerializeAsString());
  frame.set_mac(digest_string(hmac_sha256(key_, std::string(kHelloLabel) + frame.hello())));
  return frame.SerializeAsString();
}

std::optional<AuthError> SyncAuth::accept_hello(std::string_view payload, const std::set<std::string>& allowed) {
  wire::SyncFrame frame;
  if (established_ || !frame.ParseFromArray(payload.data(), static_cast<int>(payload.size())) || !frame.has_hello())
    return AuthError::kMalformed;
  const auto key_index = KeyRing{key_, other_key_}.verify(std::string(kHelloLabel) + frame.hello(), frame.mac());
  if (!key_index) return AuthError::kBadMac;
  const std::string& peer_key = *key_index == 0 ? key_ : other_key_;
  wire::SyncHello hello;
  if (!hello.ParseFromString(frame.hello())) return AuthError::kMalformed;
  if (hello.version() != kVersion) return AuthError::kBadVersion;
  if (hello.cluster() != cluster_) return AuthError::kWrongCluster;
  if (hello.node() == self_ || !allowed.contains(hello.node())) return AuthError::kUnknownPeer;
  if (!hello.to().empty() && hello.to() != self_) return AuthError::kUnknownPeer;
  if (hello.nonce().size() != kNonceBytes) return AuthError::kMalformed;
  peer_ = hello.node();
  const std::string& dialer_nonce = dialer_ ? nonce_ : hello.nonce();
  const std::string& acceptor_nonce = dialer_ ? hello.nonce() : nonce_;
  send_key_ = session_key(key_, self_, peer_, dialer_nonce, acceptor_nonce);
  recv_key_ = session_key(peer_key, peer_, self_, dialer_nonce, acceptor_nonce);
  established_ = true;
  return std::nullopt;
}

std::string SyncAuth::seal(const wire::SyncMessage& message) {
  wire::SyncFrame frame;
  frame.set_message(message.SerializeAsString());
  frame.set_mac(digest_string(hmac_sha256(send_key_, counter_prefixed(++sent_, frame.message()))));
  return frame.SerializeAsString();
}

std::optional<wire::SyncMessage> SyncAuth::open(std::string_view payload, AuthError& error) {
  wire::SyncFrame frame;
  if (!established_ || !frame.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      !frame.has_message()) {
    error = AuthError::kMalformed;
    return std::nullopt;
  }
  if (!hmac_verify(recv_key_, counter_prefixed(received_ + 1, frame.message()), frame.mac())) {
    error = AuthError::kBadMac;
    return std::nullopt;
  }
  ++received_;
  wire::SyncMessage message;
  if (!message.ParseFromString(frame.message())) {
    error = AuthError::kMalformed;
    return std::nullopt;
  }
  return message;
}

}  // namespace tandem::ha::sync
