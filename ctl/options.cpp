#include "ctl/options.h"

#include <algorithm>
#include <cstdlib>

#include "common/command_line.h"

namespace tandem::ctl {

namespace {

bool is_command(const std::string& s) {
  const auto& names = command_names();
  return std::find(names.begin(), names.end(), s) != names.end();
}

}  // namespace

bool is_server_set_verb(const std::string& word) {
  return word == "add" || word == "remove" || word == "weight" || word == "sync";
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

// The option values of VM, read one at a time; ERROR says what was wrong.
class OptionReader {
 public:
  OptionReader(const po::variables_map& vm, std::string& error) : vm_(vm), error_(error) {}

  bool has(const char* name) const { return vm_.count(name) > 0; }
  const std::string* text(const char* name) const {
    return vm_.count(name) ? &vm_[name].as<std::string>() : nullptr;
  }
  void copy(const char* name, std::string& out) const {
    if (const std::string* v = text(name)) out = *v;
  }
  bool duration(const char* name, std::optional<std::chrono::milliseconds>& out) {
    const std::string* v = text(name);
    if (!v) return true;
    out = parse_duration(*v);
    if (!out) error_ = std::string("--") + name + ": '" + *v + "' is not a duration (e.g. 500ms, 1s)";
    return out.has_value();
  }
  bool number(const char* name, int& out) {
    const std::string* v = text(name);
    if (!v) return true;
    auto n = command_line::parse_integer(*v, 1, 1000000);
    if (!n) {
      error_ = std::string("--") + name + ": a positive number";
      return false;
    }
    out = static_cast<int>(*n);
    return true;
  }
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

 private:
  const po::variables_map& vm_;
  std::string& error_;
};

// --help, --json, --color, --config, --key.
bool read_global(OptionReader& in, Options& o) {
  o.help = in.has("help");
  o.json = in.has("json");
  if (in.has("no-color")) o.color = ColorMode::never;
  if (const std::string* v = in.text("color")) {
    if (*v == "auto") o.color = ColorMode::automatic;
    else if (*v == "always") o.color = ColorMode::always;
    else if (*v == "never") o.color = ColorMode::never;
    else return in.fail("--color: auto, always or never");
  }
  in.copy("config", o.config);
  in.copy("key", o.key);
  return true;
}

// --timeout, --interval, --wait, --count, --limit.
bool read_timing(OptionReader& in, Options& o) {
  std::optional<std::chrono::milliseconds> timeout, wait;
  if (!in.duration("timeout", timeout) || !in.duration("interval", o.interval) || !in.duration("wait", wait))
    return false;
  if (timeout) {
    if (timeout->count() < 10) return in.fail("--timeout: at least 10ms");
    o.timeout = *timeout;
  }
  if (wait) o.wait = *wait;
  if (in.has("count")) {
    int count = 0;
    if (!in.number("count", count)) return false;
    o.count = count;
  }
  return in.number("limit", o.limit);
}

// The words: "help" (before the command), the command, its arguments.
bool read_words(const po::variables_map& vm, Options& o, std::string& error) {
  if (!vm.count("words")) return true;
  for (const auto& word : vm["words"].as<std::vector<std::string>>()) {
    if (!o.command.empty()) {
      o.args.push_back(word);
    } else if (word == "help") {
      o.help = true;
    } else if (!is_command(word)) {
      error = "unknown command '" + word + "'";
      return false;
    } else {
      o.command = word;
    }
  }
  return true;
}

// Per-command arity and which options go with which command; "" when O is fine.
std::string command_problem(const Options& o) {
  const auto& c = o.command;
  const std::size_t n = o.args.size();
  if ((c == "status" || c == "watch" || c == "events" || c == "check-config" || c == "failover") && n > 0)
    return "takes no argument ('" + o.args[0] + "')";
  if (c == "servers" && n > 1 && !is_server_set_verb(o.args[0])) return "takes at most one POOL";
  if (c == "export" && n > 0) return "takes no argument ('" + o.args[0] + "')";
  if (c == "drain" && n != 1) return "takes one SERVER (POOL/SERVER, or SERVER --pool POOL) or one NODE";
  if ((c == "disable" || c == "enable") && n != 1) return "takes one SERVER";
  if (c == "undrain" && n != 1) return "takes one NODE";
  if (c == "stick") {
    if (n == 0) return "list, get KEY or count";
    const auto& sub = o.args[0];
    if (sub == "get" ? (n < 2 || n > 3) : (sub == "list" || sub == "count") ? n > 2 : true)
      return "list [POOL], get KEY [POOL] or count [POOL]";
  }
  if (o.interval && c == "watch" && o.interval->count() < 500) return "--interval is at least 500ms";
  if (o.count && c != "watch") return "--count goes with watch";
  if ((!o.to.empty() || !o.instance.empty() || !o.probe || !o.probe_target.empty()) && c != "failover")
    return "--to, --instance, --probe and --no-probe go with failover";
  if (!o.pool.empty() && c != "drain" && c != "disable" && c != "enable")
    return "--pool goes with drain, disable and enable";
  if (!o.node.empty() && c != "stick") return "--node goes with stick list";
  return {};
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
  OptionReader in(vm, error);
  if (!read_global(in, o) || !read_timing(in, o)) return std::nullopt;
  in.copy("to", o.to);
  in.copy("instance", o.instance);
  in.copy("pool", o.pool);
  in.copy("node", o.node);
  in.copy("probe", o.probe_target);
  if (in.has("no-probe")) o.probe = false;
  if (!read_words(vm, o, error)) return std::nullopt;
  if (o.help) return o;
  if (o.command.empty()) {
    error = "no command";
    return std::nullopt;
  }
  if (auto problem = command_problem(o); !problem.empty()) {
    error = o.command + ": " + problem;
    return std::nullopt;
  }
  return o;
}

}  // namespace tandem::ctl
