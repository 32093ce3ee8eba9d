// Parsing "ip:port" and "ip/prefix" strings from the configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace tandem {

struct HostPort {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
};

// Parses "198.18.0.1:80" or "[2001:db8::1]:80". Port 0 is refused unless
// ALLOW_ZERO_PORT. On failure returns nullopt and sets ERROR.
std::optional<HostPort> parse_host_port(std::string_view text, std::string& error,
                                        bool allow_zero_port = false);

struct Prefix {
  boost::asio::ip::address address;
  unsigned length = 0;  // prefix length; /32 (/128) when absent
};

// Parses "198.18.0.100/24", "2001:db8::1/64" or a bare address.
std::optional<Prefix> parse_prefix(std::string_view text, std::string& error);

// Formats an address and port as parse_host_port accepts it.
std::string format_host_port(const boost::asio::ip::address& address, std::uint16_t port);

}  // namespace tandem
