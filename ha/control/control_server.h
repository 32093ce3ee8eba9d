// The control socket (node.control_socket): a unix stream socket, mode
// 0600, stale file removed at start. Each connection carries framed
// ControlRequest -> ControlResponse pairs (common/proto/control.proto,
// common/framing.h); idle connections are closed after kIdleTimeout.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>

#include "common/proto/control.pb.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

class ControlServer {
 public:
  using Handler = std::function<wire::ControlResponse(const wire::ControlRequest&)>;

  static constexpr std::chrono::seconds kIdleTimeout{10};
  static constexpr std::size_t kMaxRequestBytes = 64 * 1024;

  ControlServer(asio::io_context& io, std::string path, Handler handler);

  // Removes a stale socket file and listens (mode 0600). Throws on failure.
  void start();
  // Closes the listener and removes the socket file.
  void stop();

 private:
  using socket_t = asio::local::stream_protocol::socket;
  awaitable<void> serve(std::shared_ptr<socket_t> socket);

  asio::io_context& io_;
  std::string path_;
  Handler handler_;
  asio::local::stream_protocol::acceptor acceptor_;
  bool stopped_ = false;
};

}  // namespace tandem::ha
