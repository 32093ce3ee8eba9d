// The cluster key and, during a rotation, a second accepted key
// (ha.key_file and ha.next_key_file). Everything a process sends is signed
// with `signing`; what it receives verifies under either key, so nodes can
// switch keys one at a time with no refused message (docs/security.md,
// "Rotating the key"). Pure: no I/O besides read_key_ring.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tandem {

struct KeyRing {
  std::string signing;  // signs what we send; also accepted
  std::string other;    // accepted too; empty when no rotation is under way

  // Which key SIGNATURE verifies DATA under (HMAC-SHA256): 0 signing,
  // 1 other; nullopt neither. Constant time per key.
  std::optional<int> verify(std::string_view data, std::string_view signature) const;
  // The key at INDEX (as verify returns it).
  const std::string& at(int index) const { return index == 0 ? signing : other; }
};

// A short public name of KEY ("k:3fa2c1d04b"): the first 5 bytes of
// SHA-256("tandem-key-id/1\0" | key) in hex. Safe to log and show: it tells
// keys apart without revealing them.
std::string key_fingerprint(std::string_view key);

// Reads KEY_PATH (and NEXT_PATH when not empty) into RING, with
// read_key_file's checks. False with ERROR saying what to do otherwise.
bool read_key_ring(const std::string& key_path, const std::string& next_path, KeyRing& ring, std::string& error);

// read_key_ring for a daemon (ha-agent, lb-proxy), at start and at every
// SIGHUP: also refuses a key file every user can read (key_file_is_private),
// so a reload cannot bring in a key that a start would have refused.
bool read_private_key_ring(const std::string& key_path, const std::string& next_path, KeyRing& ring,
                           std::string& error);

}  // namespace tandem
