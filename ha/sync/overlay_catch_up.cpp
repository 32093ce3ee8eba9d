#include "ha/sync/overlay_catch_up.h"

#include <vector>

#include "config/server_set/server_set.h"

namespace tandem::ha::sync {

void OverlayCatchUp::local(const wire::ServerOverlay& overlay) {
  local_ = overlay;
  last_offer_.clear();
}

void OverlayCatchUp::local_lost() {
  local_.reset();
  last_offer_.clear();
}

void OverlayCatchUp::peer(const std::string& name, const wire::ServerOverlay& overlay) { peers_[name] = overlay; }

std::optional<wire::ServerOverlay> OverlayCatchUp::offer() {
  if (!local_) return std::nullopt;
  wire::ServerOverlay news;
  for (const auto& [name, overlay] : peers_) {
    for (const auto& remote : overlay.pools()) {
      // Only a pool the proxy has (it reports every pool it may change),
      // over the same servers in the file.
      const auto* mine = config::find_pool_overlay(*local_, remote.pool());
      if (!mine || mine->base_digest() != remote.base_digest()) continue;
      const auto winning = config::entries_winning(mine, remote);
      if (winning.empty()) continue;
      auto& pool = config::pool_overlay(news, remote.pool());
      pool.set_base_digest(remote.base_digest());
      config::merge_entries(pool, winning);
    }
  }
  if (news.pools().empty()) return std::nullopt;
  auto serialized = news.SerializeAsString();
  if (serialized == last_offer_) return std::nullopt;
  last_offer_ = std::move(serialized);
  return news;
}

}  // namespace tandem::ha::sync
