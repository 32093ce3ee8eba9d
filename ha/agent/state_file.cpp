#include "ha/agent/state_file.h"

namespace tandem::ha {

std::string state_file_text(const std::vector<StateFileRow>& rows, bool running) {
  std::string out;
  for (const auto& r : rows) {
    out += "instance=" + r.instance;
    out += " state=" + std::string(to_string(r.state));
    out += " priority=" + std::to_string(r.priority);
    out += " master=" + (r.master.empty() ? std::string("-") : r.master);
    out += " since=" + std::to_string(r.since_unix_ms);
    out += '\n';
  }
  out += running ? "agent=running\n" : "agent=stopped\n";
  return out;
}

}  // namespace tandem::ha
