// The stick-table merge rule on plain values, applied by the one store
// (common/stick/table.h) that the proxy's table and the agent's copy both
// are, so every process of the cluster decides the same way. Pure,
// header-only.
//
// The write with more remaining life wins (it was written later: entries
// travel with their REMAINING lifetime, so clocks need not agree); equal
// remaining lives (in whole ms) go to the higher origin name, then to the
// higher version. Removals are ordinary writes. An existing entry that has
// expired always loses; an incoming entry with 0 ms left never wins.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace tandem {

// True when an incoming write (INCOMING_MS left, ORIGIN, VERSION) replaces the
// existing one (EXISTING_EXPIRY, EXISTING_ORIGIN, EXISTING_VERSION) at NOW.
inline bool stick_incoming_wins(std::chrono::steady_clock::time_point existing_expiry,
                                std::string_view existing_origin, std::uint64_t existing_version,
                                std::uint32_t incoming_ms, std::string_view origin, std::uint64_t version,
                                std::chrono::steady_clock::time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (incoming_ms == 0) return false;
  if (existing_expiry <= now) return true;
  const auto left = duration_cast<milliseconds>(existing_expiry - now).count();
  if (static_cast<std::int64_t>(incoming_ms) != left) return incoming_ms > left;
  if (origin != existing_origin) return origin > existing_origin;
  return version > existing_version;
}

}  // namespace tandem
