// Stick-table sync, the agent's thin I/O shell around the pure pieces in
// ha/sync/ (StickStore: the merged copy; ChangeQueue: bounded queues with
// overflow -> full resync; SyncAuth: handshake and per-frame MACs;
// InitialSyncGate, Backoff, LagStats).
//
// - Local proxy (ProxyChannel): its changes are merged into the store and
//   queued for every peer; entries learned from peers are queued for it; a
//   (re)connecting proxy gets the whole store.
// - Peers: one TCP connection per pair of nodes, dialed by the node whose
//   name is lower, to the other's address:sync.port. After the handshake
//   each side sends its whole store (snapshot frames, then snapshot_end),
//   then batches of changes every flush interval or batch size, each
//   acknowledged (the lag). Only changes that came from the local proxy are
//   sent on to peers (full mesh: no forwarding loops); a snapshot carries the
//   whole store. Pings every second; 5 s of silence closes a connection
//   (silently: host and link failures are the adverts' business).
// - A connection the peer closed (EOF, reset) after its handshake is
//   reported at once (connection_lost) and confirmed with a burst of fast
//   TCP probes of the peer's sync port, 10 ms apart, 50 ms deadline each;
//   PeerLiveness (ha/failover/peer_liveness.h) decides what the results
//   prove. Refusals mean its host is up but its agent is gone
//   (confirmed_down; every backup then acts at the close + 60 ms + its
//   skew, so the priority order holds).
// - Whether this node may become MASTER: the rule is sync::SyncEligibility
//   (ha/sync/sync_eligibility.h): every peer's snapshot (or its absence), then
//   the local proxy's acknowledgement (StickApplied) of a full resync sent
//   after it; last resort after the deadline. Reported through the
//   `eligibility` hook on every change.
// - Entries for the local proxy go out as fast as the unix socket takes
//   them (up to kWriteHighWater queued), not one batch per flush interval.
//
// Single-threaded: the agent's io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/proto/control.pb.h"
#include "common/proto/sync.pb.h"
#include "config/proto/cluster.pb.h"
#include "ha/agent/asio_aliases.h"
#include "ha/agent/proxy_tracker.h"
#include "common/stick/change_queue.h"
#include "ha/sync/peer_state.h"
#include "ha/sync/stick_store.h"
#include "ha/sync/sync_eligibility.h"
#include "common/warn_limiter.h"

namespace tandem::ha {

// What sync needs from the cluster file, defaults applied.
struct StickSyncSettings {
  std::string cluster;
  std::string node;
  std::string key;
  std::string next_key;              // also accepted in a peer's hello (key rotation); empty: none
  boost::asio::ip::address address;  // ours: where we listen
  std::uint16_t port = 5800;
  std::vector<std::pair<std::string, boost::asio::ip::address>> peers;  // every other node
  Milliseconds flush{50};
  std::size_t batch = 256;
  std::size_t queue_limit = 65536;
  std::map<std::string, sync::PoolLimits> pools;  // pools with table stickiness
  Milliseconds initial_sync_timeout{3000};
};

// `sync { ... }` and the pools of CLUSTER for NODE. Throws
// std::invalid_argument on an unusable node address.
StickSyncSettings stick_sync_settings(const config::Cluster& cluster, const std::string& node, std::string key);

// What StickSync tells the agent.
struct StickSyncHooks {
  std::function<void(const std::string& peer)> connection_lost;  // closed by the peer
  // Fast probes found no agent there; ALIGNED = the close + kConfirmWindow.
  std::function<void(const std::string& peer, TimePoint aligned)> confirmed_down;
  // The eligibility verdict changed (kWaiting at start is not reported).
  std::function<void(sync::Eligibility, const std::string& why)> eligibility;
};

// See the file comment.
class StickSync {
 public:
  StickSync(asio::io_context& io, StickSyncSettings settings, StickSyncHooks hooks);
  ~StickSync();

  // Listens on address:port (throws std::runtime_error when it cannot),
  // dials the peers, starts the timers. PROXY may be null.
  void start(ProxyChannel* proxy);
  // Closes everything.
  void stop();

  // New keys (a reload) for the connections opened from now on; open ones
  // keep the session keys their hellos gave them.
  void set_keys(std::string key, std::string next_key) {
    settings_.key = std::move(key);
    settings_.next_key = std::move(next_key);
  }

  bool initial_sync_done() const { return eligibility_ == sync::Eligibility::kEligible; }
  sync::Eligibility eligibility() const { return eligibility_; }
  wire::SyncStatus status(TimePoint now) const;

 private:
  struct Conn;
  struct Peer;

  awaitable<void> accept_loop();
  awaitable<void> dial_loop(Peer& peer);
  awaitable<void> serve(std::shared_ptr<Conn> conn);
  awaitable<void> watchdog(std::shared_ptr<Conn> conn);
  awaitable<void> probe_burst(std::string peer, TimePoint lost_at);
  awaitable<void> probe_absent(std::string peer);
  // nullopt: timed out; else the connect's error code (success = connected).
  awaitable<std::optional<boost::system::error_code>> probe_once(const boost::asio::ip::tcp::endpoint& ep,
                                                                 Milliseconds timeout);

  void on_established(const std::shared_ptr<Conn>& conn);
  void on_message(Conn& conn, const wire::SyncMessage& message);
  void on_proxy_stick(const wire::StickChanges& changes);
  void on_proxy_connected();
  void on_proxy_applied(std::uint64_t id);
  void close(Conn& conn, const std::string& why);
  // Counts a refused connection or frame; logs it rate-limited.
  void reject(std::string_view reason, std::string_view stage, const std::string& from, const std::string& peer);
  void send(Conn& conn, const wire::SyncMessage& message);
  void flush_writes(const std::shared_ptr<Conn>& conn);
  void send_snapshot(Conn& conn);
  void send_proxy_snapshot();
  void flush_tick();
  void flush_peer(Peer& peer);
  void flush_proxy();
  void check_gate();
  Peer* find_peer(const std::string& name);

  asio::io_context& io_;
  StickSyncSettings settings_;
  StickSyncHooks hooks_;
  sync::StickStore store_;
  sync::ChangeQueue to_proxy_;
  std::optional<sync::SyncEligibility> gate_;  // from start()
  sync::LagStats lag_;
  WarnLimiter reject_warn_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  asio::steady_timer flush_timer_;
  ProxyChannel* proxy_ = nullptr;
  bool stopped_ = false;
  sync::Eligibility eligibility_ = sync::Eligibility::kWaiting;
  std::uint64_t proxy_snapshot_id_ = 0;  // last full resync sent to the proxy
  TimePoint proxy_snapshot_at_{};        // when it was sent (for the log)
  std::size_t handshaking_ = 0;
  TimePoint last_expire_{};

  // Counters (see wire::SyncStatus).
  std::map<std::string, std::uint64_t> rejected_;
  std::uint64_t proxy_received_ = 0;
  std::uint64_t proxy_sent_ = 0;
  std::uint64_t proxy_resyncs_ = 0;
  std::uint64_t connections_lost_ = 0;
  std::uint64_t fast_confirmations_ = 0;
};

}  // namespace tandem::ha
