// The messages of the peer sync protocol (common/proto/sync.proto), built
// from entries: change batches, a full snapshot cut into batches, pings and
// acknowledgements. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/proto/sync.pb.h"

namespace tandem::ha::sync {

// A message carrying ENTRIES: a change batch (SNAPSHOT false, BATCH the id the
// receiver acknowledges), or a part of a snapshot (SNAPSHOT true, batch 0;
// END marks the last).
wire::SyncMessage stick_message(std::vector<wire::StickEntry>&& entries, bool snapshot, bool end,
                                std::uint64_t batch);

// A whole snapshot of ALL: parts of at most BATCH entries, then an empty
// snapshot_end (sent even when ALL is empty: it is what the receiver waits for).
std::vector<wire::SyncMessage> snapshot_messages(std::vector<wire::StickEntry>&& all, std::size_t batch);

// A ping (keeps an idle connection alive; proves the key after a hello).
wire::SyncMessage ping_message();

// The acknowledgement of change batch BATCH.
wire::SyncMessage ack_message(std::uint64_t batch);

// Our proxy's OVERLAY of runtime server changes (ha/sync/overlay_catch_up.h).
wire::SyncMessage overlay_message(const wire::ServerOverlay& overlay);

}  // namespace tandem::ha::sync
