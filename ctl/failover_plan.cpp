#include "ctl/failover_plan.h"

#include <algorithm>

#include <boost/json/array.hpp>

namespace tandem::ctl {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool flag(const json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  return v && v->is_bool() && v->as_bool();
}

const json::array* array_of(const json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

}  // namespace

FailoverPlan plan_failover(const json::object& view, const std::vector<std::string>& instances,
                           const std::string& instance, const std::string& to) {
  FailoverPlan plan;
  // Who answered, and why the others did not.
  std::size_t answered = 0;
  std::string unanswered;
  bool to_answered = to.empty();
  if (const auto* nodes = array_of(view, "nodes")) {
    for (const auto& nv : *nodes) {
      if (!nv.is_object()) continue;
      const auto& n = nv.as_object();
      if (flag(n, "reachable")) {
        ++answered;
        if (str(n, "node") == to) to_answered = true;
      } else {
        unanswered += (unanswered.empty() ? "" : "; ") + str(n, "node") + ": " + str(n, "error");
      }
    }
  }
  if (answered == 0) {
    plan.error = "no node answered (" + (unanswered.empty() ? std::string("no nodes") : unanswered) +
                 "); nothing was switched over. Check --key and that the agents run.";
    return plan;
  }
  if (!to_answered) {
    plan.error = "--to " + to + " did not answer; not switching over to a node that cannot be seen (" + unanswered +
                 ")";
    return plan;
  }
  if (!instance.empty() && std::find(instances.begin(), instances.end(), instance) == instances.end()) {
    plan.error = "no instance '" + instance + "' in the cluster file";
    return plan;
  }
  // The instances as the answering nodes report them.
  const json::array* reported = array_of(view, "instances");
  for (const auto& name : instances) {
    if (!instance.empty() && name != instance) continue;
    const json::object* seen = nullptr;
    if (reported)
      for (const auto& iv : *reported)
        if (iv.is_object() && str(iv.as_object(), "name") == name) seen = &iv.as_object();
    if (!seen) {
      plan.error = "instance " + name + ": no node that runs it answered" +
                   (unanswered.empty() ? std::string() : " (" + unanswered + ")") + "; not switching over";
      return plan;
    }
    const auto* masters = array_of(*seen, "masters");
    if (!masters || masters->size() != 1 || !(*masters)[0].is_string()) {
      plan.error = "instance " + name + " has no single master (see `lbctl status`); not switching over";
      return plan;
    }
    const std::string master((*masters)[0].as_string());
    if (!to.empty() && master == to) {
      plan.already.push_back(name);
      continue;
    }
    plan.work.emplace_back(name, master);
  }
  if (plan.work.empty() && plan.already.empty()) plan.error = "the cluster file has no instance to switch over";
  return plan;
}

}  // namespace tandem::ctl
