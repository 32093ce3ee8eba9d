// lbctl's help texts: the overview and one per command (declared in
// ctl/options.h). Data, kept apart from the parser.
#include "ctl/options.h"

namespace tandem::ctl {

namespace {

// Every command and its help, in the order of the overview.
struct CommandHelp {
  const char* name;
  const char* text;
};

constexpr CommandHelp kCommands[] = {
    {"status",
     "usage: lbctl status [--interval D] [global options]\n"
     "\n"
     "One table for the whole cluster: per node its role per instance, base/effective\n"
     "priority, the VIPs it holds, proxy health, open connections, requests/s, servers\n"
     "up/total, stick entries, sync lag and the last advert it heard; then per instance\n"
     "its master and VIP holders. Split brain (two masters), no master, a VIP held by\n"
     "no node and unreachable nodes are printed as loud warnings.\n"
     "\n"
     "  --interval D   requests/s come from two samples D apart (default 500ms;\n"
     "                 0 = one sample, no rates)\n"
     "\n"
     "Exit: 0 healthy, 1 degraded, 2 a node unreachable or an error.\n"},
    {"watch",
     "usage: lbctl watch [--interval D] [--count N] [global options]\n"
     "\n"
     "The status view refreshed in place like top (interval D, default 1s, at least\n"
     "500ms), changed cells highlighted, the latest transitions below, until Ctrl-C.\n"
     "Not on a terminal (or with --json): one view per refresh, appended.\n"
     "\n"
     "  --interval D   refresh period (>= 500ms)\n"
     "  --count N      stop after N refreshes (exit code of the last one)\n"},
    {"servers",
     "usage: lbctl servers [POOL] [--interval D] [global options]\n"
     "\n"
     "Every backend server as each node's lb-proxy sees it: admin state, health,\n"
     "weight, active connections, requests/s (two samples D apart, default 500ms),\n"
     "requests, failures and ejections. POOL limits it to one pool.\n"
     "\n"
     "Exit: 0 all servers up, 1 a ready server down, 2 a node unreachable.\n"
     "\n"
     "usage: lbctl servers add POOL NAME ADDRESS [WEIGHT]\n"
     "       lbctl servers remove POOL NAME\n"
     "       lbctl servers weight POOL NAME WEIGHT\n"
     "       lbctl servers sync [POOL]\n"
     "\n"
     "Changes POOL's set of servers on every node's lb-proxy, signed like every\n"
     "state change. Each node keeps the change in its overlay file (next to the\n"
     "cluster file, node.server_overlay_file), so it survives a restart and a\n"
     "SIGHUP. A removed server finishes its in-flight requests; new requests and its\n"
     "sticky clients move. A node that was unreachable gets what it missed with the\n"
     "next change, or `servers sync`. `lbctl status` flags a node whose set differs;\n"
     "`lbctl export` writes the merged cluster file. docs/discovery.md.\n"
     "\n"
     "Exit: 0 applied on every node, 2 not applied somewhere (the output says where).\n"},
    {"export",
     "usage: lbctl export [global options] > merged.conf\n"
     "\n"
     "Prints the cluster file with the runtime server changes of every node merged\n"
     "into its pools (protobuf text format; the original's comments are not kept).\n"
     "Install it on every node, remove the overlay files, and SIGHUP: the same set.\n"
     "\n"
     "Exit: 0, 1 some node unreachable (its changes may be missing), 2 error.\n"},
    {"drain",
     "usage: lbctl drain SERVER [--pool POOL] [global options]\n"
     "       lbctl drain POOL/SERVER\n"
     "       lbctl drain NODE\n"
     "\n"
     "Puts SERVER in DRAIN on every node's lb-proxy: no new clients are sent to it;\n"
     "established connections, in-flight requests and sticky sessions finish there.\n"
     "SERVER is looked up in every pool of the cluster file unless --pool is given.\n"
     "\n"
     "With a NODE name (a node of the cluster file, no --pool): drain by withdrawal\n"
     "(ha.announce, every node active behind BGP): the node's agent withdraws its\n"
     "route announcements, so the routers send it no new connections, until\n"
     "`lbctl undrain NODE`; the drain survives an agent restart.\n"
     "\n"
     "Exit: 0 applied on every node, 2 not applied somewhere (the output says where).\n"},
    {"undrain",
     "usage: lbctl undrain NODE [global options]\n"
     "\n"
     "Ends `lbctl drain NODE`: the node announces its routes again (once its proxy\n"
     "can serve). Exit: 0 done, 2 refused or unreachable.\n"},
    {"disable",
     "usage: lbctl disable SERVER [--pool POOL] [global options]\n"
     "\n"
     "Puts SERVER in MAINTENANCE on every node: no traffic at all, sticky clients\n"
     "are moved to other servers. Exit codes as for drain.\n"},
    {"enable",
     "usage: lbctl enable SERVER [--pool POOL] [global options]\n"
     "\n"
     "Puts SERVER back to READY on every node. Exit codes as for drain.\n"},
    {"failover",
     "usage: lbctl failover [--to NODE] [--instance NAME] [--wait D] [--no-probe]\n"
     "                      [--probe IP:PORT] [global options]\n"
     "\n"
     "Planned switchover: the current master of the instance (every instance with a\n"
     "master when --instance is absent) resigns naming NODE (default: its best\n"
     "backup). Returns when the new master reports MASTER and holds the VIP, then\n"
     "prints the client-visible gap it measured: lbctl opens a TCP connection to the\n"
     "VIP (the listener port) every 5 ms during the switchover and reports the\n"
     "longest stretch without a successful connect. When the VIP cannot be reached\n"
     "from this machine (or with --no-probe) the gap is the time between the old\n"
     "master's and the new master's transitions (nodes' clocks: keep them in NTP).\n"
     "\n"
     "  --to NODE        the new master\n"
     "  --instance NAME  only this instance\n"
     "  --wait D         give up after D (default 10s)\n"
     "  --probe IP:PORT  probe this address instead of the VIP's listener\n"
     "  --no-probe       no TCP probe; gap from the transitions only\n"
     "\n"
     "Exit: 0 done, 2 refused, timed out or a node unreachable.\n"},
    {"stick",
     "usage: lbctl stick list [POOL] [--node NODE]\n"
     "       lbctl stick get KEY [POOL]\n"
     "       lbctl stick count [POOL]\n"
     "\n"
     "The stickiness tables. list: every entry of one node (--node, default the\n"
     "master). get: KEY's entry on every node (shows whether it was replicated).\n"
     "count: entries per node and pool. POOL defaults to every pool with stickiness.\n"},
    {"events",
     "usage: lbctl events [--limit N] [global options]\n"
     "\n"
     "The transitions of every node's instances with their causes, merged by time,\n"
     "newest last (each agent keeps its last 16 per instance). --limit N: the last N\n"
     "(default 50).\n"},
    {"check-config",
     "usage: lbctl check-config [global options]\n"
     "\n"
     "Checks the cluster file (every problem as file:line:col) and the key file,\n"
     "and prints where each node's control endpoint is. Exit 0 valid, 2 not.\n"},
};

}  // namespace

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& c : kCommands) out.emplace_back(c.name);
    return out;
  }();
  return names;
}

