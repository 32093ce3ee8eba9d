#include "ha/vip/capabilities.h"

#include <linux/capability.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace tandem::ha {

namespace {

constexpr std::string_view kFix =
    ": run as root, or grant them (setcap cap_net_admin,cap_net_raw+ep on the ha-agent "
    "binary, or AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW in its systemd unit)";

}  // namespace

std::string missing_capabilities_in(std::string_view proc_status) {
  constexpr std::string_view kField = "CapEff:";
  std::size_t pos = 0;
  while (pos < proc_status.size()) {
    const std::size_t eol = std::min(proc_status.find('\n', pos), proc_status.size());
    std::string_view line = proc_status.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(kField)) continue;
    line.remove_prefix(kField.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::uint64_t caps = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), caps, 16);
    if (ec != std::errc() || end == line.data()) break;
    std::string missing;
    for (const auto& [bit, name] : {std::pair{CAP_NET_ADMIN, "CAP_NET_ADMIN"},
                                    std::pair{CAP_NET_RAW, "CAP_NET_RAW"}}) {
      if ((caps >> bit) & 1u) continue;
      if (!missing.empty()) missing += " and ";
      missing += name;
    }
    if (missing.empty()) return {};
    return "missing " + missing + std::string(kFix);
  }
  return "cannot read the effective capabilities (CapEff in /proc/self/status)" + std::string(kFix);
}

std::string missing_capabilities() {
  std::ifstream in("/proc/self/status");
  std::stringstream text;
  text << in.rdbuf();
  return missing_capabilities_in(text.str());
}

}  // namespace tandem::ha
