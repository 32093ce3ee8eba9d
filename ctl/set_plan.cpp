#include "ctl/set_plan.h"

#include <map>

#include "config/server_set/change_query.h"
#include "config/server_set/server_set.h"

namespace tandem::ctl {

namespace {

bool same(const wire::ServerSetEntry& a, const wire::ServerSetEntry& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

const config::Server* find(const std::vector<config::Server>& servers, const std::string& name) {
  for (const auto& s : servers)
    if (s.name() == name) return &s;
  return nullptr;
}

}  // namespace

SetPlan plan_set_change(const config::Pool& base, const std::vector<NodeSet>& nodes, const SetChange& change) {
  SetPlan plan;
  for (const auto& n : nodes) {
    if (!n.set) {
      plan.unreachable.push_back(n.node);
      continue;
    }
    config::merge_entries(plan.merged, {n.set->overlay().begin(), n.set->overlay().end()});
  }
  if (plan.unreachable.size() == nodes.size()) {
    plan.error = "no node's lb-proxy answered; nothing was changed";
    return plan;
  }
  plan.merged.set_pool(base.name());
  const auto current = config::effective_servers(base, &plan.merged);
  const auto* existing = find(current, change.name);
  wire::ServerSetEntry entry;
  entry.set_name(change.name);
  entry.set_revision(config::overlay_version(plan.merged) + 1);
  switch (change.kind) {
    case SetChange::Kind::add:
      if (existing) {
        plan.error = "pool '" + base.name() + "' already has a server '" + change.name + "' (" +
                     existing->address() + "); use `lbctl servers weight` or remove it first";
        return plan;
      }
      entry.set_address(change.address);
      entry.set_weight(change.weight);
      break;
    case SetChange::Kind::remove:
      if (!existing) {
        plan.error = "pool '" + base.name() + "' has no server '" + change.name + "'";
        return plan;
      }
      if (current.size() == 1) {
        plan.error = "'" + change.name + "' is the last server of pool '" + base.name() +
                     "'; add another first (a pool keeps at least one server)";
        return plan;
      }
      entry.set_removed(true);
      break;
    case SetChange::Kind::weight:
      if (!existing) {
        plan.error = "pool '" + base.name() + "' has no server '" + change.name + "'";
        return plan;
      }
      entry.set_address(existing->address());
      entry.set_weight(change.weight);
      break;
    case SetChange::Kind::sync:
      break;
  }
  if (change.kind != SetChange::Kind::sync) {
    if (auto problem = config::entry_problem(entry); !problem.empty()) {
      plan.error = problem;
      return plan;
    }
    config::merge_entries(plan.merged, {entry});
  }
  plan.version = config::overlay_version(plan.merged);
  for (const auto& n : nodes) {
    if (!n.set) continue;
    std::map<std::string, const wire::ServerSetEntry*> has;
    for (const auto& e : n.set->overlay()) has[e.name()] = &e;
    NodeSend send{n.node, {}};
    for (const auto& e : plan.merged.entries()) {
      const auto it = has.find(e.name());
      if (it == has.end() || !same(*it->second, e)) send.entries.push_back(e);
    }
    plan.sends.push_back(std::move(send));
  }
  return plan;
}

std::vector<std::string> disagreeing_nodes(const std::vector<NodeSet>& nodes) {
  // The reference is the highest version's digest; among nodes of the same
  // version (a DNS pool's are all 0) the digest most of them hold, so one
  // odd node is the one flagged, whatever its place in the list.
  std::map<std::pair<std::uint64_t, std::string>, std::size_t> votes;
  for (const auto& n : nodes)
    if (n.set) ++votes[{n.set->version(), n.set->digest()}];
  std::vector<std::string> out;
  if (votes.empty()) return out;
  const std::uint64_t top = votes.rbegin()->first.first;
  const std::string* lead = nullptr;
  std::size_t most = 0;
  for (const auto& [key, count] : votes)
    if (key.first == top && count > most) {
      lead = &key.second;
      most = count;
    }
  for (const auto& n : nodes)
    if (n.set && n.set->digest() != *lead) out.push_back(n.node);
  return out;
}

std::vector<std::vector<wire::ServerSetEntry>> batches(const std::vector<wire::ServerSetEntry>& entries) {
  std::vector<std::vector<wire::ServerSetEntry>> out;
  for (std::size_t i = 0; i < entries.size(); i += config::kMaxChangesPerRequest)
    out.emplace_back(entries.begin() + static_cast<std::ptrdiff_t>(i),
                     entries.begin() + static_cast<std::ptrdiff_t>(std::min(entries.size(), i + config::kMaxChangesPerRequest)));
  return out;
}

}  // namespace tandem::ctl
