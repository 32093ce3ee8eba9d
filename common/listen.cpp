#include "common/listen.h"

#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "common/address.h"

namespace tandem {

void listen_tcp(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                const std::string& what, const std::string& hint) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(what + ": cannot listen on " + format_host_port(endpoint.address(), endpoint.port()) +
                             ": " + ec.message() + (hint.empty() ? "" : " (" + hint + ")"));
  }
}

void listen_unix(boost::asio::local::stream_protocol::acceptor& acceptor, const std::string& path) {
  ::unlink(path.c_str());
  boost::asio::local::stream_protocol::endpoint endpoint(path);
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  ::chmod(path.c_str(), 0600);
  acceptor.listen();
}

}  // namespace tandem
