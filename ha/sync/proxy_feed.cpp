#include "ha/sync/proxy_feed.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace tandem::ha::sync {

ProxyFeed::ProxyFeed(StickStore& store, std::size_t batch, std::size_t queue_limit, Hooks hooks)
    : store_(store), batch_(std::max<std::size_t>(batch, 1)), hooks_(std::move(hooks)), to_proxy_(queue_limit) {}

void ProxyFeed::attach(ProxyStickPort* port) {
  port_ = port;
  if (!port_) return;
  port_->set_stick_handlers([this](const wire::StickChanges& c) { on_stick(c); }, [this] { on_connected(); },
                            [this](std::uint64_t id) { on_applied(id); });
}

void ProxyFeed::on_stick(const wire::StickChanges& changes) {
  const auto now = hooks_.clock();
  counters_.received += static_cast<std::uint64_t>(changes.entries_size());
  if (changes.entries_size() > 0) {
    const auto changed = store_.apply({changes.entries().begin(), changes.entries().end()}, now);
    if (hooks_.local_changes) hooks_.local_changes(changed, now);
  }
  if (changes.snapshot_end()) spdlog::info("proxy_snapshot_received entries_total={}", counters_.received);
}

void ProxyFeed::on_connected() {
  to_proxy_.clear();
  to_proxy_.request_resync();
  flush(hooks_.clock());
}

void ProxyFeed::on_applied(std::uint64_t id) {
  const auto ms = std::chrono::duration<double, std::milli>(hooks_.clock() - resync_at_).count();
  spdlog::info("proxy_snapshot_applied snapshot_id={} ms_since_last_sent={:.1f}", id, ms);
  if (hooks_.resync_applied) hooks_.resync_applied(id);
}

void ProxyFeed::learned(const std::vector<wire::StickEntry>& changed, TimePoint now) {
  if (!port_) return;
  for (const auto& e : changed) to_proxy_.push(e, now);
  flush(now);
}

void ProxyFeed::flush(TimePoint now) {
  if (!port_ || !port_->connected()) return;
  if (to_proxy_.take_needs_resync()) {
    to_proxy_.clear();
    send_resync(now);
    return;
  }
  // The unix socket takes megabytes at once: fill it up to the high-water
  // mark rather than one batch per write (which capped a restarted node's
  // proxy at one batch per flush interval, ~5k entries/s).
  while (!to_proxy_.empty() && port_->queued_bytes() < kWriteHighWater) {
    auto batch = to_proxy_.take(batch_, now);
    if (batch.entries.empty()) break;
    wire::StickChanges c;
    for (auto& e : batch.entries) *c.add_entries() = std::move(e);
    counters_.sent += batch.entries.size();
    port_->send_stick(c);
  }
}

void ProxyFeed::send_resync(TimePoint now) {
  const auto all = store_.snapshot(now);
  for (std::size_t i = 0; i < all.size(); i += batch_) {
    wire::StickChanges c;
    for (std::size_t j = i; j < std::min(all.size(), i + batch_); ++j) *c.add_entries() = all[j];
    c.set_full_snapshot(true);
    port_->send_stick(c);
  }
  wire::StickChanges end;
  end.set_full_snapshot(true);
  end.set_snapshot_end(true);
  end.set_snapshot_id(++resync_id_);
  port_->send_stick(end);
  counters_.sent += all.size();
  ++counters_.resyncs;
  resync_at_ = now;
  if (hooks_.resync_sent) hooks_.resync_sent(resync_id_, resync_at_);
  spdlog::info("proxy_snapshot_sent entries={} snapshot_id={}", all.size(), resync_id_);
}

}  // namespace tandem::ha::sync
