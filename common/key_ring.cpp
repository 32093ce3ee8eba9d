#include "common/key_ring.h"

#include <openssl/sha.h>

#include "common/hmac.h"

namespace tandem {

std::optional<int> KeyRing::verify(std::string_view data, std::string_view signature) const {
  if (hmac_verify(signing, data, signature)) return 0;
  if (!other.empty() && hmac_verify(other, data, signature)) return 1;
  return std::nullopt;
}

std::string key_fingerprint(std::string_view key) {
  static constexpr std::string_view kDomain{"tandem-key-id/1\0", 16};
  std::string input(kDomain);
  input.append(key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "k:";
  for (int i = 0; i < 5; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

bool read_key_ring(const std::string& key_path, const std::string& next_path, KeyRing& ring, std::string& error) {
  KeyRing out;
  if (!read_key_file(key_path, out.signing, error)) return false;
  if (!next_path.empty()) {
    if (!read_key_file(next_path, out.other, error)) return false;
    if (out.other == out.signing) out.other.clear();  // the same key twice: no rotation
  }
  ring = std::move(out);
  return true;
}

bool read_private_key_ring(const std::string& key_path, const std::string& next_path, KeyRing& ring,
                           std::string& error) {
  if (!key_file_is_private(key_path, error)) return false;
  if (!next_path.empty() && !key_file_is_private(next_path, error)) return false;
  return read_key_ring(key_path, next_path, ring, error);
}

}  // namespace tandem
