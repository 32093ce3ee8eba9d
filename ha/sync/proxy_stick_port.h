// The agent's end of the stick exchange with the local proxy, as sync sees
// it: the named transport of the local channel (common/proto/
// local_channel.proto, a unix socket). The local channel server
// (ProxyChannel, the proxy tracker) implements it; ProxyFeed
// (ha/sync/proxy_feed.h) is its only user, and a unit test drives ProxyFeed
// through a fake. The proxy's end is lb/agent_link with lb/stick/stick_link.h.
//
// No Asio here: the port moves whole messages, its implementation the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "common/proto/local_channel.pb.h"

namespace tandem::ha::sync {

// See the file comment.
class ProxyStickPort {
 public:
  virtual ~ProxyStickPort() = default;

  // Installs the handlers, once, before traffic. ON_STICK gets every
  // StickChanges the proxy sends; ON_CONNECTED runs when a proxy (re)connects
  // (it needs the whole copy); ON_APPLIED gets the id of each full resync the
  // proxy reports applied (StickApplied).
  virtual void set_stick_handlers(std::function<void(const wire::StickChanges&)> on_stick,
                                  std::function<void()> on_connected,
                                  std::function<void(std::uint64_t)> on_applied) = 0;
  // Queues stick changes for the proxy; dropped when none is connected. The
  // caller bounds what it queues with queued_bytes().
  virtual void send_stick(const wire::StickChanges& changes) = 0;
  // Bytes queued behind the write in flight.
  virtual std::size_t queued_bytes() const = 0;
  // A proxy is connected.
  virtual bool connected() const = 0;
};

}  // namespace tandem::ha::sync
