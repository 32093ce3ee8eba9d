#include "ha/control/control_client.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <google/protobuf/util/json_util.h>

#include "common/framing.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

using namespace boost::asio::experimental::awaitable_operators;

namespace {

// The exchange; errors come back as a message (never as an exception, so
// the deadline race below ends as soon as the exchange does).
awaitable<std::string> exchange(std::string path, wire::ControlRequest request, wire::ControlResponse& response) {
  auto executor = co_await asio::this_coro::executor;
  asio::local::stream_protocol::socket socket(executor);
  auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(path), use_nothrow);
  if (ec) co_return ec.message();
  try {
    co_await write_frame(socket, request);
    std::string payload;
    if (!co_await read_frame(socket, payload)) co_return "response too large";
    if (!response.ParseFromString(payload)) co_return "malformed response";
  } catch (const boost::system::system_error& e) {
    co_return e.code() == asio::error::eof ? std::string("connection closed without an answer") : e.code().message();
  }
  co_return "";
}

}  // namespace

std::optional<wire::ControlResponse> control_exchange(const std::string& path, const wire::ControlRequest& request,
                                                      std::chrono::milliseconds timeout, std::string& error) {
  asio::io_context io;
  std::optional<wire::ControlResponse> result;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        asio::steady_timer deadline(io, timeout);
        wire::ControlResponse response;
        auto got = co_await (exchange(path, request, response) || deadline.async_wait(use_nothrow));
        if (got.index() == 1) {
          error = "no answer within " + std::to_string(timeout.count()) + " ms";
        } else if (!std::get<0>(got).empty()) {
          error = std::get<0>(got);
        } else {
          result = std::move(response);
        }
      },
      asio::detached);
  io.run();
  return result;
}

std::string status_json(const wire::StatusResponse& status) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto st = google::protobuf::util::MessageToJsonString(status, &out, options);
  if (!st.ok()) return "{\"error\": \"cannot render status as JSON\"}";
  return out;
}

}  // namespace tandem::ha
