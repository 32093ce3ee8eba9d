// The client side of the remote control endpoint (common/control/auth.h):
// signed exchanges with many agents at once, each with its own deadline, so
// one unreachable node never stalls the others. Used by lbctl and by the
// agents' status pages.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/key_ring.h"
#include "common/proto/control.pb.h"

namespace tandem::control {

// Where one node's remote control endpoint listens.
struct Target {
  std::string node;
  std::string host;  // an IP address
  std::uint16_t port = 5799;
};

// One exchange's outcome.
struct CallResult {
  std::string node;
  std::optional<wire::ControlResponse> response;  // set on success
  std::string error;                              // why not, otherwise
  std::chrono::milliseconds elapsed{0};
  std::chrono::steady_clock::time_point answered_at{};  // when the response arrived
  int key_index = -1;  // which key of CallOptions::keys signed the response (KeyRing::verify); -1 none
};

// One request to one target.
struct Call {
  Target target;
  wire::ControlRequest request;
};

// Options shared by the calls.
struct CallOptions {
  KeyRing keys;                                    // the cluster key (signs), and the other accepted one
  std::chrono::milliseconds timeout{1000};         // per call: connect + exchange
  std::string client = "lbctl";                    // shown in the server's log
};

// Performs CALLS concurrently on the current executor; results in the same
// order. Never throws for network reasons; every call ends by its deadline.
boost::asio::awaitable<std::vector<CallResult>> call_each(std::vector<Call> calls, CallOptions options);

// The same, blocking on a private io_context (for command-line tools).
std::vector<CallResult> call_each_blocking(std::vector<Call> calls, const CallOptions& options);

// REQUEST to every target, blocking.
std::vector<CallResult> call_all_blocking(const std::vector<Target>& targets, const wire::ControlRequest& request,
                                          const CallOptions& options);

}  // namespace tandem::control
