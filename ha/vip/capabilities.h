// Checking at start-up that the agent may claim VIPs and announce them.
#pragma once

#include <string>
#include <string_view>

namespace tandem::ha {

// Empty when this process has CAP_NET_ADMIN and CAP_NET_RAW in its effective
// set (read from /proc/self/status); otherwise an error naming what is
// missing and how to grant it.
std::string missing_capabilities();

// The same check on the text of a /proc/<pid>/status file (pure; for tests).
std::string missing_capabilities_in(std::string_view proc_status);

}  // namespace tandem::ha