std::string usage(const std::string& command) {
  for (const auto& c : kCommands)
    if (!command.empty() && command == c.name) return c.text;
  return "usage: lbctl [global options] COMMAND [arguments]\n"
         "\n"
         "The operator's window on a Tandem cluster: talks to every node's ha-agent over\n"
         "its authenticated control endpoint (node.address:ha.control_port), all nodes at\n"
         "once, each with a short deadline.\n"
         "\n"
         "Commands:\n"
         "  status                    the whole cluster in one table\n"
         "  watch                     the same, refreshed live until Ctrl-C\n"
         "  servers [POOL]            backend servers per node\n"
         "  servers add|remove|weight|sync ...   change a pool's servers on every node\n"
         "  export                    the cluster file with runtime server changes merged\n"
         "  drain|disable|enable SERVER   change a server's state on every node\n"
         "  failover [--to NODE]      planned switchover; prints the client-visible gap\n"
         "  stick list|get KEY|count [POOL]   stickiness tables\n"
         "  events                    transitions with causes, newest last\n"
         "  check-config              check the cluster file and key\n"
         "\n"
         "Global options (before or after the command):\n"
         "  --config FILE    the cluster file (default $TANDEM_CONFIG, else /etc/tandem/cluster.conf)\n"
         "  --key FILE       the cluster key (default: the file's ha.key_file)\n"
         "  --timeout D      per node and request (default 1s; \"500ms\", \"2s\")\n"
         "  --json           machine-readable output\n"
         "  --color WHEN     auto (default: only on a terminal), always, never; --no-color\n"
         "  --help           this text; `lbctl COMMAND --help` for a command's\n"
         "\n"
         "Exit codes: 0 healthy, 1 degraded (split brain, no master, VIP unheld, proxy\n"
         "down, a pool's server set differing between nodes), 2 a node unreachable or an\n"
         "error. Reference: docs/lbctl.md.\n";
}

}  // namespace tandem::ctl
