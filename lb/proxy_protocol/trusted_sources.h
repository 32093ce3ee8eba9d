// Which peers may speak for someone else with a PROXY header: the listener's
// accept_proxy.trusted_sources, as address prefixes. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/address.h"

namespace tandem::lb::proxy_protocol {

class TrustedSources {
 public:
  /// From "198.18.0.5/32", "10.0.0.0/8", "::1" (parse_prefix); on a bad entry
  /// returns nullopt and sets ERROR naming it.
  static std::optional<TrustedSources> parse(const std::vector<std::string>& entries, std::string& error);

  /// Whether PEER is in one of the prefixes. An IPv4 peer seen on an IPv6
  /// socket (::ffff:a.b.c.d) matches as the IPv4 address it is.
  [[nodiscard]] bool trusts(const boost::asio::ip::address& peer) const;

 private:
  std::vector<Prefix> prefixes_;
};

}  // namespace tandem::lb::proxy_protocol
