// Opening listening sockets the same way everywhere: TCP with SO_REUSEADDR
// and an error that says what to change, unix sockets with a stale file
// removed and mode 0600 (only root may talk to a control socket).
#pragma once

#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace tandem {

// Binds and listens on ENDPOINT. On failure throws std::runtime_error:
// "WHAT: cannot listen on IP:PORT: REASON (HINT)".
void listen_tcp(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                const std::string& what, const std::string& hint);

// Removes a stale socket file at PATH, binds, sets mode 0600 and listens.
// Throws boost::system::system_error on failure.
void listen_unix(boost::asio::local::stream_protocol::acceptor& acceptor, const std::string& path);

}  // namespace tandem
