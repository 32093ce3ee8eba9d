// Asks the node's BIRD for its protocols over its control socket (the
// socket `birdc` uses), one connection per question, one deadline for all
// of it. The reply is parsed by ha/announce/bird_reply.h (pure, fuzzed).
// Read-only: the agent never changes BIRD through it (it announces through
// the routing table: route_table.h).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/proto/control.pb.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

struct BirdFetch {
  std::vector<wire::RoutingSession> sessions;
  std::string error;  // "" when read
};

// `show protocols` on the control socket at PATH. Never throws.
awaitable<BirdFetch> bird_show_protocols(std::string path, std::chrono::milliseconds timeout);

}  // namespace tandem::ha
