// The state file (node.state_file): always current, so scripts need not
// reconstruct state from notify edges. Rewritten atomically (temp + rename)
// on every change. Format, one line per instance, then the agent line:
//   instance=www state=MASTER priority=200 master=edge1 since=1763770000123
//   agent=running
// `master=-` when unknown; `since` is when the instance entered its state
// (Unix ms). On exit the agent line is `agent=stopped`: the rest is stale.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ha/failover/instance_machine.h"
#include "common/atomic_file.h"

namespace tandem::ha {

// One instance's line.
struct StateFileRow {
  std::string instance;
  State state = State::kInit;
  unsigned priority = 0;
  std::string master;  // "" = unknown
  std::uint64_t since_unix_ms = 0;
};

// The whole file's text; RUNNING picks the final line.
std::string state_file_text(const std::vector<StateFileRow>& rows, bool running);

}  // namespace tandem::ha
