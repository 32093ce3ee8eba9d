#include "ctl/options.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "common/command_line.h"

namespace tandem::ctl {

namespace {

const std::map<std::string, std::string>& command_help() {
  static const std::map<std::string, std::string> help = {
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
       "Exit: 0 all servers up, 1 a ready server down, 2 a node unreachable.\n"},
      {"drain",
       "usage: lbctl drain SERVER [--pool POOL] [global options]\n"
       "       lbctl drain POOL/SERVER\n"
       "\n"
       "Puts SERVER in DRAIN on every node's lb-proxy: no new clients are sent to it;\n"
       "established connections, in-flight requests and sticky sessions finish there.\n"
       "SERVER is looked up in every pool of the cluster file unless --pool is given.\n"
       "\n"
       "Exit: 0 applied on every node, 2 not applied somewhere (the output says where).\n"},
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
  return help;
}

bool is_command(const std::string& s) {
  const auto& names = command_names();
  return std::find(names.begin(), names.end(), s) != names.end();
}

}  // namespace

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = {"status", "watch",    "servers", "drain",  "disable",
                                                 "enable", "failover", "stick",   "events", "check-config"};
  return names;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::string number = text;
  double scale = 1000;
  if (text.ends_with("ms")) {
    number = text.substr(0, text.size() - 2);
    scale = 1;
  } else if (text.ends_with("s")) {
    number = text.substr(0, text.size() - 1);
  }
  if (number.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || v < 0 || v > 86400e3) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(v * scale + 0.5));
}

std::string usage(const std::string& command) {
  if (!command.empty()) {
    auto it = command_help().find(command);
    if (it != command_help().end()) return it->second;
  }
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
         "down), 2 a node unreachable or an error. Reference: docs/lbctl.md.\n";
}

namespace {

namespace po = boost::program_options;

// Every option of every command: lbctl takes global and command options
// before or after the command, so one description parses them all and the
// per-command checks below say which go together.
po::options_description describe() {
  po::options_description d;
  d.add_options()
      ("help,h", "")
      ("json", "")
      ("no-color", "")
      ("color", po::value<std::string>(), "")
      ("config", po::value<std::string>(), "")
      ("key", po::value<std::string>(), "")
      ("timeout", po::value<std::string>(), "")
      ("interval", po::value<std::string>(), "")
      ("wait", po::value<std::string>(), "")
      ("count", po::value<std::string>(), "")
      ("limit", po::value<std::string>(), "")
      ("to", po::value<std::string>(), "")
      ("instance", po::value<std::string>(), "")
      ("pool", po::value<std::string>(), "")
      ("node", po::value<std::string>(), "")
      ("probe", po::value<std::string>(), "")
      ("no-probe", "")
      ("words", po::value<std::vector<std::string>>(), "");
  return d;
}

}  // namespace

std::optional<Options> parse_options(const std::vector<std::string>& argv, const char* config_env,
                                     std::string& error) {
  Options o;
  o.config = config_env && *config_env ? config_env : kDefaultConfig;
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  if (!command_line::parse(argv, describe(), positional, vm, error)) return std::nullopt;
  auto text = [&](const char* name) -> const std::string* {
    return vm.count(name) ? &vm[name].as<std::string>() : nullptr;
  };
  auto duration = [&](const char* name, std::optional<std::chrono::milliseconds>& out) {
    const std::string* v = text(name);
    if (!v) return true;
    out = parse_duration(*v);
    if (!out) error = std::string("--") + name + ": '" + *v + "' is not a duration (e.g. 500ms, 1s)";
    return out.has_value();
  };
  auto number = [&](const char* name, int& out) {
    const std::string* v = text(name);
    if (!v) return true;
    auto n = command_line::parse_integer(*v, 1, 1000000);
    if (!n) {
      error = std::string("--") + name + ": a positive number";
      return false;
    }
    out = static_cast<int>(*n);
    return true;
  };
  o.help = vm.count("help") > 0;
  o.json = vm.count("json") > 0;
  if (vm.count("no-color")) o.color = ColorMode::never;
  if (const std::string* v = text("color")) {
    if (*v == "auto") o.color = ColorMode::automatic;
    else if (*v == "always") o.color = ColorMode::always;
    else if (*v == "never") o.color = ColorMode::never;
    else {
      error = "--color: auto, always or never";
      return std::nullopt;
    }
  }
  if (const std::string* v = text("config")) o.config = *v;
  if (const std::string* v = text("key")) o.key = *v;
  std::optional<std::chrono::milliseconds> timeout, wait;
  if (!duration("timeout", timeout) || !duration("interval", o.interval) || !duration("wait", wait))
    return std::nullopt;
  if (timeout) {
    if (timeout->count() < 10) {
      error = "--timeout: at least 10ms";
      return std::nullopt;
    }
    o.timeout = *timeout;
  }
  if (wait) o.wait = *wait;
  if (vm.count("count")) {
    int count = 0;
    if (!number("count", count)) return std::nullopt;
    o.count = count;
  }
  if (!number("limit", o.limit)) return std::nullopt;
  if (const std::string* v = text("to")) o.to = *v;
  if (const std::string* v = text("instance")) o.instance = *v;
  if (const std::string* v = text("pool")) o.pool = *v;
  if (const std::string* v = text("node")) o.node = *v;
  if (const std::string* v = text("probe")) o.probe_target = *v;
  if (vm.count("no-probe")) o.probe = false;
  // The words: "help" (before the command), the command, its arguments.
  if (vm.count("words")) {
    for (const auto& word : vm["words"].as<std::vector<std::string>>()) {
      if (!o.command.empty()) {
        o.args.push_back(word);
      } else if (word == "help") {
        o.help = true;
      } else if (!is_command(word)) {
        error = "unknown command '" + word + "'";
        return std::nullopt;
      } else {
        o.command = word;
      }
    }
  }
  if (o.help) return o;
  if (o.command.empty()) {
    error = "no command";
    return std::nullopt;
  }
  // Per-command arity and option checks.
  const auto& c = o.command;
  const std::size_t n = o.args.size();
  auto bad = [&](const std::string& what) {
    error = c + ": " + what;
    return std::nullopt;
  };
  if ((c == "status" || c == "watch" || c == "events" || c == "check-config" || c == "failover") && n > 0)
    return bad("takes no argument ('" + o.args[0] + "')");
  if (c == "servers" && n > 1) return bad("takes at most one POOL");
  if ((c == "drain" || c == "disable" || c == "enable") && n != 1) return bad("takes one SERVER");
  if (c == "stick") {
    if (n == 0) return bad("list, get KEY or count");
    const auto& sub = o.args[0];
    if (sub == "get" ? (n < 2 || n > 3) : (sub == "list" || sub == "count") ? n > 2 : true)
      return bad("list [POOL], get KEY [POOL] or count [POOL]");
  }
  if (o.interval && c == "watch" && o.interval->count() < 500) return bad("--interval is at least 500ms");
  if (o.count && c != "watch") return bad("--count goes with watch");
  if ((!o.to.empty() || !o.instance.empty() || !o.probe || !o.probe_target.empty()) && c != "failover")
    return bad("--to, --instance, --probe and --no-probe go with failover");
  if (!o.pool.empty() && c != "drain" && c != "disable" && c != "enable")
    return bad("--pool goes with drain, disable and enable");
  if (!o.node.empty() && c != "stick") return bad("--node goes with stick list");
  return o;
}

}  // namespace tandem::ctl
