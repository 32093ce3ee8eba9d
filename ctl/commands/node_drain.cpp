// lbctl drain NODE / undrain NODE: drain by withdrawal (ha.announce,
// docs/scaling.md). The node's agent withdraws (or announces again) its
// route announcements, so the routers stop hashing new flows to it while
// its established connections finish. Signed remote control to that node
// only; the agent remembers the drain across its restarts.
#include <iostream>

#include "ctl/commands.h"
#include "ctl/output.h"

namespace tandem::ctl {

namespace json = boost::json;

bool names_node(const config::Cluster& cluster, const std::string& name) {
  for (const auto& n : cluster.nodes())
    if (n.name() == name) return true;
  return false;
}

int cmd_node_drain(const Session& s) {
  const auto& o = s.options();
  const std::string& node = o.args[0];
  const bool drain = o.command == "drain";
  const control::Target* target = s.target(node);
  if (!target) {
    std::cerr << "lbctl: no node '" << node << "' in " << o.config << "\n";
    return 2;
  }
  wire::ControlRequest request;
  request.mutable_route_drain()->set_drained(drain);
  const auto results = s.call_each({control::Call{*target, request}});
  const auto& r = results.at(0);
  std::string error;
  if (!r.response) error = r.error;
  else if (r.response->has_error()) error = r.response->error();
  else if (!r.response->has_route_drain()) error = "the agent answered something else (an ha-agent of another version?)";
  const int code = error.empty() ? 0 : 2;
  if (o.json) {
    json::object out;
    out["node"] = node;
    out["drained"] = drain;
    out["ok"] = error.empty();
    out["error"] = error;
    if (error.empty()) {
      const auto& a = r.response->route_drain();
      out["announced"] = a.announced();
      out["why"] = a.why();
    }
    out["exit_code"] = code;
    print_json(out);
  } else if (!error.empty()) {
    std::cerr << "lbctl " << o.command << " " << node << ": " << error << "\n";
  } else {
    const auto& a = r.response->route_drain();
    std::cout << node << ": " << (a.announced() ? "announces " : "withdrawn, ") << (a.announced() ? "" : a.why())
              << "\n";
    if (drain)
      std::cout << "The routers send " << node
                << " no new connections once BGP converges; established ones finish there. `lbctl undrain " << node
                << "` announces again.\n";
  }
  return code;
}

}  // namespace tandem::ctl
