// Who may receive traffic, decided in one place: the admin state (drain is a
// state, STYLE.md habit 11), the checks and passive ejection combine here so
// the runtime never scatters these tests. Also the slow-start weight ramp.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "config/proto/cluster.pb.h"

namespace tandem::lb {

// What the traffic decisions depend on, for one server at one moment.
struct ServerCondition {
  config::ServerState admin = config::READY;  // operator's state
  bool healthy = true;   // active checks say up (true when there are none)
  bool ejected = false;  // passive ejection in force
};

// May the balancer pick this server for a client that is not stuck anywhere?
// Only a READY, healthy, non-ejected server.
bool takes_new_clients(const ServerCondition& server);

// May a client stuck to this server (stick table, cookie) still go there?
// READY or DRAIN (draining lets stuck sessions finish, as HAProxy's drain
// does), and healthy, and not ejected; otherwise the runtime bypasses the
// server and moves the entry. MAINTENANCE takes nothing, and so does an
// admin value this build does not know.
bool takes_stuck_clients(const ServerCondition& server);

// The panic rule: passive ejection never empties a pool. When no server of
// a pool takes new clients, and some of them are kept out only by passive
// ejection (READY, passing their active checks), the ejections are
// disregarded for choosing a server: the pool balances over those servers
// as if none were ejected. Anchors: nginx never marks the only server of an
// upstream unavailable; Envoy's panic threshold balances over all hosts when
// too few are healthy (here the threshold is "none left"). A failed active
// check is a definite verdict and is never disregarded: a pool whose servers
// all fail their checks answers 503. Ejections still count as unusable in
// what the proxy reports to its agent (usable_servers), so a peer that can
// serve gets the VIP (ha/failover/instance_machine.h, "Serving").
// True when SERVERS (one pool's) are in that state.
bool ejections_disregarded(const std::vector<ServerCondition>& servers);

// The weight to balance with SINCE_UP after a server (re)entered service, with
// a SLOW_START ramp (nginx slow_start, HAProxy slowstart): linear from
// max(1, weight/10) at 0 to the full weight at slow_start. A weight of 0 stays
// 0; a ramp of 0 (off), or a time at or past it, gives the full weight.
std::uint32_t slow_start_weight(std::uint32_t weight, std::chrono::nanoseconds since_up,
                                std::chrono::nanoseconds slow_start);

}  // namespace tandem::lb
