// One sync TCP connection to a peer agent, from accept or connect to close,
// and one configured peer: the state stick sync keeps per link. The
// connection owns its socket, its handshake and frame sealing (SyncAuth) and
// its write queue; what the frames mean is StickSync's (ha/sync/stick_sync.h).
//
// Single-threaded: the agent's io_context.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/stick/change_queue.h"
#include "ha/io/asio_aliases.h"
#include "ha/sync/peer_state.h"
#include "ha/sync/sync_auth.h"
#include "ha/sync/sync_settings.h"

namespace tandem::ha::sync {

// See the file comment.
struct PeerConnection : std::enable_shared_from_this<PeerConnection> {
  // A connection we dial to EXPECTED (connect SOCKET next).
  PeerConnection(asio::io_context& io, const StickSyncSettings& s, std::string expected);
  // A connection a peer dialed (SOCKET accepted).
  PeerConnection(boost::asio::ip::tcp::socket accepted, const StickSyncSettings& s);

  // Appends a sealed MESSAGE to the write queue (after the handshake).
  void queue(const wire::SyncMessage& message);
  // Appends a raw frame PAYLOAD (our hello) to the write queue.
  void queue_frame(const std::string& payload);
  // Starts writing the queue unless a write is in flight; a failed write
  // closes the connection.
  void flush();
  // Closes the socket once; WHY goes to the disconnect log.
  void close(const std::string& why);

  boost::asio::ip::tcp::socket socket;
  SyncAuth auth;
  bool dialer;
  std::string expected_peer;  // dialer: whom we dialed
  std::string peer;           // after the handshake
  std::string remote;         // address, for logs
  TimePoint started, last_rx, last_tx;
  std::string pending;
  bool writing = false;
  bool closed = false;
  bool hello_accepted = false;  // the peer's hello verified; its first sealed frame not yet seen
  bool established = false;     // the peer proved it holds the key now
  bool counted_handshake = false;
  std::string close_why;
  bool lost_by_peer = false;  // the peer closed or reset it
  std::uint64_t next_batch = 1;
  std::map<std::uint64_t, std::vector<TimePoint>> inflight;  // batch -> queued_at of its entries
};

// True when EC says the peer closed or reset the connection.
bool closed_by_peer(const boost::system::error_code& ec);

// One configured peer.
struct SyncPeer {
  SyncPeer(std::string n, boost::asio::ip::address a, bool d, std::size_t limit)
      : name(std::move(n)), address(a), dialer(d), out(limit) {}
  std::string name;
  boost::asio::ip::address address;
  bool dialer;  // we dial it
  stick::ChangeQueue out;
  Backoff backoff{Milliseconds{100}, Milliseconds{1000}};
  std::shared_ptr<PeerConnection> conn;  // established connection, if any
  bool connecting = false;
  std::optional<TimePoint> connected_since;
  std::uint64_t sent = 0, received = 0, snapshots_sent = 0, snapshots_received = 0, connects = 0;
};

}  // namespace tandem::ha::sync
