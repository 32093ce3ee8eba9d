#include "lb/proxy_protocol/header.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace tandem::lb::proxy_protocol {

namespace {

namespace ip = boost::asio::ip;

constexpr std::array<std::uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";

Result invalid(std::string_view why) { return Result{.status = Status::invalid, .header = {}, .error = why}; }
Result need_more() { return Result{}; }

// True when BYTES is a prefix of PATTERN, or PATTERN a prefix of BYTES.
template <class Pattern>
bool agrees(std::span<const std::uint8_t> bytes, const Pattern& pattern) {
  const std::size_t n = std::min(bytes.size(), std::size(pattern));
  for (std::size_t i = 0; i < n; ++i)
    if (bytes[i] != static_cast<std::uint8_t>(pattern[i])) return false;
  return true;
}

// A decimal port: 1 to 5 digits, no sign, at most 65535.
std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;  // "0080": the spec writes ports without padding
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<ip::address> parse_address(std::string_view s, bool v6) {
  boost::system::error_code ec;
  // inet_pton underneath: strict dotted quad for IPv4, no zone ids accepted below.
  if (s.empty() || s.find('%') != std::string_view::npos) return std::nullopt;
  if (v6) {
    auto a = ip::make_address_v6(std::string(s), ec);
    if (ec) return std::nullopt;
    return ip::address(a);
  }
  auto a = ip::make_address_v4(std::string(s), ec);
  if (ec) return std::nullopt;
  return ip::address(a);
}

// "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", "PROXY TCP6 ...", "PROXY UNKNOWN...\r\n".
Result parse_v1(std::span<const std::uint8_t> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kMaxV1));
  const auto lf = text.find('\n');
  if (lf == std::string_view::npos) {
    if (bytes.size() >= kMaxV1) return invalid("v1 header longer than 107 bytes");
    // Only printable ASCII and the final CR belong in a v1 line.
    for (char c : text)
      if ((c < 0x20 || c > 0x7e) && c != '\r') return invalid("v1 header has a control character");
    return need_more();
  }
  if (lf == 0 || text[lf - 1] != '\r') return invalid("v1 header line does not end in CRLF");
  std::string_view line = text.substr(kV1Prefix.size(), lf - 1 - kV1Prefix.size());
  for (char c : line)
    if (c < 0x20 || c > 0x7e) return invalid("v1 header has a control character");
  Result r{.status = Status::complete, .header = {.version = 1, .length = lf + 1}, .error = {}};
  if (line.starts_with("UNKNOWN")) return r;  // the receiver ignores the rest of the line (the spec)
  std::array<std::string_view, 5> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto space = line.find(' ');
    if (i + 1 < parts.size()) {
      if (space == std::string_view::npos) return invalid("v1 header has too few fields");
      parts[i] = line.substr(0, space);
      line.remove_prefix(space + 1);
    } else {
      if (space != std::string_view::npos) return invalid("v1 header has too many fields");
      parts[i] = line;
    }
  }
  bool v6 = false;
  if (parts[0] == "TCP6") v6 = true;
  else if (parts[0] != "TCP4") return invalid("v1 header has an unknown protocol (TCP4, TCP6, UNKNOWN)");
  const auto src = parse_address(parts[1], v6);
  const auto dst = parse_address(parts[2], v6);
  if (!src || !dst) return invalid("v1 header has a bad address for its protocol");
  const auto sport = parse_port(parts[3]);
  const auto dport = parse_port(parts[4]);
  if (!sport || !dport) return invalid("v1 header has a bad port");
  r.header.source = Endpoint{*src, *sport};
  r.header.destination = Endpoint{*dst, *dport};
  return r;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// 12-byte signature, version/command, family/transport, 16-bit length, then
