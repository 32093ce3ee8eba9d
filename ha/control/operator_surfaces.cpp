#include "ha/control/operator_surfaces.h"

#include <stdexcept>

#include "common/address.h"

namespace tandem::ha {

OperatorSurfaces::OperatorSurfaces(asio::io_context& io, SurfaceSettings settings, KeyRing keys,
                                   const AgentView& view, ControlHandler::Switchover switchover,
                                   ControlHandler::RouteDrain route_drain)
    : io_(io),
      settings_(std::move(settings)),
      keys_(std::move(keys)),
      handler_(view, std::move(switchover), std::move(route_drain)) {}

OperatorSurfaces::~OperatorSurfaces() = default;

void OperatorSurfaces::start() {
  auto local = [this](const wire::ControlRequest& request) { return handler_.handle(request); };
  if (!settings_.control_socket.empty()) {
    control_ = std::make_unique<ControlServer>(io_, settings_.control_socket, local);
    control_->start();
  }
  start_admin();
  remote_ = std::make_unique<RemoteControl>(io_, settings_.remote, keys_, settings_.node, settings_.proxy_admin, local);
  remote_->start();
  if (!admin_) return;
  status_page_ = std::make_unique<StatusPage>(settings_.cluster_name, settings_.cluster_nodes, keys_, settings_.node);
  admin_->set_async_handler([this](std::string path) { return status_page_->handle(std::move(path)); });
  admin_->set_extra_metrics([this]() { return remote_->metrics_text(); });
}

void OperatorSurfaces::start_admin() {
  if (settings_.agent_admin.empty()) return;
  std::string error;
  auto hp = parse_host_port(settings_.agent_admin, error);
  if (!hp) throw std::runtime_error("agent_admin: " + error);
  admin_ = std::make_unique<AdminHttp>(io_, boost::asio::ip::tcp::endpoint(hp->address, hp->port),
                                       [this](const std::string& path) { return handler_.admin(path); });
  admin_->start();
}

void OperatorSurfaces::stop() {
  if (control_) control_->stop();
  if (remote_) remote_->stop();
  if (admin_) admin_->stop();
  if (status_page_) status_page_->stop();
}

void OperatorSurfaces::set_keys(const KeyRing& keys) {
  keys_ = keys;
  if (remote_) remote_->set_keys(keys);
  if (status_page_) status_page_->set_keys(keys);
}

}  // namespace tandem::ha
