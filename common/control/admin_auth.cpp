#include "common/control/admin_auth.h"

#include <charconv>

#include "common/hmac.h"

namespace tandem::control {

namespace {

constexpr std::string_view kDomain{"tandem-admin-request/1\0", 23};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (hex_value(c) < 0) return false;
  return true;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string admin_signing_bytes(std::string_view method, std::string_view target, std::string_view host,
                                std::uint64_t unix_ms, std::string_view nonce_hex) {
  std::string out(kDomain);
  for (auto part : {method, target, host}) {
    out.append(part);
    out.push_back('\0');
  }
  out.append(std::to_string(unix_ms));
  out.push_back('\0');
  out.append(nonce_hex);
  return out;
}

std::string admin_authorization(std::string_view key, std::string_view method, std::string_view target,
                                std::string_view host, std::uint64_t unix_ms, std::string_view nonce) {
  const std::string n = to_hex(nonce);
  const auto mac = hmac_sha256(key, admin_signing_bytes(method, target, host, unix_ms, n));
  return std::string(kAdminAuthScheme) + " t=" + std::to_string(unix_ms) + ",n=" + n +
         ",s=" + to_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

std::optional<AdminCredentials> parse_admin_authorization(std::string_view header) {
  if (header.size() > 512 || header.substr(0, kAdminAuthScheme.size()) != kAdminAuthScheme) return std::nullopt;
  header.remove_prefix(kAdminAuthScheme.size());
  if (header.empty() || header.front() != ' ') return std::nullopt;
  header.remove_prefix(1);
  AdminCredentials out;
  bool have_t = false, have_s = false;
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto field = header.substr(0, comma);
    while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
    if (field.size() < 2 || field[1] != '=') return std::nullopt;
    const auto value = field.substr(2);
    switch (field[0]) {
      case 't': {
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out.unix_ms);
        if (ec != std::errc() || p != value.data() + value.size() || value.empty()) return std::nullopt;
        have_t = true;
        break;
      }
      case 'n':
        if (value.size() < 16 || value.size() > 64 || !is_hex(value)) return std::nullopt;
        out.nonce_hex = std::string(value);
        break;
      case 's':
        if (value.size() != 64 || !is_hex(value)) return std::nullopt;
        out.mac.clear();
        for (std::size_t i = 0; i < value.size(); i += 2)
          out.mac.push_back(static_cast<char>(hex_value(value[i]) * 16 + hex_value(value[i + 1])));
        have_s = true;
        break;
      default:
        return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (!have_t || !have_s || out.nonce_hex.empty()) return std::nullopt;
  return out;
}

}  // namespace tandem::control
