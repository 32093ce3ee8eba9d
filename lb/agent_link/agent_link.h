// The proxy's end of the local channel to the node's ha-agent (a unix
// socket, framed protobuf; common/proto/local_channel.proto):
// - a heartbeat every ha.proxy.heartbeat_ms: whether this proxy is listening
//   and not draining, and per listener how many servers it could send a new
//   client to, so the agent can give up the VIP when the proxy is dead or
//   stuck, and hand it to a peer that can serve when this proxy has no usable
//   server (common/proto/local_channel.proto);
// - the stick exchange every flush interval, as StickLink
//   (lb/stick/stick_link.h) decides it: the tables' changes, or the whole
//   tables; and acknowledgements of the agent's full resyncs;
// - from the agent: its role, and stick entries learned from peers, applied
//   to the tables (so a backup's proxy runs hot; a restarted proxy gets its
//   table back);
// - both ways, the overlay of runtime server changes: the proxy's whole
//   overlay when the link connects and after each change; from the agent,
//   entries peers hold that win over ours (ha/sync/overlay_catch_up.h).
// Reconnects with backoff; the agent may start before or after the proxy.
// Control thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/proto/local_channel.pb.h"
#include <boost/asio/local/stream_protocol.hpp>

#include "lb/runtime/asio_aliases.h"
#include "lb/stick/stick_link.h"
#include "lb/stick/stick_table.h"

namespace tandem::lb {

// How the link reaches the stick tables (all called on the control thread).
struct StickLinkHooks {
  // The current generation's tables (non-null pointers, valid for the call).
  std::function<std::vector<StickTable*>()> tables;
  // Entries the agent sent (from peers, or its copy after a reconnect).
  std::function<void(const std::vector<wire::StickEntry>&)> apply;
  std::chrono::milliseconds flush{20};  // how often changes are drained
  std::size_t batch = 256;              // entries per frame
};

// How the link reaches the runtime server changes (control thread).
struct OverlayLinkHooks {
  std::function<wire::ServerOverlay()> current;                  // the proxy's whole overlay
  std::function<void(const wire::ServerOverlay&)> learned;      // entries from peers to merge
};

class AgentLink {
 public:
  // Fills a heartbeat from the proxy's live state (called on the io thread).
  using HeartbeatSource = std::function<wire::ProxyHeartbeat()>;

  AgentLink(asio::io_context& io, std::string socket_path, std::chrono::milliseconds interval,
            HeartbeatSource source, StickLinkHooks stick = {}, OverlayLinkHooks overlay = {});
  ~AgentLink();

  // Stops sending (the agent then sees the connection close).
  void stop();

  // Sends the whole tables at the next flush (a reload changed them).
  void request_full_resync() { stick_link_.request_full_resync(); }

  // Sends the overlay at the next flush (a change or a reload moved it).
  void overlay_changed() { overlay_due_ = true; }

 private:
  awaitable<void> run();
  awaitable<void> read_loop(asio::local::stream_protocol::socket& socket);
  awaitable<void> send_loop(asio::local::stream_protocol::socket& socket, std::uint64_t& sequence);
  // Appends the stick frames due now to OUT.
  void stick_frames(std::string& out);

  asio::io_context& io_;
  std::string path_;
  std::chrono::milliseconds interval_;
  HeartbeatSource source_;
  StickLinkHooks stick_;
  OverlayLinkHooks overlay_;
  bool overlay_due_ = true;  // also set on every (re)connection
  // What the link's coroutines touch when their frames end. The frames hold
  // it, so one destroyed after the link (the control loop's handlers go at
  // exit, after Proxy's stop() has dropped the link) writes here, never into
  // the freed link.
  struct LoopState {
    bool running = true;
    asio::steady_timer* wake = nullptr;  // the send loop's timer, to ack at once
  };
  std::shared_ptr<LoopState> state_;
  wire::NodeRole role_ = wire::NODE_ROLE_UNSPECIFIED;  // the agent's role as last logged
  StickLink stick_link_;                      // what the stick exchange sends and takes
};

}  // namespace tandem::lb
