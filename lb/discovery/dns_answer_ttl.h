// The smallest TTL among a DNS response's answer records of one type.
//
// c-ares 1.18 (Debian 12) parses SRV answers without their TTL
// (ares_parse_srv_reply), so the SRV record's own TTL would be lost and only
// the targets' A/AAAA TTLs would pace re-resolution: a service whose SRV set
// changes every few seconds but whose hosts' addresses are cached for an
// hour would be followed hourly. This reads the TTLs straight from the
// response (RFC 1035 §4.1), which c-ares has already checked only as far as
// its own parse needed.
//
// Pure and defensive: the bytes come from the network. Names are skipped, not
// followed (a compression pointer ends a name), every length is checked
// against the message, and a TTL with its top bit set counts as 0 (RFC 2181
// §8). Anything malformed gives nullopt, and the caller falls back to the
// addresses' TTLs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace tandem::lb {

// The smallest TTL in seconds of the answer-section records of TYPE in
// MESSAGE; nullopt when the message is malformed or has no such record.
std::optional<std::uint32_t> smallest_answer_ttl(std::span<const std::uint8_t> message, std::uint16_t type);

}  // namespace tandem::lb
