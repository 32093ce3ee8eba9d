// A stable 64-bit hash for balancing keys (source IPs, header/cookie values)
// and server names. "Stable": the same bytes give the same value on every
// node, process, run and build, so every node of the cluster maps a key to the
// same server. Never change these functions: doing so remaps every key.
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem::lb {

// Finalizer of MurmurHash3 (fmix64, Appleby): spreads every input bit over
// every output bit. Bijective.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51'AFD7'ED55'8CCDULL;
  x ^= x >> 33;
  x *= 0xC4CE'B9FE'1A85'EC53ULL;
  x ^= x >> 33;
  return x;
}

// FNV-1a 64 (Fowler/Noll/Vo) of BYTES, then mix64 so that short keys that
// differ in one byte still differ in the high bits.
constexpr std::uint64_t stable_hash(std::string_view bytes) noexcept {
  std::uint64_t h = 0xCBF2'9CE4'8422'2325ULL;  // FNV offset basis
  for (const char c : bytes) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x0000'0100'0000'01B3ULL;  // FNV prime
  }
  return mix64(h);
}

}  // namespace tandem::lb
