// lbctl failover: a planned switchover per instance (ctl/failover_plan.h
// decides what to hand over), timed from lbctl's side and, when the VIP is
// reachable from here, with the client-visible gap a TCP probe measured.
#include <iostream>
#include <thread>
#include <variant>

#include "common/address.h"
#include "ctl/commands.h"
#include "ctl/failover_plan.h"
#include "ctl/failover_watch.h"
#include "ctl/output.h"

namespace tandem::ctl {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Refuses with WHY (exit CODE): a JSON object with --json, a line on stderr otherwise.
int refuse(const Options& o, const std::string& why, int code = 2) {
  if (o.json) {
    json::object out;
    out["ok"] = false;
    out["error"] = why;
    out["exit_code"] = code;
    print_json(out);
  } else {
    std::cerr << "lbctl failover: " << why << "\n";
  }
  return code;
}

// Every instance asked for already has --to as master: nothing to do, and said so.
int nothing_to_do(const Options& o, const FailoverPlan& plan) {
  if (o.json) {
    json::object out;
    out["ok"] = true;
    out["switched"] = json::array();
    json::array already;
    for (const auto& name : plan.already) already.emplace_back(name);
    out["already"] = std::move(already);
    out["exit_code"] = 0;
    print_json(out);
  }
  return 0;
}

// What to probe for INSTANCE: --probe, else the VIP's listener; nullopt
// with --no-probe or when it cannot be reached from here. ERROR: a bad --probe.
std::optional<std::pair<std::string, std::uint16_t>> probe_for(const Session& s, const std::string& instance,
                                                               std::string& error) {
  const auto& o = s.options();
  if (!o.probe) return std::nullopt;
  std::optional<std::pair<std::string, std::uint16_t>> target;
  if (!o.probe_target.empty()) {
    auto hp = parse_host_port(o.probe_target, error);
    if (!hp) return std::nullopt;
    target = std::pair{hp->address.to_string(), hp->port};
  } else {
    target = probe_target(s.cluster(), instance);
  }
  if (target && !VipProbe::reachable(target->first, target->second, 300ms)) target.reset();
  return target;
}

// Asks OLD_MASTER to hand INSTANCE over; whether it accepted, and its messages.
std::pair<bool, std::string> request_switchover(const Session& s, const std::string& instance,
                                                const std::string& old_master) {
  wire::ControlRequest req;
  req.mutable_switchover()->set_instance(instance);
  req.mutable_switchover()->set_to(s.options().to);
  const auto answer = s.call_each({control::Call{*s.target(old_master), req}});
  std::string messages;
  bool accepted = false;
  if (!answer.empty() && answer[0].response && answer[0].response->has_switchover()) {
    accepted = answer[0].response->switchover().accepted();
    for (const auto& m : answer[0].response->switchover().messages()) messages += (messages.empty() ? "" : "; ") + m;
  } else if (!answer.empty()) {
    messages = answer[0].response ? answer[0].response->error() : answer[0].error;
  }
  return {accepted, messages};
}

// Polls until a new master of INSTANCE serves the VIP or DEADLINE; the
// new master ("" at the deadline) and the last samples.
std::pair<std::string, std::vector<control::NodeSample>> await_new_master(
    const Session& s, const std::string& instance, const std::string& old_master,
    std::chrono::steady_clock::time_point deadline) {
  std::vector<control::NodeSample> last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = s.sample(false);
    auto found = new_master_in(last, instance, old_master, s.options().to);
    if (!found.empty()) return {found, last};
    std::this_thread::sleep_for(20ms);
  }
  return {"", last};
}

// Hands INSTANCE over from OLD_MASTER; the handover, or why not (exit code
// already reported through refuse).
std::variant<Handover, int> hand_over(const Session& s, const std::string& instance, const std::string& old_master) {
  const auto& o = s.options();
  std::string probe_error;
  const auto target = probe_for(s, instance, probe_error);
  if (!probe_error.empty()) return refuse(o, "--probe: " + probe_error);
  std::optional<VipProbe> probe;
  if (target) {
    probe.emplace(target->first, target->second);
    probe->start();
    std::this_thread::sleep_for(50ms);  // a baseline of successes first
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto [accepted, messages] = request_switchover(s, instance, old_master);
  if (!accepted) {
    if (probe) probe->stop();
    return refuse(o, instance + ": " + old_master + " did not hand over: " + messages);
  }
  const auto [new_master, last] = await_new_master(s, instance, old_master, t0 + o.wait);
  Handover h{instance, old_master, new_master};
  h.took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  h.messages = messages;
  if (probe) {
    std::this_thread::sleep_for(200ms);  // a little longer, so a gap ending just now is closed by a success
    h.gap = gap_of(probe->stop());
    h.target = *target;
  }
  if (new_master.empty())
    return refuse(o, instance + ": no new master serving the VIP within " + std::to_string(o.wait.count()) + " ms (" +
                         messages + ")");
  const auto left = master_edge(last, old_master, instance, false);
  const auto arrived = master_edge(last, new_master, instance, true);
  if (left && arrived) h.transitions_gap = static_cast<double>(*arrived) - static_cast<double>(*left);
  return h;
}

}  // namespace

int cmd_failover(const Session& s) {
  const auto& o = s.options();
  if (!o.to.empty() && !s.target(o.to)) return refuse(o, "no node '" + o.to + "' in " + o.config);
  control::RateMemory rates;
  const auto before = control::build_cluster_view(s.cluster().name(), s.sample(false), rates, unix_now_ms());
  std::vector<std::string> configured;
  for (const auto& in : s.cluster().ha().instances()) configured.push_back(in.name());
  const auto plan = plan_failover(before, configured, o.instance, o.to);
  if (!plan.error.empty()) return refuse(o, plan.error);
  if (!o.json)
    for (const auto& name : plan.already) std::cout << name << ": " << o.to << " is already master\n";
  if (plan.work.empty()) return nothing_to_do(o, plan);
  json::array switched;
  for (const auto& [instance, old_master] : plan.work) {
    auto outcome = hand_over(s, instance, old_master);
    if (const auto* code = std::get_if<int>(&outcome)) return *code;
    const auto& h = std::get<Handover>(outcome);
    if (!o.json) std::cout << handover_text(h, s.color());
    switched.push_back(handover_json(h));
  }
  if (o.json) {
    json::object out;
    out["ok"] = true;
    out["switched"] = std::move(switched);
    out["exit_code"] = 0;
    print_json(out);
  }
  return 0;
}

}  // namespace tandem::ctl
