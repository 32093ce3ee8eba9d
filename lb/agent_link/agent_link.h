// The proxy's end of the local channel to the node's ha-agent (a unix
// socket, framed protobuf; common/proto/local_channel.proto): a heartbeat
// every ha.proxy.heartbeat_ms saying whether this proxy can serve, so the
// agent can give up the VIP when the proxy is dead, stuck or has no server.
// Reconnects with backoff; the agent may start before or after the proxy.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/proto/local_channel.pb.h"
#include <boost/asio/local/stream_protocol.hpp>

#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

class AgentLink {
 public:
  // Fills a heartbeat from the proxy's live state (called on the io thread).
  using HeartbeatSource = std::function<wire::ProxyHeartbeat()>;

  AgentLink(asio::io_context& io, std::string socket_path, std::chrono::milliseconds interval,
            HeartbeatSource source);
  ~AgentLink();

  // Stops sending (the agent then sees the connection close).
  void stop();

  // The role the agent last told us ("MASTER", "BACKUP", "FAULT"), or "".
  const std::string& role() const { return role_; }
  bool connected() const { return connected_; }

 private:
  awaitable<void> run();
  awaitable<void> read_loop(asio::local::stream_protocol::socket& socket);
  awaitable<void> heartbeat_loop(asio::local::stream_protocol::socket& socket, std::uint64_t& sequence);

  asio::io_context& io_;
  std::string path_;
  std::chrono::milliseconds interval_;
  HeartbeatSource source_;
  std::shared_ptr<bool> running_;
  std::string role_;
  bool connected_ = false;
};

}  // namespace tandem::lb