// the address block and TLVs.
Result parse_v2(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 16) return need_more();
  const std::uint8_t ver_cmd = bytes[12];
  if ((ver_cmd >> 4) != 2) return invalid("v2 header has an unknown version");
  const unsigned command = ver_cmd & 0x0F;
  if (command > 1) return invalid("v2 header has an unknown command");
  const unsigned family = bytes[13] >> 4;
  const unsigned transport = bytes[13] & 0x0F;
  if (family > 3 || transport > 2) return invalid("v2 header has an unknown address family or transport");
  const std::size_t length = be16(&bytes[14]);
  if (16 + length > kMaxHeader) return invalid("v2 header longer than the limit");
  if (bytes.size() < 16 + length) return need_more();
  const std::uint8_t* block = bytes.data() + 16;
  Result r{.status = Status::complete, .header = {.version = 2, .length = 16 + length}, .error = {}};
  if (command == 0) {  // LOCAL: the balancer itself (a health check); the block is ignored
    r.header.local = true;
    return r;
  }
  std::size_t addresses = 0;
  switch (family) {
    case 1: addresses = 12; break;   // INET: 4 + 4 + 2 + 2
    case 2: addresses = 36; break;   // INET6: 16 + 16 + 2 + 2
    case 3: addresses = 216; break;  // UNIX: 108 + 108
    default: addresses = 0; break;   // UNSPEC: the receiver uses the real connection's
  }
  if (length < addresses) return invalid("v2 header too short for its address family");
  if ((family == 1 || family == 2) && transport == 0) return invalid("v2 header has an address but no transport");
  if (family == 1) {
    ip::address_v4::bytes_type s{}, d{};
    std::memcpy(s.data(), block, 4);
    std::memcpy(d.data(), block + 4, 4);
    r.header.source = Endpoint{ip::address_v4(s), be16(block + 8)};
    r.header.destination = Endpoint{ip::address_v4(d), be16(block + 10)};
  } else if (family == 2) {
    ip::address_v6::bytes_type s{}, d{};
    std::memcpy(s.data(), block, 16);
    std::memcpy(d.data(), block + 16, 16);
    r.header.source = Endpoint{ip::address_v6(s), be16(block + 32)};
    r.header.destination = Endpoint{ip::address_v6(d), be16(block + 34)};
  }
  // TLVs are skipped, but each must fit (type, 16-bit length, value).
  std::size_t at = addresses;
  while (at < length) {
    if (length - at < 3) return invalid("v2 header has a truncated TLV");
    const std::size_t tlv = be16(block + at + 1);
    if (length - at - 3 < tlv) return invalid("v2 header has a TLV longer than the header");
    at += 3 + tlv;
  }
  return r;
}

// Both ends in one family: IPv6 (v4-mapped) when they differ.
std::pair<ip::address, ip::address> same_family(const Endpoint& a, const Endpoint& b) {
  if (a.address.is_v4() == b.address.is_v4()) return {a.address, b.address};
  auto v6 = [](const ip::address& x) {
    return x.is_v6() ? x : ip::address(ip::make_address_v6(ip::v4_mapped, x.to_v4()));
  };
  return {v6(a.address), v6(b.address)};
}

}  // namespace

Result parse(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return need_more();
  if (agrees(bytes, kV2Signature)) {
    if (bytes.size() < kV2Signature.size()) return need_more();
    return parse_v2(bytes);
  }
  if (agrees(bytes, kV1Prefix)) {
    if (bytes.size() < kV1Prefix.size()) return need_more();
    return parse_v1(bytes);
  }
  return invalid("no PROXY protocol signature");
}

std::string encode_v1(const Endpoint& source, const Endpoint& destination) {
  const auto [s, d] = same_family(source, destination);
  std::string out = s.is_v4() ? "PROXY TCP4 " : "PROXY TCP6 ";
  out += s.to_string();
  out += ' ';
  out += d.to_string();
  out += ' ';
  out += std::to_string(source.port);
  out += ' ';
  out += std::to_string(destination.port);
  out += "\r\n";
  return out;
}

std::string encode_v2(const Endpoint& source, const Endpoint& destination) {
  const auto [s, d] = same_family(source, destination);
  std::string out(kV2Signature.begin(), kV2Signature.end());
  out += static_cast<char>(0x21);  // version 2, PROXY
  const bool v4 = s.is_v4();
  out += static_cast<char>(v4 ? 0x11 : 0x21);  // INET or INET6, STREAM
  const std::size_t block = v4 ? 12 : 36;
  out += static_cast<char>(block >> 8);
  out += static_cast<char>(block & 0xFF);
  auto put = [&](const auto& bytes) { out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size()); };
  if (v4) {
    put(s.to_v4().to_bytes());
    put(d.to_v4().to_bytes());
  } else {
    put(s.to_v6().to_bytes());
    put(d.to_v6().to_bytes());
  }
  for (std::uint16_t port : {source.port, destination.port}) {
    out += static_cast<char>(port >> 8);
    out += static_cast<char>(port & 0xFF);
  }
  return out;
}

}  // namespace tandem::lb::proxy_protocol
