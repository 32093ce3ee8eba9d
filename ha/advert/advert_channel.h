// The advert socket: UDP on ha.port, multicast to ha.multicast_group on the
// node's interface (IP_MULTICAST_IF by the node's address, TTL 1, no
// loopback, group joined on that interface, SO_BINDTODEVICE), or unicast to
// every other node's address; always from the node's address (receivers
// check it: ha/advert/advert_codec.h, wrong_source). Moves bytes only: verifying is AdvertVerifier's
// job and deciding is the machines'.
//
// The socket is non-blocking: drain() reads every datagram already queued
// without waiting, which the agent does before acting on an expired timer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// Where adverts go and how the socket is set up.
struct AdvertChannelConfig {
  std::string interface;                          // node.interface
  boost::asio::ip::address local_address;         // node.address
  std::uint16_t port = 5798;
  bool unicast = false;
  boost::asio::ip::address group;                 // multicast
  std::vector<boost::asio::ip::address> unicast_peers;  // every other node
};

class AdvertChannel {
 public:
  // Called for each datagram received (its bytes and sender, whose address
  // the verifier compares with the named node's address).
  using OnDatagram = std::function<void(std::string_view bytes, const boost::asio::ip::udp::endpoint& from)>;

  AdvertChannel(asio::io_context& io, AdvertChannelConfig config);

  // Opens, configures and binds the socket. Throws std::runtime_error with a
  // message saying what failed.
  void open();

  // Reads whenever the socket is readable, handing each datagram to ON_DATAGRAM.
  void start(OnDatagram on_datagram);

  // Reads every datagram already queued, without blocking; returns how many.
  std::size_t drain();

  // Sends BYTES to the group (or every unicast peer). Returns the number of
  // destinations that failed; the first error goes to ERROR.
  std::size_t send(std::string_view bytes, std::string& error);

  void close();

  std::uint64_t sent() const { return sent_; }

 private:
  void wait_readable();
  boost::system::error_code send_from_node(std::string_view bytes, const boost::asio::ip::udp::endpoint& to);

  asio::io_context& io_;
  AdvertChannelConfig config_;
  boost::asio::ip::udp::socket socket_;
  OnDatagram on_datagram_;
  std::vector<char> buffer_;
  std::uint64_t sent_ = 0;
};

}  // namespace tandem::ha
