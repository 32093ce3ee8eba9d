// The dead-peer confirmation: is a peer's agent gone while its host is up?
// Pure: the shell (ha/sync/peer_probe.cpp) performs the TCP connects to
// the peer's sync port and feeds each result in; this class decides whether
// to probe again and what the burst proves. No sockets, no clock.
//
// The rule: after a peer closed its sync connection, up to kMaxProbes
// connects, kProbeGap apart. A refusal means the host answered and nothing
// listens there: its agent is gone. kConfirmRefusals refusals (counted since
// the last successful connect) confirm it, unless two connects succeeded: a
// killed process's sockets close one by one, so the listener may still
// complete a handshake for a few milliseconds after the connection closed,
// and a single success is not proof of a live agent, two are. A timeout (a
// stall here or a lost packet) proves nothing either way and is tolerated.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace tandem::ha {

// See the file comment.
class PeerLiveness {
 public:
  // One connect's outcome.
  enum class Probe { kRefused, kConnected, kTimeout, kOtherError };

  static constexpr int kConfirmRefusals = 2;  // refusals since the last success that confirm
  static constexpr int kMaxProbes = 5;        // at most this many connects per burst
  static constexpr int kStopAfterRefusals = 3;
  static constexpr std::chrono::milliseconds kProbeGap{10};
  // Bounds a stalled connect; a refusal takes about 1 ms.
  static constexpr std::chrono::milliseconds kProbeTimeout{50};

  // Records one probe. DETAIL names an other error (for seen()).
  void record(Probe probe, std::string_view detail = {});

  // Another probe is wanted (the burst is not decided yet).
  bool more() const;
  // What the burst proves: the agent is gone, the host up.
  bool confirmed_down() const;
  // The results so far, for the log: "refused refused connected " ("-" when none).
  std::string seen() const { return seen_.empty() ? "-" : seen_; }

 private:
  int probes_ = 0;
  int connects_ = 0;
  int refused_since_connect_ = 0;
  std::string seen_;
};

}  // namespace tandem::ha
