#include "ha/control/admin_http.h"
#include "common/accept_loop.h"
#include "common/listen.h"

#include <stdexcept>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace tandem::ha {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

AdminHttp::AdminHttp(asio::io_context& io, tcp::endpoint endpoint, Handler handler)
    : io_(io), endpoint_(endpoint), handler_(std::move(handler)), acceptor_(io) {}

void AdminHttp::start() {
  listen_tcp(acceptor_, endpoint_, "agent_admin", "change the node's agent_admin");
  asio::co_spawn(io_,
                 accept_loop(
                     acceptor_, [this] { return stopped_; },
                     [this](tcp::socket socket) { asio::co_spawn(io_, serve(std::move(socket)), asio::detached); },
                     {"agent_admin_accept_failed"}),
                 asio::detached);
}

void AdminHttp::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void> AdminHttp::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(8192);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8192);
  stream.expires_after(std::chrono::seconds(5));
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
  (void)n;
  http::response<http::string_body> res;
  if (ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) co_return;
    res.result(http::status::bad_request);
    res.body() = "bad request\n";
  } else {
    const auto& req = parser.get();
    res.version(req.version());
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "only GET\n";
    } else {
      std::string target(req.target());
      const auto q = target.find('?');
      if (q != std::string::npos) target.resize(q);
      std::optional<AdminReply> async_reply;
      if (async_handler_) async_reply = co_await async_handler_(target);
      AdminReply reply = async_reply ? std::move(*async_reply) : handler_(target);
      if (target == "/metrics" && reply.status == 200 && extra_metrics_) reply.body += extra_metrics_();
      res.result(reply.status);
      res.set(http::field::content_type, reply.content_type);
      if (req.method() != http::verb::head) res.body() = std::move(reply.body);
    }
  }
  res.set(http::field::server, "ha-agent");
  res.keep_alive(false);
  res.prepare_payload();
  co_await http::async_write(stream, res, use_nothrow);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace tandem::ha
