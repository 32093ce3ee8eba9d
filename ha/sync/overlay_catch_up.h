// Runtime server changes a node missed, learned from its peers (issue 13:
// "every node ends with the same set"). Pure; the agent feeds it what its
// proxy and its peers report and sends the result to its proxy.
//
// lbctl applies a change on every node it reaches; a node that was down or
// cut off missed it. Each node's proxy reports its whole overlay to its
// agent (common/proto/local_channel.proto), each agent sends it to every
// peer over the authenticated sync links (common/proto/sync.proto), and this
// class works out which of the peers' entries win over the proxy's: a name
// the proxy lacks, or a newer revision (config::entries_winning, the same
// last-writer-wins rule the proxy merges with), for the pools whose cluster
// file servers are the same on both nodes (base_digest: entries apply to a
// base; a node with another file, or a merged file installed after `lbctl
// export`, does not take them). The proxy merges them as a
// signed change and reports its new overlay, which then carries nothing
// new, so the exchange settles. Merging is order-independent, so every node
// ends with the same overlay whichever peer it hears first.
//
// Nothing is offered before the proxy's own overlay is known: comparing with
// an unknown overlay would resend everything. The same offer is not made
// twice for the same proxy overlay, so a proxy that refuses entries (a pool
// it does not have, a set its validator refuses) is not asked again until
// something changes.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/proto/server_set.pb.h"

namespace tandem::ha::sync {

class OverlayCatchUp {
 public:
  // The proxy's whole overlay (it connected, or it changed): every pool it
  // may change, with its base_digest, entries or none.
  void local(const wire::ServerOverlay& overlay);
  // The proxy went away: its overlay is unknown until it reports again.
  void local_lost();
  // PEER's proxy's whole overlay, as its agent sent it.
  void peer(const std::string& name, const wire::ServerOverlay& overlay);

  // The entries to send the proxy now, by pool (each pool's entries merged
  // over every peer, last writer wins); nullopt when there is nothing to
  // send: none win, the proxy's overlay is unknown, or this exact offer was
  // already made for the current proxy overlay.
  std::optional<wire::ServerOverlay> offer();

  const std::optional<wire::ServerOverlay>& local_overlay() const { return local_; }

 private:
  std::optional<wire::ServerOverlay> local_;
  std::map<std::string, wire::ServerOverlay> peers_;
  std::string last_offer_;  // serialized; cleared when the proxy's overlay changes
};

}  // namespace tandem::ha::sync
