// Connected TCP sockets over loopback, for the tests of the runtime's socket
// code (relays, sends, the watchdog): real sockets, no mocks.
#pragma once

#include <boost/asio/read.hpp>

#include <string>

#include "lb/runtime/asio_aliases.h"

namespace tandem::lb::testing {

// Two connected sockets on IO.
struct SocketPair {
  tcp::socket a, b;
};

inline SocketPair connected(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  a.connect(acceptor.local_endpoint());
  acceptor.accept(b);
  return {std::move(a), std::move(b)};
}

// An io_context with one connected pair: NEAR is the socket under test, FAR
// its peer, read synchronously.
struct LoopbackPair {
  asio::io_context io;
  tcp::socket near{io};
  tcp::socket far{io};
  LoopbackPair() {
    auto [a, b] = connected(io);
    near = std::move(a);
    far = std::move(b);
  }
  std::string read(std::size_t n) {
    std::string got(n, '\0');
    asio::read(far, asio::buffer(got));
    return got;
  }
};

}  // namespace tandem::lb::testing
