// The agent's admin listener (node.agent_admin, optional): GET /metrics
// (Prometheus text), GET /status (the control status as JSON) and, with an
// async handler, the status page (ha/control/status_page.h). One
// request per connection, 5 s deadline, 8 KiB header cap.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "ha/control/admin_reply.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

class AdminHttp {
 public:
  // Called with the request target's path; only GET/HEAD reach it.
  using Handler = std::function<AdminReply(const std::string& path)>;

  // Asked first; nullopt passes the path on to the Handler. For answers that
  // wait on the network (the status page's cluster view).
  using AsyncHandler = std::function<awaitable<std::optional<AdminReply>>(std::string path)>;
  // Appended to a 200 answer of /metrics (other components' counters).
  using ExtraMetrics = std::function<std::string()>;

  AdminHttp(asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, Handler handler);

  void set_async_handler(AsyncHandler handler) { async_handler_ = std::move(handler); }
  void set_extra_metrics(ExtraMetrics extra) { extra_metrics_ = std::move(extra); }

  // Listens. Throws std::runtime_error on failure.
  void start();
  void stop();

 private:
  awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  asio::io_context& io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  Handler handler_;
  AsyncHandler async_handler_;
  ExtraMetrics extra_metrics_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopped_ = false;
};

}  // namespace tandem::ha
