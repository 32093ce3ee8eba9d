// The PROXY protocol, versions 1 (text) and 2 (binary), as HAProxy specifies
// it (doc/proxy-protocol.txt): the header an L4 balancer puts in front of a
// connection to say whose it is. Pure and strict: a byte-fed parser with hard
// caps that never reads past the header, and the two encoders for the header
// we send to backends.
//
// The parser's contract, which lets the shell read from the socket without
// ever consuming a byte of the payload: while it answers need_more, every
// byte it was given belongs to the header (v1: no LF yet; v2: fewer than the
// length the fixed part announced), so the shell may consume them all; once
// complete, `length` says exactly where the payload starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace tandem::lb::proxy_protocol {

/// The longest header we accept: a v1 line is at most 107 bytes; a v2 header
/// (16 fixed bytes, addresses, TLVs) at most this. Longer is refused: the
/// balancers in front of us send TLVs of a few hundred bytes at most.
inline constexpr std::size_t kMaxHeader = 2048;
inline constexpr std::size_t kMaxV1 = 107;

/// One end of the proxied connection.
struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// What a complete header says.
struct Header {
  unsigned version = 0;     ///< 1 or 2
  /// The addresses of the proxied connection; absent for a v2 LOCAL command
  /// (the balancer's own health check), v1 UNKNOWN, and the unspec and unix
  /// families: the connection then counts as the balancer's own.
  std::optional<Endpoint> source;
  std::optional<Endpoint> destination;
  bool local = false;       ///< v2 LOCAL: the sender speaks for itself
  std::size_t length = 0;   ///< header bytes, where the payload starts
};

enum class Status { complete, need_more, invalid };

struct Result {
  Status status = Status::need_more;
  Header header;              ///< when complete
  std::string_view error;     ///< when invalid: why, for the log (static text)
};

/// Parses the start of a connection, BYTES being everything received so far.
[[nodiscard]] Result parse(std::span<const std::uint8_t> bytes);

/// The v1 line for a connection from SOURCE to DESTINATION ("PROXY TCP4 ...\r\n").
/// Mixed families are both written as IPv6 (v4-mapped), as HAProxy does.
[[nodiscard]] std::string encode_v1(const Endpoint& source, const Endpoint& destination);

/// The v2 header (PROXY command, TCP over IPv4 or IPv6, no TLVs).
[[nodiscard]] std::string encode_v2(const Endpoint& source, const Endpoint& destination);

}  // namespace tandem::lb::proxy_protocol
