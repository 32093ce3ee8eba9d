// Which connections the remote control endpoint keeps.
// Pure: no sockets, no clock; the shell (ha/control/remote_control.h) asks
// before serving a connection and closes what it is told to.
//
// A connection is unauthenticated until its first request verifies under
// the cluster key. Anyone on the LAN can open unauthenticated ones, so they
// must never lock out the operator:
//   - each source address may hold at most `per_source` unauthenticated
//     connections; a new one beyond that closes that source's oldest;
//   - when `total` connections are open, a new one closes the oldest
//     unauthenticated connection of any source, rather than being refused;
//   - only when every open connection is authenticated is a new one refused.
// The shell also gives an unauthenticated connection a short deadline for
// its first complete frame (kFirstFrameTimeout), so an idle one is gone
// soon even without pressure. A key holder's connection thus always finds
// room: it displaces an idler and authenticates with its first frame.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::ha {

// The limits of ConnectionAdmission.
struct AdmissionLimits {
  std::size_t total = 64;       // open connections, authenticated or not
  std::size_t per_source = 8;   // unauthenticated connections per source address
};

class ConnectionAdmission {
 public:
  using Id = std::uint64_t;
  using Limits = AdmissionLimits;

  // How long an unauthenticated connection may take to send its first
  // complete frame (a signed request is a few hundred bytes: one RTT).
  static constexpr std::chrono::milliseconds kFirstFrameTimeout{2000};

  // What to do with a new connection.
  struct Decision {
    std::optional<Id> admitted;  // its id, or nullopt: refuse it (every slot is authenticated)
    std::vector<Id> close;       // connections to close first, oldest first
    const char* reason = "";     // why something was closed or refused, for the counter and log
  };

  explicit ConnectionAdmission(Limits limits = {}) : limits_(limits) {}

  // A new connection from SOURCE (its address as text).
  Decision admit(const std::string& source);
  // Connection ID sent a request that verified: it no longer counts as
  // unauthenticated and is never closed to make room.
  void authenticated(Id id);
  // Connection ID ended (closed by either side, or told to close). Unknown ids are ignored.
  void closed(Id id);

  std::size_t open() const { return connections_.size(); }
  std::size_t unauthenticated() const { return unauthenticated_.size(); }
  std::size_t unauthenticated_from(const std::string& source) const;

 private:
  struct Connection {
    std::string source;
    bool authenticated = false;
  };
  void forget(Id id);

  Limits limits_;
  Id next_id_ = 1;
  std::unordered_map<Id, Connection> connections_;
  // Unauthenticated connections in admission order (ids only grow, so the
  // smallest is the oldest), overall and per source.
  std::map<Id, std::string> unauthenticated_;
  std::unordered_map<std::string, std::set<Id>> by_source_;
};

}  // namespace tandem::ha
