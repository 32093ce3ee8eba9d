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

// Minimum key length accepted from a key file: HMAC-SHA256's output size, as
// RFC 2104 §3 advises (a shorter key weakens the MAC). `head -c 32
// /dev/urandom | base64` writes 44 bytes.
inline constexpr std::size_t kMinKeyBytes = 32;

// Reads the shared key from PATH (surrounding whitespace stripped); refuses a
// key shorter than kMinKeyBytes. On failure returns false and sets ERROR to a
// message saying what to do.
bool read_key_file(const std::string& path, std::string& key, std::string& error);

// False, with ERROR saying what to run, when every user of this host may read
// the key file at PATH (or it cannot be stat'ed). The daemons refuse such a
// key (the key forges adverts and control requests: keep it 0600, or 0640
// for the `tandem` group); lbctl, an operator's tool, does not ask.
bool key_file_is_private(const std::string& path, std::string& error);

}  // namespace tandem
