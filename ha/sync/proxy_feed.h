// The local-channel side of stick sync: what the agent exchanges with the
// node's own proxy through a ProxyStickPort (ha/sync/proxy_stick_port.h).
// - From the proxy: its changes, merged into the store; those that changed
//   it go to the owner (for the peers).
// - To the proxy: what peers taught us (learned()), as fast as the unix
//   socket takes it (up to kWriteHighWater queued), not one batch per flush
//   interval; the whole store when a proxy (re)connects, after a queue
//   overflow, or when the owner asks (the initial-sync gate), each full
//   resync with an id the proxy acknowledges once applied.
//
// No Asio: time comes from an injected clock; a unit test drives it with a
// fake port. Single-threaded (the agent's io thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/proto/local_channel.pb.h"
#include "common/stick/change_queue.h"
#include "ha/sync/proxy_stick_port.h"
#include "ha/sync/stick_store.h"

namespace tandem::ha::sync {

// See the file comment.
class ProxyFeed {
 public:
  // Stop taking from the queue while this many bytes wait on the socket.
  static constexpr std::size_t kWriteHighWater = std::size_t{1} << 20;

  // What the feed tells its owner.
  struct Hooks {
    std::function<TimePoint()> clock;  // the time now
    // Entries from the proxy that changed the store, at NOW: for the peers.
    std::function<void(const std::vector<wire::StickEntry>&, TimePoint)> local_changes;
    // A full resync with ID went out at NOW / the proxy applied the one with ID.
    std::function<void(std::uint64_t, TimePoint)> resync_sent;
    std::function<void(std::uint64_t)> resync_applied;
  };

  // Counters (see wire::SyncStatus).
  struct Counters {
    std::uint64_t received = 0;  // entries the proxy sent
    std::uint64_t sent = 0;      // entries sent to the proxy (changes and resyncs)
    std::uint64_t resyncs = 0;   // full resyncs sent
  };

  // BATCH: entries per message; QUEUE_LIMIT: the to-proxy queue's bound.
  ProxyFeed(StickStore& store, std::size_t batch, std::size_t queue_limit, Hooks hooks);

  // Starts exchanging through PORT (null: this node runs no proxy link).
  void attach(ProxyStickPort* port);
  bool attached() const { return port_ != nullptr; }

  // Entries peers taught us (already in the store): queued for the proxy and
  // sent at once (the local hop adds no flush interval).
  void learned(const std::vector<wire::StickEntry>& changed, TimePoint now);
  // The next flush sends the whole store instead of the queue.
  void request_resync() { to_proxy_.request_resync(); }
  // Sends what is due (see the file comment). A no-op with no proxy connected.
  void flush(TimePoint now);

  const Counters& counters() const { return counters_; }
  std::uint64_t overflows() const { return to_proxy_.overflows(); }

 private:
  void on_stick(const wire::StickChanges& changes);
  void on_connected();
  void on_applied(std::uint64_t id);
  void send_resync(TimePoint now);

  StickStore& store_;
  std::size_t batch_;
  Hooks hooks_;
  ProxyStickPort* port_ = nullptr;
  stick::ChangeQueue to_proxy_;
  std::uint64_t resync_id_ = 0;  // last full resync sent
  TimePoint resync_at_{};        // when it was sent (for the log)
  Counters counters_;
};

}  // namespace tandem::ha::sync
