#include "ha/sync/sync_auth.h"

#include <array>

#include "common/hmac.h"
#include "common/key_ring.h"
#include "ha/sync/frame_cipher.h"

namespace tandem::ha::sync {

namespace {

constexpr std::string_view kHelloLabel = "tandem-sync-hello/1";
constexpr std::string_view kSessionLabel = "tandem-sync-aead/2";
// 2: frames encrypted (AES-256-GCM); 1 sent them in clear with an HMAC.
constexpr std::uint32_t kVersion = 2;

std::string digest_string(const Digest& d) { return std::string(reinterpret_cast<const char*>(d.data()), d.size()); }

// The key of the direction SENDER -> RECEIVER of one connection.
std::string session_key(std::string_view key, std::string_view sender, std::string_view receiver,
                        std::string_view dialer_nonce, std::string_view acceptor_nonce) {
  std::string info(kSessionLabel);
  info += sender;
  info.push_back('\0');
  info += receiver;
  info.push_back('\0');
  return hkdf_sha256(key, std::string(dialer_nonce) + std::string(acceptor_nonce), info, kCipherKeyBytes);
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
  send_.emplace(session_key(key_, self_, peer_, dialer_nonce, acceptor_nonce));
  recv_.emplace(session_key(peer_key, peer_, self_, dialer_nonce, acceptor_nonce));
  established_ = true;
  return std::nullopt;
}

std::string SyncAuth::seal(const wire::SyncMessage& message) {
  wire::SyncFrame frame;
  frame.set_sealed(send_->seal(++sent_, message.SerializeAsString()));
  return frame.SerializeAsString();
}

std::optional<wire::SyncMessage> SyncAuth::open(std::string_view payload, AuthError& error) {
  wire::SyncFrame frame;
  if (!established_ || !frame.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      !frame.has_sealed()) {
    error = AuthError::kMalformed;
    return std::nullopt;
  }
  auto plain = recv_->open(received_ + 1, frame.sealed());
  if (!plain) {
    error = AuthError::kBadMac;  // the tag: forged, tampered, replayed or out of order
    return std::nullopt;
  }
  ++received_;
  wire::SyncMessage message;
  if (!message.ParseFromString(*plain)) {
    error = AuthError::kMalformed;
    return std::nullopt;
  }
  return message;
}

}  // namespace tandem::ha::sync
