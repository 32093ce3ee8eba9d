#include "ctl/failover_watch.h"

#include "common/address.h"
#include "ctl/output.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace json = boost::json;

std::pair<std::string, bool> state_of(const std::vector<control::NodeSample>& samples, const std::string& node,
                                      const std::string& instance) {
  for (const auto& smp : samples) {
    if (smp.node != node || !smp.status) continue;
    for (const auto& in : smp.status->instances())
      if (in.name() == instance) return {in.state(), in.vip_held()};
  }
  return {"", false};
}

std::string new_master_in(const std::vector<control::NodeSample>& samples, const std::string& instance,
                          const std::string& old_master, const std::string& to) {
  std::string found;
  for (const auto& smp : samples) {
    if (smp.node == old_master) continue;
    if (!to.empty() && smp.node != to) continue;
    auto [st, held] = state_of(samples, smp.node, instance);
    if (st == "MASTER" && held && state_of(samples, old_master, instance).first != "MASTER") found = smp.node;
  }
  return found;
}

std::optional<std::uint64_t> master_edge(const std::vector<control::NodeSample>& samples, const std::string& node,
                                         const std::string& instance, bool into) {
  std::optional<std::uint64_t> at;
  for (const auto& smp : samples) {
    if (smp.node != node || !smp.status) continue;
    for (const auto& in : smp.status->instances()) {
      if (in.name() != instance) continue;
      for (const auto& t : in.transitions())
        if (into ? t.to() == "MASTER" : t.from() == "MASTER") at = t.at_unix_ms();
    }
  }
  return at;
}

std::optional<std::pair<std::string, std::uint16_t>> probe_target(const config::Cluster& cluster,
                                                                   const std::string& instance) {
  std::string vip;
  for (const auto& in : cluster.ha().instances())
    if (in.name() == instance && in.vips_size() > 0) {
      std::string error;
      if (auto p = parse_prefix(in.vips(0), error)) vip = p->address.to_string();
    }
  if (vip.empty()) return std::nullopt;
  for (const auto& l : cluster.listeners()) {
    std::string error;
    auto hp = parse_host_port(l.bind(), error);
    if (!hp) continue;
    if (hp->address.to_string() == vip || hp->address.is_unspecified()) return std::pair{vip, hp->port};
  }
  return std::nullopt;
}

json::object handover_json(const Handover& h) {
  json::object out;
  out["instance"] = h.instance;
  out["from"] = h.from;
  out["to"] = h.to;
  out["took_ms"] = static_cast<std::int64_t>(h.took_ms);
  out["messages"] = h.messages;
  const auto tg = h.transitions_gap ? json::value(*h.transitions_gap) : json::value(nullptr);
  out["transitions_gap_ms"] = tg;
  if (h.gap) {
    out["gap_method"] = "tcp_probe";
    out["gap_ms"] = h.gap->gap_ms;
    json::object p;
    p["target"] = h.target.first + ":" + std::to_string(h.target.second);
    p["attempts"] = h.gap->attempts;
    p["failed"] = h.gap->failed;
    p["interval_ms"] = VipProbe::kInterval.count();
    out["probe"] = std::move(p);
  } else {
    out["gap_method"] = "transitions";
    out["gap_ms"] = tg;
    out["probe"] = nullptr;
  }
  return out;
}

std::string handover_text(const Handover& h, bool c) {
  std::string out = paint(h.instance, sgr::bold, c) + ": " + h.from + " -> " + paint(h.to, sgr::blue, c) +
                    " serves the VIP after " + fmt_ms(h.took_ms) + "\n";
  if (h.gap) {
    out += "  client-visible gap: " + paint(fmt_ms(h.gap->gap_ms), sgr::bold, c) + " (" +
           std::to_string(h.gap->failed) + " of " + std::to_string(h.gap->attempts) + " TCP connects to " +
           h.target.first + ":" + std::to_string(h.target.second) + " failed, one every " +
           std::to_string(VipProbe::kInterval.count()) + " ms)\n";
  } else {
    out += "  client-visible gap: VIP not reachable from here; between the transitions: " +
           (h.transitions_gap ? fmt_ms(*h.transitions_gap) : std::string("unknown")) + "\n";
  }
  if (h.transitions_gap && h.gap) {
    if (*h.transitions_gap < 0) {
      out += "  " + h.to + " became MASTER " + fmt_ms(-*h.transitions_gap) + " before " + h.from +
             " left it (agents' clocks; the resign advert arrives before the old master's bookkeeping)\n";
    } else {
      out += "  " + h.from + " left MASTER -> " + h.to + " became MASTER: " + fmt_ms(*h.transitions_gap) +
             " (agents' clocks)\n";
    }
  }
  return out;
}

}  // namespace tandem::ctl
