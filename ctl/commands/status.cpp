// lbctl status, watch and events: the cluster view, once, live, and its
// transitions.
#include <algorithm>
#include <csignal>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "ctl/commands.h"
#include "ctl/output.h"
#include "ctl/set_plan.h"
#include "ctl/table.h"
#include "ctl/views.h"

namespace tandem::ctl {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

// One watch frame for a terminal: the table (changes against PREVIOUS
// highlighted), the latest transitions, the refresh line.
std::string watch_frame(const Session& s, const json::object& view, const json::object* previous,
                        std::chrono::milliseconds interval) {
  std::string frame = render_status(view, s.color(), previous);
  frame += "\n" + paint("Latest transitions (newest last)", sgr::bold, s.color()) + "\n";
  frame += render_events(view.at("transitions").as_array(), 8, s.color());
  frame += paint("refresh every " + std::to_string(interval.count()) + " ms; Ctrl-C to quit", sgr::dim, s.color()) +
           "\n";
  return frame;
}

// Each pool's server-set version per node, and the nodes that disagree
// (docs/discovery.md); empty when every node runs the file's servers alone.
// A discovered pool (DNS, etcd) is always shown: its set changes without
// lbctl, so whether the nodes agree is worth a line.
struct SetAgreement {
  json::array pools;     // {pool, source, nodes: {node: {version, digest, servers, refused_keys}}, disagreeing: [...]}
  std::string text;      // for people
  std::vector<std::string> warnings;  // one per pool whose nodes disagree, for the view's warnings
  bool disagree = false;
};

SetAgreement set_agreement(const Session& s, const std::vector<control::NodeSample>& samples) {
  SetAgreement out;
  for (const auto& pool : s.cluster().pools()) {
    std::vector<NodeSet> nodes;
    bool changed = false;
    std::string source;
    for (const auto& smp : samples) {
      NodeSet n{smp.node, std::nullopt};
      if (smp.status && smp.status->has_proxy_report())
        for (const auto& p : smp.status->proxy_report().pools())
          if (p.name() == pool.name()) n.set = p.server_set();
      changed = changed || (n.set && (n.set->version() > 0 || !n.set->source().empty()));
      if (n.set && !n.set->source().empty()) source = n.set->source();
      nodes.push_back(std::move(n));
    }
    const auto differ = disagreeing_nodes(nodes);
    if (!changed && differ.empty()) continue;
    json::object per_node;
    std::string line = "  " + pool.name() + (source.empty() ? "" : " (" + source + ")") + ":";
    for (const auto& n : nodes) {
      if (!n.set) continue;
      json::object facts{{"version", n.set->version()}, {"digest", n.set->digest()}};
      const bool odd = std::find(differ.begin(), differ.end(), n.node) != differ.end();
      line += " " + n.node + " v" + std::to_string(n.set->version());
      if (!n.set->source().empty()) {
        // A discovered set: the digest is what agreement means (DNS has no
        // version), the size and refused keys are what an operator checks.
        facts["servers"] = n.set->servers();
        facts["refused_keys"] = n.set->refused_keys();
        line += " " + n.set->digest().substr(0, 8) + " " + std::to_string(n.set->servers()) + " servers";
        if (n.set->refused_keys() > 0) line += " (" + std::to_string(n.set->refused_keys()) + " keys refused)";
        if (!odd) line += ";";
      }
      if (odd) line += " DIFFERS";
      if (odd && !n.set->source().empty()) line += ";";
      per_node[n.node] = std::move(facts);
    }
    if (!line.empty() && line.back() == ';') line.pop_back();
    json::array bad;
    for (const auto& d : differ) bad.emplace_back(d);
    out.pools.push_back(json::object{
        {"pool", pool.name()}, {"source", source}, {"nodes", std::move(per_node)}, {"disagreeing", std::move(bad)}});
    if (!differ.empty()) {
      out.disagree = true;
      std::uint64_t top = 0;
      for (const auto& n : nodes)
        if (n.set) top = std::max<std::uint64_t>(top, n.set->version());
      std::string who;
      for (const auto& n : nodes)
        if (n.set && std::find(differ.begin(), differ.end(), n.node) != differ.end())
          who += (who.empty() ? "" : ", ") + n.node + " (v" + std::to_string(n.set->version()) + ")";
      out.warnings.push_back("pool " + pool.name() + (source.empty() ? "" : " (" + source + ")") +
                             ": server set differs on " + who + " from the newest, v" + std::to_string(top));
      line += source.empty() ? "  (nodes catch up from their peers within a second; if this lasts, `lbctl servers sync " +
                                   pool.name() + "` copies the newest set to every node)"
                             : "  (a node that differs for long cannot reach " + source + ": see its log)";
    }
    out.text += paint(line, differ.empty() ? "" : sgr::loud, s.color()) + "\n";
  }
  if (!out.text.empty()) out.text = paint("Server sets (runtime changes, DNS, etcd; version per node)", sgr::bold, s.color()) + "\n" + out.text;
  return out;
}

// Folds SETS into VIEW: nodes balancing over different sets is a degraded
// cluster (exit 1), in the JSON's exit_code and warnings too, so a script
// reading either sees it; the JSON gets each pool's sets.
void add_set_agreement(json::object& view, const SetAgreement& sets) {
  if (sets.disagree) {
    auto& warnings = view["warnings"].as_array();
    for (const auto& w : sets.warnings) warnings.emplace_back(w);
    if (exit_code(view) < control::kDegraded) {
      view["exit_code"] = control::kDegraded;
      view["health"] = "degraded";
    }
  }
  view["server_sets"] = sets.pools;
}

}  // namespace

