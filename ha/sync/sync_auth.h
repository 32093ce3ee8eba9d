// Authentication of one peer-sync connection (common/proto/sync.proto).
// Pure: the nonce comes in, bytes in and out; no sockets.
//
// Handshake: each side first sends SyncFrame{hello, mac} where hello is a
// SyncHello {version 2, cluster, node, to, nonce (16 fresh random bytes)}
// and mac = HMAC-SHA256(K, "tandem-sync-hello/1" || hello). The receiver
// checks the mac, the cluster name, that `node` is a configured peer
// expected on this connection and that `to` is itself.
//
// Afterwards, each direction has its own session key
//   K_dir = HKDF-SHA256(ikm K, salt dialer_nonce || acceptor_nonce,
//                       info "tandem-sync-aead/2" || sender || 0 || receiver || 0)
// and frame n (n = 1, 2, ... counted by both ends, never sent) is
//   SyncFrame{sealed = AES-256-GCM(K_dir, nonce 0^32 || be64(n), message)}
// (ha/sync/frame_cipher.h): encrypted, so a capture of the sync port shows
// no stick key (no session cookie value), and authenticated. So a frame
// cannot be read or forged without K, replayed into another connection
// (fresh nonces, fresh keys), reordered, dropped or repeated within one (the
// counter is the nonce), nor reflected back to its sender (per-direction
// keys). A recorded hello replayed to us gets our fresh nonce back; its
// sender cannot seal anything after it, and nothing it sent is applied.
// Version 1 (frames in clear, HMAC only) is refused: bad_version.
//
// Replay after a restart: nothing here outlives a connection. The session
// keys depend on the nonce this process draws for each connection, so a
// capture from before a restart (of either end) is as useless as one from
// an earlier connection of the same run; no state needs persisting.
// A replayed hello proves only that it was once made by a key holder, so
// StickSync treats a connection as established (replaces the peer's current
// one, sends it the table, reports its loss to the failover machines) only
// once the peer's first frame opens under the session key: each side seals a
// ping right after it accepts the other's hello.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/proto/sync.pb.h"
#include "ha/sync/frame_cipher.h"

namespace tandem::ha::sync {

// Nonce size in bytes.
inline constexpr std::size_t kNonceBytes = 16;

// Why a frame was refused (for the metric label and the log).
enum class AuthError : std::uint8_t {
  kMalformed,     // not a SyncFrame / SyncHello / SyncMessage, or the wrong kind now
  kBadMac,        // MAC missing or wrong
  kWrongCluster,  // another cluster's hello
  kUnknownPeer,   // a node we do not sync with on this connection (or ourselves)
  kBadVersion,    // protocol version we do not speak
};

// "malformed", "bad_mac", "wrong_cluster", "unknown_peer", "bad_version".
std::string_view to_string(AuthError error);

// One connection's authentication state. See the file comment.
class SyncAuth {
 public:
  // KEY: the cluster key. SELF: our node name. NONCE: kNonceBytes fresh
  // random bytes. DIALER: we opened the connection.
  SyncAuth(std::string key, std::string cluster, std::string self, std::string nonce, bool dialer);

  // Also accept a peer whose hello is signed with OTHER_KEY (a key
  // rotation, common/key_ring.h). Each direction's session key derives from
  // the key its sender signed its hello with, so both ends agree.
  void accept_also(std::string other_key) { other_key_ = std::move(other_key); }

  // Our hello frame (payload for framing). EXPECTED_PEER: who we dialed
  // ("" for an acceptor, who learns it from the peer's hello).
  std::string hello(std::string_view expected_peer);

  // Checks the peer's hello. ALLOWED: node names accepted on this connection.
  // On success the session keys are ready and peer() names the sender.
  std::optional<AuthError> accept_hello(std::string_view payload, const std::set<std::string>& allowed);

  // Seals MESSAGE as the next frame of our direction (after the handshake).
  std::string seal(const wire::SyncMessage& message);

  // Opens the next frame from the peer; nullopt + ERROR on any failure (the
  // connection must then be closed: the counters are no longer in step).
  std::optional<wire::SyncMessage> open(std::string_view payload, AuthError& error);

  bool established() const { return established_; }
  const std::string& peer() const { return peer_; }

 private:
  std::string key_;
  std::string other_key_;  // empty: none
  std::string cluster_;
  std::string self_;
  std::string nonce_;
  bool dialer_;
  std::string peer_;
  std::optional<FrameCipher> send_;
  std::optional<FrameCipher> recv_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  bool established_ = false;
};

}  // namespace tandem::ha::sync
