// Routes protobuf's own log messages (parse warnings, checks) into spdlog,
// so every line the agent prints has the same format.
#pragma once

namespace tandem::ha {

// Installs the handler; call once at start-up.
void route_protobuf_logs_to_spdlog();

}  // namespace tandem::ha
