#include "ha/track/proxy_tracker.h"
#include "common/accept_loop.h"
#include "common/listen.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "common/framing.h"
#include "common/proto/local_channel.pb.h"

namespace tandem::ha {

namespace {

long long ms_between(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<Milliseconds>(to - from).count();
}

// Frames from the proxy are heartbeats and stick changes; stick snapshots
// are sent as many frames, each far below this.
constexpr std::size_t kMaxLocalFrame = 8u << 20;

}  // namespace

ProxyLiveness::ProxyLiveness(Milliseconds dead_after, TimePoint started)
    : dead_after_(dead_after), started_(started) {}

void ProxyLiveness::connected(TimePoint) {
  connected_ = true;
  serving_ = false;
  last_report_.reset();
}

void ProxyLiveness::disconnected(TimePoint) {
  connected_ = false;
  ever_lost_ = true;
  serving_ = false;
  last_report_.reset();
}

void ProxyLiveness::report(const wire::ProxyHeartbeat& heartbeat, TimePoint now) {
  this->heartbeat(heartbeat.serving(), now);
  last_report_ = heartbeat;
}

void ProxyLiveness::heartbeat(bool serving, TimePoint now) {
  connected_ = true;
  serving_ = serving;
  last_heartbeat_ = now;
}

std::string ProxyLiveness::why_dead(TimePoint now) const {
  if (!last_heartbeat_ && !ever_lost_) {
    // Start-up grace: alive until dead_after after start.
    if (ms_between(started_, now) <= dead_after_.count()) return "";
    return connected_ ? "no heartbeat since it connected" : "never connected";
  }
  if (!connected_) return "no connection";
  if (!last_heartbeat_) return "no heartbeat since it connected";
  if (const auto gap = ms_between(*last_heartbeat_, now); gap > dead_after_.count())
    return "no heartbeat for " + std::to_string(gap) + " ms";
  if (!serving_) return "not serving";
  return "";
}

bool ProxyLiveness::alive(TimePoint now) const { return why_dead(now).empty(); }

ProxyChannel::ProxyChannel(asio::io_context& io, std::string path, Milliseconds heartbeat,
                           Milliseconds dead_after, OnChange on_change)
    : io_(io),
      path_(std::move(path)),
      heartbeat_(heartbeat),
      on_change_(std::move(on_change)),
      liveness_(dead_after, std::chrono::steady_clock::now()),
      acceptor_(io),
      check_timer_(io) {}

void ProxyChannel::start() {
  listen_unix(acceptor_, path_);
  asio::co_spawn(io_,
                 accept_loop(
                     acceptor_, [this] { return stopped_; }, [this](socket_t socket) { on_accept(std::move(socket)); },
                     {"local_channel_accept_failed"}),
                 asio::detached);
  check_loop();
}

void ProxyChannel::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (current_) current_->close(ignored);
  check_timer_.cancel();
  ::unlink(path_.c_str());
}

void ProxyChannel::check_loop() {
  // Re-evaluates a few times per heartbeat so a silent proxy is declared
  // dead within dead_after plus at most this period.
  const auto period = std::clamp(heartbeat_ / 2, Milliseconds{10}, Milliseconds{50});
  check_timer_.expires_after(period);
  check_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    on_change_();
    check_loop();
  });
}

void ProxyChannel::on_accept(socket_t accepted) {
  auto socket = std::make_shared<socket_t>(std::move(accepted));
  boost::system::error_code ignored;
  if (current_) {
    spdlog::info("local_channel_replaced reason=\"a new proxy connection arrived\"");
    current_->close(ignored);
  }
  current_ = socket;
  const std::uint64_t id = ++current_id_;
  pending_write_.clear();
  writing_ = false;
  liveness_.connected(std::chrono::steady_clock::now());
  spdlog::info("proxy_connected path={}", path_);
  if (role_ != wire::NODE_ROLE_UNSPECIFIED) send_role(role_);
  asio::co_spawn(io_, serve(socket, id), asio::detached);
  if (on_connected_) on_connected_();
  on_change_();
}

