// The agent's admin listener (node.agent_admin, optional): GET /metrics
// (Prometheus text) and GET /status (the control status as JSON). One
// request per connection, 5 s deadline, 8 KiB header cap.
#pragma once

#include <functional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "ha/agent/asio_aliases.h"

namespace tandem::ha {

// What a GET of a path answers.
struct AdminReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminHttp {
 public:
  // Called with the request target's path; only GET/HEAD reach it.
  using Handler = std::function<AdminReply(const std::string& path)>;

  AdminHttp(asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, Handler handler);

  // Listens. Throws std::runtime_error on failure.
  void start();
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  asio::io_context& io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopped_ = false;
};

}  // namespace tandem::ha
