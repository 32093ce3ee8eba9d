// Authenticated encryption of peer-sync frames: AES-256-GCM (OpenSSL EVP)
// with an implicit 64-bit frame counter as the nonce, and HKDF-SHA256 to
// derive the per-direction keys. Pure: bytes in, bytes out; no sockets.
//
// The nonce of frame n is 4 zero bytes || be64(n); n is counted by both ends
// and never sent. A key is used for one direction of one connection only, so
// a (key, nonce) pair never repeats; and a frame opened with any counter but
// the one it was sealed under fails its tag: a replayed, reordered or
// dropped frame is refused like a forged one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::ha::sync {

inline constexpr std::size_t kCipherKeyBytes = 32;
inline constexpr std::size_t kCipherTagBytes = 16;

// HKDF-SHA256 (RFC 5869): LENGTH bytes from IKM, SALT and INFO. Throws
// std::runtime_error when OpenSSL fails (it does not for these inputs).
std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, std::size_t length);

// AES-256-GCM under one kCipherKeyBytes key.
class FrameCipher {
 public:
  explicit FrameCipher(std::string key);

  // PLAINTEXT sealed as frame COUNTER: ciphertext || 16-byte tag.
  std::string seal(std::uint64_t counter, std::string_view plaintext) const;
  // The plaintext of SEALED as frame COUNTER, or nullopt when the tag does
  // not match (forged, tampered, another counter or another key).
  std::optional<std::string> open(std::uint64_t counter, std::string_view sealed) const;

 private:
  std::string key_;
};

}  // namespace tandem::ha::sync
