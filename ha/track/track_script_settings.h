// A track script's settings (keepalived's vrrp_script block), defaults
// applied by ha/agent/settings.h. Kept apart from the runner
// (track_script.h) so the settings stay free of Asio.
#pragma once

#include <chrono>
#include <string>

namespace tandem::ha {

// One track script with defaults applied.
struct TrackScriptSettings {
  std::string name;
  std::string command;
  std::chrono::milliseconds interval{2000};
  std::chrono::milliseconds timeout{1000};
  unsigned weight = 0;
  unsigned fall = 2;
  unsigned rise = 2;
};

}  // namespace tandem::ha
