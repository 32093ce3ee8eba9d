// Fast TCP probes of a peer's sync port, the I/O half of "is its agent gone?"
// (the decision is PeerLiveness's, ha/failover/peer_liveness.h): a burst
// after a connection the peer closed, and one probe of a peer that has not
// dialed us yet at start-up.
#pragma once

#include <optional>

#include <boost/asio/ip/tcp.hpp>

#include "ha/io/asio_aliases.h"
#include "ha/failover/peer_liveness.h"

namespace tandem::ha::sync {

// One connect to EP within TIMEOUT: nullopt when it timed out, else the
// connect's error code (success = something listens there).
awaitable<std::optional<boost::system::error_code>> probe_connect(asio::io_context& io,
                                                                  const boost::asio::ip::tcp::endpoint& ep,
                                                                  std::chrono::milliseconds timeout);

// Probes EP, PeerLiveness::kProbeGap apart, until PeerLiveness has seen
// enough or STOPPED is set; returns what it saw.
awaitable<PeerLiveness> probe_burst(asio::io_context& io, boost::asio::ip::tcp::endpoint ep, const bool& stopped);

}  // namespace tandem::ha::sync
