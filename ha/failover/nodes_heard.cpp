#include "ha/failover/nodes_heard.h"

namespace tandem::ha {

void NodesHeard::heard(const std::string& node, TimePoint now) {
  auto [it, inserted] = last_.try_emplace(node, now);
  if (!inserted && now > it->second) it->second = now;
}

std::vector<std::string> NodesHeard::within(Duration window, TimePoint now) const {
  std::vector<std::string> out;
  for (const auto& [node, at] : last_)
    if (now - at <= window) out.push_back(node);
  return out;
}

}  // namespace tandem::ha
