// The agent's operator surfaces, started and stopped together:
//   - the unix control socket (node.control_socket, ha-agent --status),
//   - remote control (node.address:ha.control_port, lbctl and the status
//     pages of every node),
//   - the admin listener (node.agent_admin: /metrics, /status) with the
//     cluster status page.
// The first two and /metrics, /status answer from one ControlHandler, which
// sees the agent only through its read-only AgentView.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/control/remote_client.h"
#include "common/key_ring.h"
#include "ha/control/admin_http.h"
#include "ha/control/control_handler.h"
#include "ha/control/control_server.h"
#include "ha/control/remote_control.h"
#include "ha/control/status_page.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// Where the surfaces listen; an empty path or address turns that one off.
struct SurfaceSettings {
  std::string node;
  std::string control_socket;                  // node.control_socket
  boost::asio::ip::tcp::endpoint remote;       // node.address:ha.control_port
  std::string proxy_admin;                     // node.proxy_admin (remote control forwards there)
  std::string agent_admin;                     // node.agent_admin ("ip:port")
  std::string cluster_name;                    // for the status page
  std::vector<control::Target> cluster_nodes;  // every node's remote control, for the status page
};

class OperatorSurfaces {
 public:
  OperatorSurfaces(asio::io_context& io, SurfaceSettings settings, KeyRing keys, const AgentView& view,
                   ControlHandler::Switchover switchover, ControlHandler::RouteDrain route_drain = {});
  ~OperatorSurfaces();

  // Listens on every configured surface. Throws std::runtime_error when one
  // cannot (the message says which setting to change).
  void start();
  // Stops listening and closes the connections.
  void stop();
  // New cluster keys (SIGHUP).
  void set_keys(const KeyRing& keys);

 private:
  void start_admin();

  asio::io_context& io_;
  SurfaceSettings settings_;
  KeyRing keys_;
  ControlHandler handler_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<RemoteControl> remote_;
  std::unique_ptr<AdminHttp> admin_;
  std::unique_ptr<StatusPage> status_page_;  // GET / and /cluster.json on admin_
};

}  // namespace tandem::ha
