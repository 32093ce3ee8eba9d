// Stick-table sync, the agent's shell around the pure pieces of ha/sync/
// and common/stick/. Files by purpose:
// - stick_sync.{h,cpp}: the peer links (accept, dial, read, watchdog) and
//   what their messages mean; sync_status.cpp: the status it reports.
// - peer_connection.h: one TCP connection (handshake state, sealed writes)
//   and one configured peer (its queue, backoff, counters).
// - proxy_feed.h + proxy_stick_port.h: the local channel side, the named
//   transport of the proxy <-> agent stick exchange.
// - peer_probe.h: fast probes of a peer's sync port.
// - sync_frames.h, sync_settings.h: messages and settings.
// Pure pieces: StickStore (the merged copy, common/stick/table.h per pool),
// stick::ChangeQueue (bounded queues with overflow -> full resync),
// SyncAuth (handshake and per-frame MACs), SyncEligibility, Backoff,
// LagStats.
//
// - Local proxy (ProxyFeed): its changes are merged into the store and
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
#include "common/warn_limiter.h"
#include "ha/io/asio_aliases.h"
#include "ha/sync/peer_connection.h"
#include "ha/sync/peer_state.h"
#include "ha/sync/proxy_feed.h"
#include "ha/sync/proxy_stick_port.h"
#include "ha/sync/stick_store.h"
#include "ha/sync/sync_eligibility.h"
#include "ha/sync/sync_settings.h"

namespace tandem::ha {

// What StickSync tells the agent.
struct StickSyncHooks {
  std::function<void(const std::string& peer)> connection_lost;  // closed by the peer
  // Fast probes found no agent there; ALIGNED = the close + kConfirmWindow.
  std::function<void(const std::string& peer, sync::TimePoint aligned)> confirmed_down;
  // The eligibility verdict changed (kWaiting at start is not reported).
  std::function<void(sync::Eligibility, const std::string& why)> eligibility;
  // A peer sent its proxy's overlay of runtime server changes.
  std::function<void(const std::string& peer, const wire::ServerOverlay&)> peer_overlay;
};

// See the file comment.
class StickSync {
 public:
  StickSync(asio::io_context& io, StickSyncSettings settings, StickSyncHooks hooks);
  ~StickSync();

  // Listens on address:port (throws std::runtime_error when it cannot),
  // dials the peers, starts the timers. PROXY (the local channel) may be null.
  void start(sync::ProxyStickPort* proxy);
  // Closes everything.
  void stop();

  // New keys (a reload) for the connections opened from now on; open ones
  // keep the session keys their hellos gave them.
  void set_keys(std::string key, std::string next_key) {
    settings_.key = std::move(key);
    settings_.next_key = std::move(next_key);
  }

  // Our proxy's overlay of runtime server changes: sent to every connected
  // peer now, and to each peer that connects later, after the snapshot.
  void share_overlay(const wire::ServerOverlay& overlay);

  bool initial_sync_done() const { return eligibility_ == sync::Eligibility::kEligible; }
  sync::Eligibility eligibility() const { return eligibility_; }
  wire::SyncStatus status(sync::TimePoint now) const;

 private:
  using Conn = sync::PeerConnection;
  using Peer = sync::SyncPeer;

  void listen();

  // A peer dialed us: serve it, unless too many handshakes are under way.
  void on_accept(boost::asio::ip::tcp::socket socket);
  awaitable<void> dial_loop(Peer& peer);
  awaitable<void> serve(std::shared_ptr<Conn> conn);
  // Handles one frame PAYLOAD of CONN: false when the connection is done.
  bool on_frame(const std::shared_ptr<Conn>& conn, const std::string& payload);
  bool on_hello(Conn& conn, const std::string& payload);
  void on_closed(const std::shared_ptr<Conn>& conn);
  awaitable<void> watchdog(std::shared_ptr<Conn> conn);
  awaitable<void> confirm_lost(std::string peer, sync::TimePoint lost_at);
  awaitable<void> probe_absent(std::string peer);

  void on_established(const std::shared_ptr<Conn>& conn);
  void on_message(Conn& conn, const wire::SyncMessage& message);
  void on_ack(Conn& conn, std::uint64_t batch, sync::TimePoint now);
  void on_stick(Peer& peer, Conn& conn, const wire::SyncMessage& message, sync::TimePoint now);
  void on_local_changes(const std::vector<wire::StickEntry>& changed, sync::TimePoint now);
  // Counts a refused connection or frame; logs it rate-limited.
  void reject(std::string_view reason, std::string_view stage, const std::string& from, const std::string& peer);
  void send(Conn& conn, const wire::SyncMessage& message);
  void send_snapshot(Conn& conn);
  void flush_tick();
  void flush_peer(Peer& peer);
  void check_gate();
  Peer* find_peer(const std::string& name);

  asio::io_context& io_;
  StickSyncSettings settings_;
  std::optional<wire::ServerOverlay> overlay_;  // our proxy's, as last shared
  StickSyncHooks hooks_;
  sync::StickStore store_;
  sync::ProxyFeed proxy_;
  std::optional<sync::SyncEligibility> gate_;  // from start()
  sync::LagStats lag_;
  WarnLimiter reject_warn_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  asio::steady_timer flush_timer_;
  bool stopped_ = false;
  sync::Eligibility eligibility_ = sync::Eligibility::kWaiting;
  std::size_t handshaking_ = 0;
  sync::TimePoint last_expire_{};

  // Counters (see wire::SyncStatus).
  std::map<std::string, std::uint64_t> rejected_;
  std::uint64_t connections_lost_ = 0;
  std::uint64_t fast_confirmations_ = 0;
};

}  // namespace tandem::ha
