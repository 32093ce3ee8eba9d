#include "common/control/remote_client.h"

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/control/auth.h"
#include "common/framing.h"

namespace tandem::control {

namespace asio = boost::asio;
using asio::awaitable;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxResponseBytes = 8u << 20;  // a proxy status or stick table fits

std::uint64_t unix_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// The exchange; errors come back as a message, never as an exception, so
// the deadline race ends as soon as either side does.
awaitable<std::string> exchange(const Call& call, const CallOptions& options, wire::ControlResponse& response,
                                int& key_index) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(call.target.host, ec);
  if (ec) co_return "bad address '" + call.target.host + "'";
  tcp::socket socket(executor);
  auto [cec] = co_await socket.async_connect(tcp::endpoint(address, call.target.port), use_nothrow);
  if (cec) co_return "connect " + call.target.host + ":" + std::to_string(call.target.port) + ": " + cec.message();
  socket.set_option(tcp::no_delay(true), ec);
  const std::string nonce = random_nonce();
  const auto signed_request =
      sign_request(options.keys.signing, call.request, unix_now_ms(), call.target.node, nonce, options.client);
  try {
    co_await write_frame(socket, signed_request);
    std::string payload;
    if (!co_await read_frame(socket, payload, kMaxResponseBytes))
      co_return "not a Tandem control endpoint (answer framed over " + std::to_string(kMaxResponseBytes >> 20) +
          " MiB)";
    wire::SignedResponse signed_response;
    if (!signed_response.ParseFromString(payload)) co_return "not a Tandem control endpoint (unparsable answer)";
    std::string error;
    auto opened = open_response(options.keys, signed_response, call.target.node, nonce, error);
    if (!opened) co_return error;
    response = std::move(opened->response);
    key_index = opened->key_index;
  } catch (const boost::system::system_error& e) {
    co_return e.code() == asio::error::eof ? std::string("connection closed without an answer") : e.code().message();
  }
  co_return "";
}

awaitable<CallResult> one_call(Call call, CallOptions options) {
  auto executor = co_await asio::this_coro::executor;
  CallResult result;
  result.node = call.target.node;
  const auto start = std::chrono::steady_clock::now();
  asio::steady_timer deadline(executor, options.timeout);
  wire::ControlResponse response;
  int key_index = -1;
  auto got = co_await (exchange(call, options, response, key_index) || deadline.async_wait(use_nothrow));
  result.answered_at = std::chrono::steady_clock::now();
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(result.answered_at - start);
  if (got.index() == 1) {
    result.error = "no answer within " + std::to_string(options.timeout.count()) + " ms";
  } else if (!std::get<0>(got).empty()) {
    result.error = std::get<0>(got);
  } else {
    result.response = std::move(response);
    result.key_index = key_index;
  }
  co_return result;
}

}  // namespace

awaitable<std::vector<CallResult>> call_each(std::vector<Call> calls, CallOptions options) {
  auto executor = co_await asio::this_coro::executor;
  struct Shared {
    explicit Shared(asio::any_io_executor ex, std::size_t n)
        : results(n), remaining(n), done(ex, asio::steady_timer::time_point::max()) {}
    std::vector<CallResult> results;
    std::size_t remaining;
    asio::steady_timer done;
  };
  auto shared = std::make_shared<Shared>(executor, calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    shared->results[i].node = calls[i].target.node;
    asio::co_spawn(executor, one_call(std::move(calls[i]), options),
                   [shared, i](std::exception_ptr e, CallResult r) {
                     if (e) {
                       shared->results[i].error = "internal error";
                     } else {
                       shared->results[i] = std::move(r);
                     }
                     if (--shared->remaining == 0) shared->done.cancel();
                   });
  }
  if (shared->remaining > 0) co_await shared->done.async_wait(use_nothrow);
  co_return std::move(shared->results);
}

std::vector<CallResult> call_each_blocking(std::vector<Call> calls, const CallOptions& options) {
  asio::io_context io;
  std::vector<CallResult> out;
  asio::co_spawn(io, call_each(std::move(calls), options), [&](std::exception_ptr e, std::vector<CallResult> r) {
    if (!e) out = std::move(r);
  });
  io.run();
  return out;
}

std::vector<CallResult> call_all_blocking(const std::vector<Target>& targets, const wire::ControlRequest& request,
                                          const CallOptions& options) {
  std::vector<Call> calls;
  for (const auto& t : targets) calls.push_back(Call{t, request});
  return call_each_blocking(std::move(calls), options);
}

}  // namespace tandem::control
