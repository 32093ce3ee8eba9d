#include "lb/tls/ticket_keys.h"

#include <algorithm>
#include <cstring>

#include "common/hmac.h"

namespace tandem::lb::tls {

TicketKeys::TicketKeys(std::vector<std::string> secrets, std::chrono::seconds period)
    : secrets_(std::move(secrets)), period_(std::max(period, std::chrono::seconds(1))) {}

std::uint64_t TicketKeys::period_at(std::chrono::system_clock::time_point now) const {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return seconds < 0 ? 0 : static_cast<std::uint64_t>(seconds) / static_cast<std::uint64_t>(period_.count());
}

TicketKey TicketKeys::derive(const std::string& secret, std::uint64_t period) const {
  // The label, the period (8 bytes, big-endian) and the part's name: each
  // part an independent HMAC output (HMAC as a PRF, as in HKDF-Expand).
  std::string base = "tandem-tls-ticket/1";
  base.push_back('\0');
  for (int shift = 56; shift >= 0; shift -= 8) base.push_back(static_cast<char>((period >> shift) & 0xff));
  TicketKey key;
  key.period = period;
  const auto name = hmac_sha256(secret, base + "name");
  std::memcpy(key.name.data(), name.data(), key.name.size());
  key.aes_key = hmac_sha256(secret, base + "aes");
  key.hmac_key = hmac_sha256(secret, base + "hmac");
  return key;
}

TicketKey TicketKeys::issuing(std::chrono::system_clock::time_point now) const {
  return derive(secrets_.front(), period_at(now));
}

std::optional<TicketKeys::Found> TicketKeys::find(const std::array<std::uint8_t, 16>& name,
                                                  std::chrono::system_clock::time_point now) const {
  const auto current = period_at(now);
  for (std::size_t s = 0; s < secrets_.size(); ++s) {
    for (const std::uint64_t period : {current, current - 1, current + 1}) {
      if (period == static_cast<std::uint64_t>(-1)) continue;
      auto key = derive(secrets_[s], period);
      if (key.name == name) return Found{key, s != 0 || period != current};
    }
  }
  return std::nullopt;
}

}  // namespace tandem::lb::tls
