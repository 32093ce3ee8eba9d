// Tracking the local lb-proxy over the local channel (node.local_channel):
// the agent listens, the proxy connects and sends framed ProxyToAgent
// heartbeats (common/proto/local_channel.proto); the agent may answer with
// framed AgentToProxy{role} (informational).
//
// ProxyLiveness is the verdict, pure: the proxy is DEAD when its connection
// closed, when it reported serving=false (not listening, or draining), or
// when no heartbeat came for
// dead_after. Start-up choice: before the first heartbeat the proxy is given
// a grace of dead_after from the agent's start to connect (it is alive
// during the grace), so starting the agent and the proxy together does not
// flap the node through FAULT; a proxy that never connects is dead after
// dead_after. What each listener can serve (usable servers) is not part of
// this verdict: the agent turns it into the instance's can-serve fact
// (ha/track/serving.h) from last_report().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>

#include "common/proto/local_channel.pb.h"
#include "ha/io/asio_aliases.h"
#include "ha/failover/instance_machine.h"
#include "ha/sync/proxy_stick_port.h"

namespace tandem::ha {

// Alive or dead, from connection events and heartbeats. Pure.
class ProxyLiveness {
 public:
  ProxyLiveness(Milliseconds dead_after, TimePoint started);

  void connected(TimePoint now);
  void disconnected(TimePoint now);
  void heartbeat(bool serving, TimePoint now);
  // A whole heartbeat: heartbeat(serving) plus what it says per listener.
  void report(const wire::ProxyHeartbeat& heartbeat, TimePoint now);

  // The verdict at NOW.
  bool alive(TimePoint now) const;
  // Why it is dead at NOW ("" when alive): "no connection", "not serving",
  // "no heartbeat for 612 ms", "never connected".
  std::string why_dead(TimePoint now) const;

  bool is_connected() const { return connected_; }
  bool serving() const { return serving_; }
  std::optional<TimePoint> last_heartbeat() const { return last_heartbeat_; }
  // The last heartbeat since the proxy (re)connected; nullopt before one.
  const std::optional<wire::ProxyHeartbeat>& last_report() const { return last_report_; }

 private:
  Milliseconds dead_after_;
  TimePoint started_;
  bool connected_ = false;
  bool ever_lost_ = false;  // a connection closed since start
  bool serving_ = false;
  std::optional<TimePoint> last_heartbeat_;
  std::optional<wire::ProxyHeartbeat> last_report_;
};

// The local channel server. One proxy connection is tracked at a time (a
// new one replaces the old). Calls ON_CHANGE whenever the verdict may have
// changed (the agent compares with what it last applied).
class ProxyChannel : public sync::ProxyStickPort {
 public:
  using OnChange = std::function<void()>;

  ProxyChannel(asio::io_context& io, std::string path, Milliseconds heartbeat, Milliseconds dead_after,
               OnChange on_change);

  // Removes a stale socket file, listens (mode 0600). Throws on failure.
  void start();
  // Closes the listener and the connection, removes the socket file.
  void stop();

  // Tells the connected proxy our role ("MASTER", "BACKUP", "FAULT").
  void send_role(wire::NodeRole role);

  // Stick sync's transport (ha/sync/proxy_stick_port.h).
  void set_stick_handlers(std::function<void(const wire::StickChanges&)> on_stick,
                          std::function<void()> on_connected,
                          std::function<void(std::uint64_t)> on_applied) override;
  void send_stick(const wire::StickChanges& changes) override;
  // Nothing is waiting to be written to the proxy.
  bool write_idle() const { return !writing_ && pending_write_.empty(); }
  // Bytes queued behind the write in flight.
  std::size_t queued_bytes() const override { return pending_write_.size(); }
  bool connected() const override { return current_ != nullptr; }

  // Runtime server changes (ha/sync/overlay_catch_up.h): ON_OVERLAY gets the
  // proxy's whole overlay each time it sends it, and null when the proxy's
  // connection closes (its overlay is then unknown).
  void set_overlay_handler(std::function<void(const wire::ServerOverlay*)> on_overlay) {
    on_overlay_ = std::move(on_overlay);
  }
  // Entries learned from peers for the proxy to merge; dropped when none is connected.
  void send_overlay(const wire::ServerOverlay& entries);

  const ProxyLiveness& liveness() const { return liveness_; }

 private:
  using socket_t = asio::local::stream_protocol::socket;
  // Takes a new proxy connection (replacing the current one) and serves it.
  void on_accept(socket_t socket);
  awaitable<void> serve(std::shared_ptr<socket_t> socket, std::uint64_t id);
  void flush_writes();
  void check_loop();

  asio::io_context& io_;
  std::string path_;
  Milliseconds heartbeat_;
  OnChange on_change_;
  ProxyLiveness liveness_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::steady_timer check_timer_;
  std::shared_ptr<socket_t> current_;
  std::uint64_t current_id_ = 0;
  wire::NodeRole role_ = wire::NODE_ROLE_UNSPECIFIED;
  std::function<void(const wire::StickChanges&)> on_stick_;
  std::function<void()> on_connected_;
  std::function<void(std::uint64_t)> on_applied_;
  std::function<void(const wire::ServerOverlay*)> on_overlay_;
  std::string pending_write_;
  bool writing_ = false;
  bool stopped_ = false;
};

}  // namespace tandem::ha
