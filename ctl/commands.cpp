#include "ctl/commands.h"

#include <iostream>

namespace tandem::ctl {

int run(const Options& o) {
  if (o.command == "check-config") return cmd_check_config(o);
  std::string error;
  auto session = Session::open(o, error);
  if (!session) {
    std::cerr << "lbctl: " << error << "\n";
    return 2;
  }
  const auto& c = o.command;
  if (c == "status") return cmd_status(*session);
  if (c == "watch") return cmd_watch(*session);
  if (c == "servers" && !o.args.empty() && is_server_set_verb(o.args[0])) return cmd_server_set(*session);
  if (c == "servers") return cmd_servers(*session);
  if (c == "export") return cmd_export(*session);
  // drain NODE withdraws a node's announcement; POOL/SERVER or --pool names a server.
  if (c == "undrain" || (c == "drain" && o.pool.empty() && !o.args.empty() && names_node(session->cluster(), o.args[0])))
    return cmd_node_drain(*session);
  if (c == "drain" || c == "disable" || c == "enable") return cmd_server_state(*session);
  if (c == "failover") return cmd_failover(*session);
  if (c == "stick") return cmd_stick(*session);
  if (c == "events") return cmd_events(*session);
  std::cerr << "lbctl: unknown command '" << c << "'\n";
  return 2;
}

}  // namespace tandem::ctl
