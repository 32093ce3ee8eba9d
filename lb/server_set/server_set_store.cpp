#include "lb/server_set/server_set_store.h"

#include "config/server_set/change_query.h"
#include "config/server_set/overlay_file.h"
#include "config/validator.h"

namespace tandem::lb {

namespace {

const config::Pool* find_pool(const config::Cluster& cluster, const std::string& name) {
  for (const auto& p : cluster.pools())
    if (p.name() == name) return &p;
  return nullptr;
}

bool takes_runtime_changes(const config::Pool& pool) { return !pool.has_dns() && !pool.has_etcd(); }

// The digest of POOL's servers in the file: the base its overlay applies to.
std::string base_digest(const config::Pool& pool) {
  return config::set_digest(config::effective_servers(pool, nullptr));
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out.empty() ? "-" : out;
}

}  // namespace

ServerSetStore::ServerSetStore(config::Cluster base, wire::ServerOverlay overlay, std::string overlay_path)
    : base_(std::move(base)), overlay_(std::move(overlay)), overlay_path_(std::move(overlay_path)) {
  merged_ = config::apply_overlay(base_, overlay_);
}

std::optional<ServerSetStore> ServerSetStore::load(const config::Cluster& base, const std::string& node,
                                                   const std::string& cluster_path,
                                                   std::vector<config::Problem>& problems) {
  const auto* n = config::find_node(base, node);
  if (!n) {
    problems.push_back({cluster_path, "no node '" + node + "'"});
    return std::nullopt;
  }
  const auto path = config::overlay_path(*n, cluster_path);
  auto loaded = config::load_overlay(path);
  if (!loaded.overlay) {
    problems = std::move(loaded.problems);
    return std::nullopt;
  }
  ServerSetStore store(base, std::move(*loaded.overlay), path);
  auto merged_problems = config::validate(store.merged_, path + " (merged over " + cluster_path + ")", nullptr);
  if (!merged_problems.empty()) {
    problems = std::move(merged_problems);
    return std::nullopt;
  }
  return store;
}

wire::ServerSetReport ServerSetStore::report(const std::string& pool) const {
  const auto* p = find_pool(base_, pool);
  if (!p) return {};
  return config::set_report(*p, config::find_pool_overlay(overlay_, pool));
}

ServerSetStore::ChangeResult ServerSetStore::change(const std::string& pool, std::string_view query) {
  const auto* base_pool = find_pool(base_, pool);
  if (!base_pool) return {404, "no pool '" + pool + "'\n"};
  auto parsed = config::parse_changes(query);
  if (!parsed.error.empty()) return {400, parsed.error + "\n"};
  return merge(pool, parsed.entries);
}

wire::ServerOverlay ServerSetStore::shared_overlay() const {
  wire::ServerOverlay out;
  for (const auto& pool : base_.pools()) {
    if (!takes_runtime_changes(pool)) continue;
    auto& shared = config::pool_overlay(out, pool.name());
    if (const auto* mine = config::find_pool_overlay(overlay_, pool.name())) shared = *mine;
    shared.set_pool(pool.name());
    shared.set_base_digest(base_digest(pool));
  }
  return out;
}

ServerSetStore::ChangeResult ServerSetStore::learn(const wire::PoolOverlay& from_peers) {
  const auto* base_pool = find_pool(base_, from_peers.pool());
  if (!base_pool) return {404, "no pool '" + from_peers.pool() + "'\n"};
  if (!takes_runtime_changes(*base_pool)) return {409, "the pool takes its servers from DNS or etcd\n"};
  if (from_peers.base_digest() != base_digest(*base_pool))
    return {409, "the peers' entries apply to other servers in the cluster file (base " + from_peers.base_digest() +
                     ", here " + base_digest(*base_pool) + ")\n"};
  return merge(from_peers.pool(), {from_peers.entries().begin(), from_peers.entries().end()});
}

ServerSetStore::ChangeResult ServerSetStore::merge(const std::string& pool,
                                                   const std::vector<wire::ServerSetEntry>& entries) {
  const auto* base_pool = find_pool(base_, pool);
  if (!base_pool) return {404, "no pool '" + pool + "'\n"};
  for (const auto& e : entries)
    if (auto problem = config::entry_problem(e); !problem.empty()) return {400, problem + "\n"};

  auto next = overlay_;
  auto& pool_overlay = config::pool_overlay(next, pool);
  const auto before = config::effective_servers(*base_pool, config::find_pool_overlay(overlay_, pool));
  const auto outcome = config::merge_entries(pool_overlay, entries);
  const auto after = config::effective_servers(*base_pool, &pool_overlay);
  const auto version = config::overlay_version(pool_overlay);
  const auto digest = config::set_digest(after);
  ChangeResult out;
  const std::string facts = "version=" + std::to_string(version) + " digest=" + digest +
                            " applied=" + std::to_string(outcome.applied) + " stale=" + std::to_string(outcome.stale);
  if (outcome.applied == 0) {
    out.body = "ok " + facts + " (nothing new)\n";
    return out;
  }
  auto merged = config::apply_overlay(base_, next);
  if (auto problems = config::validate(merged, "pool '" + pool + "' after the change", nullptr); !problems.empty())
    return {409, "change refused: " + problems.front().message + "\n"};
  std::string error;
  if (!config::save_overlay(overlay_path_, next, error))
    return {500, "change not applied: " + error + " (lb-proxy must be able to write its overlay file)\n"};
  overlay_ = std::move(next);
  merged_ = std::move(merged);
  out.changed = true;
  out.diff = config::diff_sets(before, after);
  out.body = "ok " + facts + " added=" + join(out.diff.added) + " removed=" + join(out.diff.removed) +
             " changed=" + join(out.diff.changed) + "\n";
  return out;
}

}  // namespace tandem::lb
