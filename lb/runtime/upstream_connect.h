// Choosing a server and getting a connection to it, shared by the TCP and
// HTTP sessions: stickiness preference, per-server connection limits with a
// bounded queue, connect with a deadline, and retry on another server when a
// connect fails (nothing has been sent yet, so it is always safe).
#pragma once

#include <optional>
#include <vector>

#include "lb/route/failure_status.h"  // UpstreamFailure
#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/listener_stats.h"
#include "lb/runtime/server_stream.h"
#include "lb/runtime/sessions.h"  // ClientAddresses
#include "lb/runtime/worker.h"

namespace tandem::lb {

// Holds one of a server's connection slots (max_connections_per_server) and
// this worker's load count; released on destruction.
class ServerSlot {
 public:
  ServerSlot() = default;
  ServerSlot(std::shared_ptr<PoolView> view, ServerIndex index);
  ServerSlot(ServerSlot&& other) noexcept { *this = std::move(other); }
  ServerSlot& operator=(ServerSlot&& other) noexcept;
  ~ServerSlot() { release(); }
  void release();

 private:
  std::shared_ptr<PoolView> view_;  // kept alive (with its pool) across a reload
  ServerIndex index_ = 0;
};

struct UpstreamRequest {
  std::optional<ServerIndex> preferred;   // a stuck server that takes stuck clients
  std::uint64_t key_hash = 0;             // for the hash algorithms
  bool allow_reuse = false;               // HTTP: idle pooled connections are fine
  bool replayable = false;                // HTTP without a body: resent on a fresh connection
                                          // if a reused one proves dead (see UpstreamPool::take)
  const ClientAddresses* client = nullptr;  // named in the PROXY header of a server with send_proxy
};

struct Upstream {
  ServerIndex index = 0;
  ServerStream connection;  // TLS when the pool has a `tls` block (handshake done)
  bool reused = false;
  ServerSlot slot;
  bool private_to_client = false;  // began with a PROXY header: never pooled for another client
};

// Picks and connects (and, to a pool with `tls`, completes the TLS
// handshake within the connect timeout: a server whose certificate fails
// verification counts as a failed connect). TRIED collects every server attempted (so the caller
// can exclude them from a later retry). Failures of connect are reported to
// the passive check.
awaitable<std::pair<UpstreamFailure, std::optional<Upstream>>> acquire_upstream(
    Worker& worker, const ListenerRuntime& listener, const std::shared_ptr<PoolView>& view,
    const UpstreamRequest& request,
    std::vector<ServerIndex>& tried);

}  // namespace tandem::lb
