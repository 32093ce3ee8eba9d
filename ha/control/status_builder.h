// The agent's status as the control socket, /status and lbctl show
// it: a pure function of the machines' snapshots and the agent's counters,
// so any front end can reuse it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/proto/control.pb.h"
#include "ha/advert/advert_codec.h"
#include "ha/failover/instance_machine.h"

namespace tandem::ha {

// One instance as the agent sees it.
struct InstanceView {
  Status status;                  // InstanceMachine::status()
  std::vector<std::string> vips;  // as configured
  bool vip_held = false;          // every VIP present on the interface (asked the kernel)
};

// The local proxy as tracked.
struct ProxyView {
  bool connected = false;
  bool serving = false;
  bool alive = false;
  std::optional<TimePoint> last_heartbeat;
};

// A tracked condition other than the proxy.
struct TrackView {
  std::string name;
  bool healthy = true;
  unsigned weight = 0;
};

// Agent-level advert counters beyond the verifier's.
struct AdvertTraffic {
  AdvertCounters verifier;
  std::uint64_t not_ours = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
};

// Everything the status is built from.
struct StatusInputs {
  std::string node;
  TimePoint started{};
  TimePoint now{};                 // steady clock
  std::uint64_t now_unix_ms = 0;   // the same instant on the realtime clock
  std::vector<InstanceView> instances;
  ProxyView proxy;
  std::vector<TrackView> tracks;
  AdvertTraffic adverts;
  std::uint64_t stalls = 0;
};

// Steady time AT as Unix ms, given that NOW is NOW_UNIX_MS.
std::uint64_t to_unix_ms(TimePoint at, TimePoint now, std::uint64_t now_unix_ms);

// Milliseconds from AT to NOW, clamped to 0..INT32_MAX; -1 when AT is nullopt.
std::int32_t ms_ago(std::optional<TimePoint> at, TimePoint now);

// The status message for INPUTS.
wire::StatusResponse build_status(const StatusInputs& inputs);

// A readable table of STATUS (for `ha-agent --status`).
std::string format_status(const wire::StatusResponse& status);

}  // namespace tandem::ha
