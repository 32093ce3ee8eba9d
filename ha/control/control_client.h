// The small control client behind `ha-agent --status` and `--switchover`:
// one request over the node's control socket, 1 s deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/proto/control.pb.h"

namespace tandem::ha {

// Sends REQUEST to the agent at PATH and returns its response; nullopt with
// ERROR set when the agent cannot be reached or does not answer in TIMEOUT.
std::optional<wire::ControlResponse> control_exchange(const std::string& path, const wire::ControlRequest& request,
                                                      std::chrono::milliseconds timeout, std::string& error);

// STATUS as JSON (proto field names, every field printed).
std::string status_json(const wire::StatusResponse& status);

}  // namespace tandem::ha
