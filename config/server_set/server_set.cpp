#include "config/server_set/server_set.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "common/address.h"
#include "config/defaults.h"

namespace tandem::config {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == ':';
}

// The content an entry is compared on when two share a revision.
auto content(const wire::ServerSetEntry& e) { return std::make_tuple(e.removed(), e.address(), e.weight()); }

void fnv(std::uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= 0xff;  // a separator no name or address contains
  h *= 0x100000001b3ULL;
}

Server to_server(const wire::ServerSetEntry& e, const Server* base) {
  Server s;
  if (base) s = *base;
  s.set_name(e.name());
  s.set_address(e.address());
  s.set_weight(e.weight());
  return s;
}

}  // namespace

std::string entry_problem(const wire::ServerSetEntry& e) {
  if (e.name().empty()) return "a server needs a name";
  if (e.name().size() > kMaxServerNameBytes)
    return "server name longer than " + std::to_string(kMaxServerNameBytes) + " bytes";
  if (!std::all_of(e.name().begin(), e.name().end(), name_char))
    return "server name '" + e.name().substr(0, 64) + "' may hold only letters, digits and . _ : -";
  if (e.revision() == 0) return "server '" + e.name() + "': a change needs a revision of 1 or more";
  if (e.removed()) {
    if (!e.address().empty() || e.weight() != 0) return "server '" + e.name() + "': a removal carries no address or weight";
    return {};
  }
  std::string error;
  if (!parse_host_port(e.address(), error))
    return "server '" + e.name() + "': address '" + e.address().substr(0, 64) + "': " + error;
  if (e.weight() < 1 || e.weight() > kMaxServerWeight)
    return "server '" + e.name() + "': weight " + std::to_string(e.weight()) + " is not in 1..256";
  return {};
}

bool entry_wins(const wire::ServerSetEntry& a, const wire::ServerSetEntry& b) {
  if (a.revision() != b.revision()) return a.revision() > b.revision();
  return content(a) > content(b);
}

MergeOutcome merge_entries(wire::PoolOverlay& overlay, const std::vector<wire::ServerSetEntry>& entries) {
  MergeOutcome out;
  std::map<std::string, wire::ServerSetEntry> by_name;
  for (const auto& e : overlay.entries()) by_name[e.name()] = e;
  for (const auto& e : entries) {
    auto [it, inserted] = by_name.try_emplace(e.name(), e);
    if (inserted) {
      ++out.applied;
    } else if (entry_wins(e, it->second)) {
      it->second = e;
      ++out.applied;
    } else {
      ++out.stale;
    }
  }
  overlay.clear_entries();
  for (auto& [name, e] : by_name) *overlay.add_entries() = std::move(e);
  return out;
}

std::uint64_t overlay_version(const wire::PoolOverlay& overlay) {
  std::uint64_t v = 0;
  for (const auto& e : overlay.entries()) v = std::max(v, e.revision());
  return v;
}

std::vector<wire::ServerSetEntry> entries_after(const wire::PoolOverlay& overlay, std::uint64_t version) {
  std::vector<wire::ServerSetEntry> out;
  for (const auto& e : overlay.entries())
    if (e.revision() > version) out.push_back(e);
  return out;
}

std::vector<wire::ServerSetEntry> entries_winning(const wire::PoolOverlay* local, const wire::PoolOverlay& remote) {
  std::map<std::string, const wire::ServerSetEntry*> mine;
  if (local)
    for (const auto& e : local->entries()) mine[e.name()] = &e;
  std::vector<wire::ServerSetEntry> out;
  for (const auto& e : remote.entries()) {
    const auto it = mine.find(e.name());
    if (it == mine.end() || entry_wins(e, *it->second)) out.push_back(e);
  }
  return out;
}

std::vector<Server> effective_servers(const Pool& base, const wire::PoolOverlay* overlay) {
  std::map<std::string, const wire::ServerSetEntry*> change;
  if (overlay)
    for (const auto& e : overlay->entries()) change[e.name()] = &e;
  std::vector<Server> out;
  for (const auto& s : base.servers()) {
    const auto it = change.find(s.name());
    if (it == change.end()) {
      out.push_back(s);
      continue;
    }
    if (!it->second->removed()) out.push_back(to_server(*it->second, &s));
    change.erase(it);
  }
  for (const auto& [name, e] : change)  // names the file does not have, in name order
    if (!e->removed()) out.push_back(to_server(*e, nullptr));
  return out;
}

std::string set_digest(const std::vector<Server>& servers) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& s : servers) {
    fnv(h, s.name());
    fnv(h, s.address());
    fnv(h, std::to_string(server_weight(s)));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

SetDiff diff_sets(const std::vector<Server>& before, const std::vector<Server>& after) {
  SetDiff d;
  std::map<std::string, const Server*> old;
  for (const auto& s : before) old[s.name()] = &s;
  for (const auto& s : after) {
    const auto it = old.find(s.name());
    if (it == old.end()) {
      d.added.push_back(s.name());
      continue;
    }
    if (it->second->address() != s.address() || server_weight(*it->second) != server_weight(s))
      d.changed.push_back(s.name());
    old.erase(it);
  }
  for (const auto& [name, s] : old) d.removed.push_back(name);
  return d;
}

const wire::PoolOverlay* find_pool_overlay(const wire::ServerOverlay& overlay, const std::string& pool) {
  for (const auto& p : overlay.pools())
    if (p.pool() == pool) return &p;
  return nullptr;
}

wire::PoolOverlay& pool_overlay(wire::ServerOverlay& overlay, const std::string& pool) {
  for (auto& p : *overlay.mutable_pools())
    if (p.pool() == pool) return p;
  auto* added = overlay.add_pools();
  added->set_pool(pool);
  auto& pools = *overlay.mutable_pools();
  std::sort(pools.begin(), pools.end(), [](const auto& a, const auto& b) { return a.pool() < b.pool(); });
  for (auto& p : pools)
    if (p.pool() == pool) return p;
  return *added;  // unreachable
}

Cluster apply_overlay(const Cluster& cluster, const wire::ServerOverlay& overlay) {
  Cluster out = cluster;
  for (auto& pool : *out.mutable_pools()) {
    const auto* o = find_pool_overlay(overlay, pool.name());
    if (!o || o->entries().empty()) continue;
    auto servers = effective_servers(pool, o);
    pool.clear_servers();
    for (auto& s : servers) *pool.add_servers() = std::move(s);
  }
  return out;
}

wire::ServerSetReport set_report(const Pool& base, const wire::PoolOverlay* overlay) {
  wire::ServerSetReport r;
  r.set_version(overlay ? overlay_version(*overlay) : 0);
  r.set_digest(set_digest(effective_servers(base, overlay)));
  if (overlay)
    for (const auto& e : overlay->entries()) *r.add_overlay() = e;
  return r;
}

}  // namespace tandem::config
