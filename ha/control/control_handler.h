// The answers the agent gives itself, the same on every operator surface:
// status and switchover for the unix control socket and remote control,
// /metrics and /status for admin HTTP. It reads the agent through AgentView;
// the one change an operator may ask, a switchover, goes through the
// Switchover function it is given. Pure: no sockets.
#pragma once

#include <functional>
#include <string>

#include "common/proto/control.pb.h"
#include "ha/control/admin_reply.h"
#include "ha/control/agent_view.h"

namespace tandem::ha {

class ControlHandler {
 public:
  // Carries out a switchover request (ha/control/switchover.h).
  using Switchover = std::function<wire::SwitchoverResponse(const wire::SwitchoverRequest&)>;
  // Drains or undrains the node's route announcement (ha.announce); empty
  // when the node announces nothing.
  using RouteDrain = std::function<wire::AnnounceStatus(const wire::RouteDrainRequest&)>;

  ControlHandler(const AgentView& view, Switchover switchover, RouteDrain route_drain = {});

  // The answer to a control REQUEST: status, switchover, or an error saying
  // what to send instead.
  wire::ControlResponse handle(const wire::ControlRequest& request) const;

  // The admin listener's answer for PATH: /metrics, /status, else 404.
  AdminReply admin(const std::string& path) const;

 private:
  const AgentView& view_;
  Switchover switchover_;
  RouteDrain route_drain_;
};

}  // namespace tandem::ha
