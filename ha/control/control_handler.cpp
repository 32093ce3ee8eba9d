#include "ha/control/control_handler.h"

#include "ha/control/control_client.h"
#include "ha/control/status_builder.h"

namespace tandem::ha {

ControlHandler::ControlHandler(const AgentView& view, Switchover switchover, RouteDrain route_drain)
    : view_(view), switchover_(std::move(switchover)), route_drain_(std::move(route_drain)) {}

wire::ControlResponse ControlHandler::handle(const wire::ControlRequest& request) const {
  wire::ControlResponse response;
  if (request.has_status()) {
    *response.mutable_status() = view_.status();
  } else if (request.has_switchover()) {
    *response.mutable_switchover() = switchover_(request.switchover());
  } else if (request.has_route_drain()) {
    if (route_drain_) {
      *response.mutable_route_drain() = route_drain_(request.route_drain());
    } else {
      response.set_error("this node announces no routes (no ha.announce in the cluster file): nothing to drain");
    }
  } else {
    response.set_error("empty request: set `status` or `switchover`");
  }
  return response;
}

AdminReply ControlHandler::admin(const std::string& path) const {
  if (path == "/metrics") {
    return AdminReply{200, "text/plain; version=0.0.4; charset=utf-8",
                      render_metrics(view_.status(), view_.transition_counts())};
  }
  if (path == "/status") return AdminReply{200, "application/json", status_json(view_.status()) + "\n"};
  return AdminReply{404, "text/plain; charset=utf-8", "not found: try /metrics or /status\n"};
}

}  // namespace tandem::ha
