#include "lb/proxy_protocol/trusted_sources.h"

namespace tandem::lb::proxy_protocol {

namespace {

namespace ip = boost::asio::ip;

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// Whether the first LENGTH bits of A and B agree.
template <class Bytes>
bool same_prefix(const Bytes& a, const Bytes& b, unsigned length) {
  for (std::size_t i = 0; i < a.size() && length > 0; ++i) {
    const unsigned bits = length >= 8 ? 8 : length;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    length -= bits;
  }
  return true;
}

}  // namespace

std::optional<TrustedSources> TrustedSources::parse(const std::vector<std::string>& entries, std::string& error) {
  TrustedSources out;
  for (const auto& entry : entries) {
    std::string why;
    auto prefix = parse_prefix(entry, why);
    if (!prefix) {
      error = "trusted source \"" + entry + "\": " + why;
      return std::nullopt;
    }
    prefix->address = unmapped(prefix->address);
    out.prefixes_.push_back(*prefix);
  }
  return out;
}

bool TrustedSources::trusts(const ip::address& peer) const {
  const auto a = unmapped(peer);
  for (const auto& p : prefixes_) {
    if (a.is_v4() && p.address.is_v4() && same_prefix(a.to_v4().to_bytes(), p.address.to_v4().to_bytes(), p.length))
      return true;
    if (a.is_v6() && p.address.is_v6() && same_prefix(a.to_v6().to_bytes(), p.address.to_v6().to_bytes(), p.length))
      return true;
  }
  return false;
}

}  // namespace tandem::lb::proxy_protocol
