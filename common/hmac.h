// HMAC-SHA256 signing with the cluster's shared key (adverts, sync, control).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem {

using Digest = std::array<std::uint8_t, 32>;

// HMAC-SHA256 of DATA under KEY.
Digest hmac_sha256(std::string_view key, std::string_view data);

// True when SIGNATURE is the HMAC of DATA under KEY; constant time.
bool hmac_verify(std::string_view key, std::string_view data, std::string_view signature);

// Minimum key length accepted from a key file.
inline constexpr std::size_t kMinKeyBytes = 16;

// Reads the shared key from PATH (surrounding whitespace stripped). On
// failure returns false and sets ERROR to a message saying what to do.
bool read_key_file(const std::string& path, std::string& key, std::string& error);

}  // namespace tandem
