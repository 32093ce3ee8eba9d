#include "lb/discovery/dns_set.h"

#include <algorithm>
#include <limits>

namespace tandem::lb {

DiscoveredServer discovered_server(const std::string& address, std::uint16_t port, std::uint32_t weight) {
  const bool v6 = address.find(':') != std::string::npos;
  const std::string p = std::to_string(port);
  return DiscoveredServer{address + ":" + p, v6 ? "[" + address + "]:" + p : address + ":" + p,
                          std::clamp<std::uint32_t>(weight, 1, 256)};
}

DnsSet::Step DnsSet::on_result(DnsOutcome outcome, const std::vector<DnsRecord>& records, Time now) {
  Step step;
  std::vector<DiscoveredServer> next;
  std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
  if (outcome == DnsOutcome::answer && !records.empty()) {
    std::uint16_t best = std::numeric_limits<std::uint16_t>::max();
    for (const auto& r : records)
      if (r.port != 0) best = std::min(best, r.priority);
    for (const auto& r : records) {
      const bool srv = r.port != 0;
      if (srv && r.priority != best) continue;
      if (!srv && settings_.port == 0) continue;
      next.push_back(discovered_server(r.address, srv ? r.port : settings_.port, srv ? r.weight : 1));
      ttl = std::min(ttl, r.ttl_s);
    }
    std::sort(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    next.erase(std::unique(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.name == b.name; }),
               next.end());
  }
  if (next.empty()) {
    // Failure, timeout or nothing usable: keep the last good set, retry sooner.
    ++failures_;
    auto delay = settings_.retry_base;
    for (std::uint32_t i = 1; i < failures_ && delay < settings_.retry_max; ++i) delay *= 2;
    step.next_query = now + std::min(delay, settings_.retry_max);
    step.note = outcome == DnsOutcome::failure ? "kept: failure" : "kept: empty answer";
    return step;
  }
  failures_ = 0;
  const auto wait = std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(std::uint64_t{ttl} * 1000),
                                                          settings_.min_ttl, settings_.max_ttl);
  step.next_query = now + wait;
  step.changed = next != set_;
  step.note = "answer";
  set_ = std::move(next);
  return step;
}

}  // namespace tandem::lb
