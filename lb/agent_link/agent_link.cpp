#include "lb/agent_link/agent_link.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <spdlog/spdlog.h>

#include "common/framing.h"

namespace tandem::lb {

using local_socket = asio::local::stream_protocol::socket;

AgentLink::AgentLink(asio::io_context& io, std::string socket_path, std::chrono::milliseconds interval,
                     HeartbeatSource source)
    : io_(io), path_(std::move(socket_path)), interval_(interval), source_(std::move(source)),
      running_(std::make_shared<bool>(true)) {
  asio::co_spawn(io_, run(), asio::detached);
}

AgentLink::~AgentLink() { stop(); }

void AgentLink::stop() { *running_ = false; }

awaitable<void> AgentLink::read_loop(local_socket& socket) {
  for (;;) {
    std::string payload;
    try {
      if (!co_await read_frame(socket, payload, 1 << 20)) co_return;
    } catch (const std::exception&) {
      co_return;
    }
    wire::AgentToProxy message;
    if (!message.ParseFromString(payload)) co_return;
    if (message.has_role() && message.role() != role_) {
      spdlog::info("agent_role role={}", message.role());
      role_ = message.role();
    }
    // Stick-table entries from peers arrive here with the sync issue.
  }
}

awaitable<void> AgentLink::heartbeat_loop(local_socket& socket, std::uint64_t& sequence) {
  auto running = running_;
  asio::steady_timer timer(io_);
  while (*running) {
    wire::ProxyToAgent message;
    *message.mutable_heartbeat() = source_();
    message.mutable_heartbeat()->set_sequence(++sequence);
    const std::string frame = encode_frame(message);
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(frame), use_nothrow);
    if (ec) co_return;
    timer.expires_after(interval_);
    co_await timer.async_wait(use_nothrow);
  }
}

awaitable<void> AgentLink::run() {
  auto running = running_;
  auto backoff = std::chrono::milliseconds(50);
  bool warned = false;
  std::uint64_t sequence = 0;
  asio::steady_timer timer(io_);
  while (*running) {
    local_socket socket(io_);
    auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(path_), use_nothrow);
    if (ec) {
      if (!warned) {
        spdlog::info("agent_link_waiting path={} error=\"{}\" (ha-agent not running yet?)", path_, ec.message());
        warned = true;
      }
      timer.expires_after(backoff);
      co_await timer.async_wait(use_nothrow);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      continue;
    }
    spdlog::info("agent_link_connected path={}", path_);
    connected_ = true;
    warned = false;
    backoff = std::chrono::milliseconds(50);
    {
      using namespace asio::experimental::awaitable_operators;
      // Either side ending ends the connection: the agent closing it, or a
      // heartbeat that cannot be written.
      co_await (read_loop(socket) || heartbeat_loop(socket, sequence));
    }
    connected_ = false;
    boost::system::error_code ignored;
    socket.close(ignored);
    if (*running) spdlog::warn("agent_link_lost path={} reconnecting=true", path_);
  }
}

}  // namespace tandem::lb