awaitable<void> ProxyChannel::serve(std::shared_ptr<socket_t> socket, std::uint64_t id) {
  FrameDecoder decoder(kMaxLocalFrame);
  std::array<char, 16384> buffer;
  std::string payload;
  std::string why = "closed by the proxy";
  for (;;) {
    auto [ec, n] = co_await socket->async_read_some(asio::buffer(buffer), use_nothrow);
    if (ec) {
      if (ec != asio::error::eof) why = ec.message();
      break;
    }
    decoder.feed(std::string_view(buffer.data(), n));
    bool bad = false;
    for (;;) {
      const auto status = decoder.next(payload);
      if (status == FrameDecoder::Status::need_more) break;
      if (status == FrameDecoder::Status::too_large) {
        why = "frame too large";
        bad = true;
        break;
      }
      wire::ProxyToAgent message;
      if (!message.ParseFromString(payload)) {
        why = "malformed frame";
        bad = true;
        break;
      }
      if (message.has_heartbeat() && id == current_id_) {
        const bool was_serving = liveness_.serving();
        liveness_.report(message.heartbeat(), std::chrono::steady_clock::now());
        if (was_serving != message.heartbeat().serving())
          spdlog::info("proxy_serving serving={} servers_up={}/{}", message.heartbeat().serving(),
                       message.heartbeat().servers_up(), message.heartbeat().servers_total());
        on_change_();
      }
      if (message.has_stick() && id == current_id_ && on_stick_) on_stick_(message.stick());
      if (message.has_stick_applied() && id == current_id_ && on_applied_)
        on_applied_(message.stick_applied().snapshot_id());
      if (message.has_overlay() && id == current_id_ && on_overlay_) on_overlay_(&message.overlay());
    }
    if (bad) break;
  }
  boost::system::error_code ignored;
  socket->close(ignored);
  if (id == current_id_ && !stopped_) {
    current_.reset();
    liveness_.disconnected(std::chrono::steady_clock::now());
    spdlog::warn("proxy_disconnected reason=\"{}\"", why);
    if (on_overlay_) on_overlay_(nullptr);
    on_change_();
  }
}

void ProxyChannel::send_role(wire::NodeRole role) {
  role_ = role;
  if (!current_ || stopped_) return;
  wire::AgentToProxy message;
  message.set_role(role);
  // Roles are tiny and rare; stick frames are bounded by their sender.
  pending_write_ += encode_frame(message);
  if (!writing_) flush_writes();
}

void ProxyChannel::set_stick_handlers(std::function<void(const wire::StickChanges&)> on_stick,
                                      std::function<void()> on_connected,
                                      std::function<void(std::uint64_t)> on_applied) {
  on_stick_ = std::move(on_stick);
  on_connected_ = std::move(on_connected);
  on_applied_ = std::move(on_applied);
}

void ProxyChannel::send_stick(const wire::StickChanges& changes) {
  if (!current_ || stopped_) return;
  wire::AgentToProxy message;
  *message.mutable_stick() = changes;
  pending_write_ += encode_frame(message);
  if (!writing_) flush_writes();
}

void ProxyChannel::send_overlay(const wire::ServerOverlay& entries) {
  if (!current_ || stopped_) return;
  wire::AgentToProxy message;
  *message.mutable_overlay() = entries;
  pending_write_ += encode_frame(message);
  if (!writing_) flush_writes();
}

void ProxyChannel::flush_writes() {
  if (pending_write_.empty() || !current_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  auto data = std::make_shared<std::string>(std::move(pending_write_));
  pending_write_.clear();
  auto socket = current_;
  asio::async_write(*socket, asio::buffer(*data),
                    [this, data, socket](const boost::system::error_code& ec, std::size_t) {
                      if (ec || socket != current_) {
                        writing_ = false;
                        return;
                      }
                      flush_writes();
                    });
}

}  // namespace tandem::ha
