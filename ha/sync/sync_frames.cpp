#include "ha/sync/sync_frames.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tandem::ha::sync {

wire::SyncMessage stick_message(std::vector<wire::StickEntry>&& entries, bool snapshot, bool end,
                                std::uint64_t batch) {
  wire::SyncMessage m;
  auto* s = m.mutable_stick();
  for (auto& e : entries) *s->add_entries() = std::move(e);
  s->set_full_snapshot(snapshot);
  s->set_snapshot_end(end);
  m.set_batch(batch);
  return m;
}

std::vector<wire::SyncMessage> snapshot_messages(std::vector<wire::StickEntry>&& all, std::size_t batch) {
  batch = std::max<std::size_t>(batch, 1);
  std::vector<wire::SyncMessage> out;
  for (std::size_t i = 0; i < all.size(); i += batch) {
    const auto end = std::min(all.size(), i + batch);
    std::vector<wire::StickEntry> part(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(i)),
                                       std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
    out.push_back(stick_message(std::move(part), true, false, 0));
  }
  out.push_back(stick_message({}, true, true, 0));
  return out;
}

wire::SyncMessage ping_message() {
  wire::SyncMessage ping;
  ping.mutable_ping();
  return ping;
}

wire::SyncMessage ack_message(std::uint64_t batch) {
  wire::SyncMessage ack;
  ack.mutable_ack()->set_batch(batch);
  return ack;
}

wire::SyncMessage overlay_message(const wire::ServerOverlay& overlay) {
  wire::SyncMessage message;
  *message.mutable_overlay() = overlay;
  return message;
}

}  // namespace tandem::ha::sync
