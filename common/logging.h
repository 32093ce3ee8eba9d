// Logging setup shared by every Tandem process.
//
// One line per event, key=value fields after the event name, so a line can be
// grepped and parsed:  2026-11-22T01:02:03.456 info ha-agent transition instance=web from=BACKUP to=MASTER cause=master_down
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// Configures the default spdlog logger for PROCESS (e.g. "lb-proxy") at LEVEL
// ("trace".."critical", "off"). Returns an error message for an unknown level.
std::string init_logging(std::string_view process, std::string_view level);

}  // namespace tandem
