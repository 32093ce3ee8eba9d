#include "ha/control/control_server.h"
#include "common/accept_loop.h"
#include "common/listen.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "common/framing.h"

namespace tandem::ha {

using namespace boost::asio::experimental::awaitable_operators;

namespace {

using socket_t = asio::local::stream_protocol::socket;

enum class ReadResult { frame, too_large, closed };

// read_frame without exceptions, so racing it against a timer ends as soon
// as the client goes away (awaitable || waits for one *success*).
awaitable<ReadResult> read_request(socket_t& socket, std::string& payload, std::size_t max_bytes) {
  try {
    co_return co_await read_frame(socket, payload, max_bytes) ? ReadResult::frame : ReadResult::too_large;
  } catch (const boost::system::system_error&) {
    co_return ReadResult::closed;
  }
}

awaitable<bool> write_response(socket_t& socket, const wire::ControlResponse& response) {
  try {
    co_await write_frame(socket, response);
    co_return true;
  } catch (const boost::system::system_error&) {
    co_return false;
  }
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : io_(io), path_(std::move(path)), handler_(std::move(handler)), acceptor_(io) {}

void ControlServer::start() {
  listen_unix(acceptor_, path_);
  asio::co_spawn(io_,
                 accept_loop(
                     acceptor_, [this] { return stopped_; },
                     [this](socket_t socket) {
                       asio::co_spawn(io_, serve(std::make_shared<socket_t>(std::move(socket))), asio::detached);
                     },
                     {"control_accept_failed"}),
                 asio::detached);
}

void ControlServer::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

awaitable<void> ControlServer::serve(std::shared_ptr<socket_t> socket) {
  for (;;) {
    std::string payload;
    asio::steady_timer idle(io_, kIdleTimeout);
    auto got = co_await (read_request(*socket, payload, kMaxRequestBytes) || idle.async_wait(use_nothrow));
    if (got.index() == 1 || std::get<0>(got) == ReadResult::closed) break;
    wire::ControlResponse response;
    wire::ControlRequest request;
    if (std::get<0>(got) == ReadResult::too_large) {
      response.set_error("request larger than " + std::to_string(kMaxRequestBytes) + " bytes");
    } else if (!request.ParseFromString(payload)) {
      response.set_error("malformed ControlRequest");
    } else {
      response = handler_(request);
    }
    asio::steady_timer deadline(io_, std::chrono::seconds{5});
    auto sent = co_await (write_response(*socket, response) || deadline.async_wait(use_nothrow));
    if (sent.index() == 1 || !std::get<0>(sent) || response.has_error()) break;
  }
  boost::system::error_code ignored;
  socket->close(ignored);
}

}  // namespace tandem::ha