int cmd_status(const Session& s) {
  control::RateMemory rates;
  const auto samples = sample_for_rates(s, s.options().interval.value_or(500ms), [&](const auto& first) {
    (void)control::build_cluster_view(s.cluster().name(), first, rates, unix_now_ms());
  });
  auto view = control::build_cluster_view(s.cluster().name(), samples, rates, unix_now_ms());
  const auto sets = set_agreement(s, samples);
  add_set_agreement(view, sets);
  const int code = exit_code(view);
  if (s.options().json) {
    print_json(view);
  } else {
    std::cout << render_status(view, s.color()) << sets.text;
  }
  return code;
}

int cmd_watch(const Session& s) {
  const auto interval = std::max(s.options().interval.value_or(1000ms), std::chrono::milliseconds(500));
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  const bool tty = ::isatty(STDOUT_FILENO) != 0 && !s.options().json;
  control::RateMemory rates;
  std::optional<json::object> previous;
  int code = 0;
  for (int n = 0; !g_interrupted; ++n) {
    const auto started = std::chrono::steady_clock::now();
    const auto samples = s.sample();
    auto view = control::build_cluster_view(s.cluster().name(), samples, rates, unix_now_ms());
    const auto sets = set_agreement(s, samples);
    add_set_agreement(view, sets);
    code = exit_code(view);
    if (s.options().json) {
      print_json(view);
    } else {
      // Home + clear on a terminal (like top); a separator otherwise.
      std::cout << (tty ? "\033[H\033[2J" : (n ? "\n" : ""))
                << watch_frame(s, view, previous ? &*previous : nullptr, interval) << sets.text << std::flush;
    }
    previous = view;
    if (s.options().count && n + 1 >= *s.options().count) break;
    while (!g_interrupted && std::chrono::steady_clock::now() - started < interval) std::this_thread::sleep_for(20ms);
  }
  return code;
}

int cmd_events(const Session& s) {
  const auto samples = s.sample(false);
  auto transitions = control::merged_transitions(samples);
  const std::size_t limit = static_cast<std::size_t>(s.options().limit);
  int code = 0;
  json::array unreachable;
  for (const auto& smp : samples)
    if (!smp.status) {
      code = 2;
      unreachable.emplace_back(smp.node + ": " + smp.error);
    }
  if (s.options().json) {
    json::array last;
    const std::size_t start = transitions.size() > limit ? transitions.size() - limit : 0;
    for (std::size_t i = start; i < transitions.size(); ++i) last.push_back(transitions[i]);
    json::object out;
    out["events"] = std::move(last);
    out["unreachable"] = std::move(unreachable);
    out["exit_code"] = code;
    print_json(out);
  } else {
    for (const auto& u : unreachable)
      std::cout << paint("!!! unreachable " + std::string(u.as_string()), sgr::loud, s.color()) << "\n";
    std::cout << render_events(transitions, limit, s.color());
  }
  return code;
}

}  // namespace tandem::ctl
