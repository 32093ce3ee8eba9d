#include "common/address.h"

#include <charconv>

namespace tandem {

namespace {

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text, std::string& error, bool allow_zero_port) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "'" + std::string(text) + "' is not [ipv6]:port";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "'" + std::string(text) + "' has no port (write ip:port)";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) {
    error = "'" + std::string(host) + "' is not an IP address";
    return std::nullopt;
  }
  unsigned value = 0;
  if (!parse_number(port, value) || value > 65535 || (value == 0 && !allow_zero_port)) {
    error = "'" + std::string(port) + "' is not a port (1-65535)";
    return std::nullopt;
  }
  return HostPort{address, static_cast<std::uint16_t>(value)};
}

std::optional<Prefix> parse_prefix(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  const std::string_view host = text.substr(0, slash);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) {
    error = "'" + std::string(host) + "' is not an IP address";
    return std::nullopt;
  }
  const unsigned max = address.is_v4() ? 32 : 128;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    if (!parse_number(text.substr(slash + 1), length) || length > max) {
      error = "'" + std::string(text.substr(slash + 1)) + "' is not a prefix length (0-" +
              std::to_string(max) + ")";
      return std::nullopt;
    }
  }
  return Prefix{address, length};
}

std::string format_host_port(const boost::asio::ip::address& address, std::uint16_t port) {
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

}  // namespace tandem
