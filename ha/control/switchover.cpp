#include "ha/control/switchover.h"

namespace tandem::ha {

wire::SwitchoverResponse run_switchover(const std::vector<InstanceDriver*>& drivers,
                                        const wire::SwitchoverRequest& request, TimePoint now) {
  wire::SwitchoverResponse out;
  const std::optional<std::string> to =
      request.to().empty() ? std::nullopt : std::optional<std::string>(request.to());
  bool matched = false;
  for (auto* driver : drivers) {
    if (!request.instance().empty() && driver->name() != request.instance()) continue;
    if (request.instance().empty() && driver->machine().state() != State::kMaster) continue;
    matched = true;
    const auto outcome = driver->switchover(to, now);
    if (outcome.handed_over) out.set_accepted(true);
    out.add_messages(outcome.message);
  }
  if (!matched) {
    out.add_messages(request.instance().empty() ? "this node is master of no instance"
                                                : "no instance '" + request.instance() + "' on this node");
  }
  return out;
}

}  // namespace tandem::ha
