#include "lb/agent_link/agent_link.h"

#include <algorithm>
#include <limits>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <spdlog/spdlog.h>

#include "common/control/proxy_status.h"
#include "common/framing.h"

namespace tandem::lb {

using local_socket = asio::local::stream_protocol::socket;

namespace {

constexpr std::size_t kMaxFrameFromAgent = 4u << 20;

}  // namespace

AgentLink::AgentLink(asio::io_context& io, std::string socket_path, std::chrono::milliseconds interval,
                     HeartbeatSource source, StickLinkHooks stick, OverlayLinkHooks overlay)
    : io_(io), path_(std::move(socket_path)), interval_(interval), source_(std::move(source)),
      stick_(std::move(stick)), overlay_(std::move(overlay)), state_(std::make_shared<LoopState>()), stick_link_(stick_.batch) {
  if (stick_.flush.count() <= 0) stick_.flush = std::chrono::milliseconds(20);
  asio::co_spawn(io_, run(), asio::detached);
}

AgentLink::~AgentLink() { stop(); }

void AgentLink::stop() { state_->running = false; }

awaitable<void> AgentLink::read_loop(local_socket& socket) {
  for (;;) {
    std::string payload;
    try {
      if (!co_await read_frame(socket, payload, kMaxFrameFromAgent)) co_return;
    } catch (const std::exception&) {
      co_return;
    }
    wire::AgentToProxy message;
    if (!message.ParseFromString(payload)) co_return;
    if (message.has_role() && message.role() != role_) {
      spdlog::info("agent_role role={}", control::node_role_name(message.role()));
      role_ = message.role();
    }
    if (message.has_stick() && stick_.apply) {
      if (stick_link_.incoming(message.stick(), stick_.apply) && state_->wake) state_->wake->cancel();  // ack at once
    }
    if (message.has_overlay() && overlay_.learned) overlay_.learned(message.overlay());
  }
}

void AgentLink::stick_frames(std::string& out) {
  if (!stick_.tables) return;
  for (auto& changes : stick_link_.outgoing(stick_.tables(), std::chrono::steady_clock::now())) {
    wire::ProxyToAgent message;
    *message.mutable_stick() = std::move(changes);
    out += encode_frame(message);
  }
}

awaitable<void> AgentLink::send_loop(local_socket& socket, std::uint64_t& sequence) {
  auto state = state_;
  asio::steady_timer timer(io_);
  const auto tick = stick_.tables ? std::min(interval_, stick_.flush) : interval_;
  auto next_heartbeat = std::chrono::steady_clock::now();
  state->wake = &timer;
  // Runs when the frame ends, also when it is destroyed suspended at exit,
  // after the link is gone: so it clears the shared state, not a member
  // (that wrote into freed memory at every stop of a proxy with its agent).
  struct Unwake {
    LoopState& state;
    ~Unwake() { state.wake = nullptr; }
  } unwake{*state};
  while (state->running) {
    std::string frames;
    const auto now = std::chrono::steady_clock::now();
    if (const auto acked = stick_link_.take_ack()) {
      wire::ProxyToAgent message;
      message.mutable_stick_applied()->set_snapshot_id(*acked);
      frames += encode_frame(message);
    }
    if (now >= next_heartbeat) {
      wire::ProxyToAgent message;
      *message.mutable_heartbeat() = source_();
      message.mutable_heartbeat()->set_sequence(++sequence);
      frames += encode_frame(message);
      next_heartbeat = now + interval_;
    }
    stick_frames(frames);
    if (overlay_due_ && overlay_.current) {
      wire::ProxyToAgent message;
      *message.mutable_overlay() = overlay_.current();
      frames += encode_frame(message);
      overlay_due_ = false;
    }
    if (!frames.empty()) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(frames), use_nothrow);
      if (ec) co_return;
    }
    timer.expires_after(tick);
    co_await timer.async_wait(use_nothrow);
  }
}

awaitable<void> AgentLink::run() {
  auto state = state_;
  // Retries stay well under the agent's grace for a proxy to (re)connect
  // (ha.proxy.dead_after_ms, 500 ms by default): a restarted agent must hear
  // us before it counts us dead and gives the VIP away. Connecting to a unix
  // socket costs next to nothing, so a short ceiling is cheap.
  constexpr auto kMaxBackoff = std::chrono::milliseconds(100);
  auto backoff = std::chrono::milliseconds(20);
  bool warned = false;
  std::uint64_t sequence = 0;
  asio::steady_timer timer(io_);
  while (state->running) {
    local_socket socket(io_);
    auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(path_), use_nothrow);
    if (ec) {
      if (!warned) {
        spdlog::info("agent_link_waiting path={} error=\"{}\" (ha-agent not running yet?)", path_, ec.message());
        warned = true;
      }
      timer.expires_after(backoff);
      co_await timer.async_wait(use_nothrow);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    spdlog::info("agent_link_connected path={}", path_);
    warned = false;
    backoff = std::chrono::milliseconds(20);
    stick_link_.connected();  // a new agent (or a new connection) gets the whole tables
    overlay_due_ = true;      // and our overlay
    {
      using namespace asio::experimental::awaitable_operators;
      // Either side ending ends the connection: the agent closing it, or a
      // frame that cannot be written.
      co_await (read_loop(socket) || send_loop(socket, sequence));
    }
    boost::system::error_code ignored;
    socket.close(ignored);
    if (state->running) spdlog::warn("agent_link_lost path={} reconnecting=true", path_);
  }
}

}  // namespace tandem::lb
