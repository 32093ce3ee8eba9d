#include "lb/runtime/upstream_pool.h"

#include <algorithm>

#include <sys/socket.h>

namespace tandem::lb {

namespace {

// A pooled connection is reusable only if the server has not closed it and
// sent nothing unasked: a non-blocking peek must find no data and no EOF.
bool still_open(boost::asio::ip::tcp::socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

ServerStream UpstreamPool::take(const ServerRuntime* server, std::chrono::steady_clock::time_point now,
                                                std::chrono::milliseconds max_idle, bool replayable,
                                                boost::asio::any_io_executor executor) {
  auto it = idle_.find(server);
  if (it != idle_.end()) {
    auto& list = it->second;
    while (!list.empty()) {
      Idle idle = std::move(list.back());  // most recent first: warmest, least likely closed
      list.pop_back();
      const auto idle_for = now - idle.since;
      const bool probe = !replayable || idle_for >= kFreshIdle;
      // (Over TLS the peek sees records, not data: a close_notify or any
      // unasked record means the connection is not reused, as for plain bytes.)
      if (idle_for < max_idle && now < idle.expires && (!probe || still_open(idle.connection.socket())))
        return std::move(idle.connection);
      idle.connection.close();
    }
  }
  return ServerStream(executor);
}

void UpstreamPool::give(const ServerRuntime* server, ServerStream connection,
                        std::chrono::steady_clock::time_point now, std::chrono::milliseconds keep_for) {
  if (server->max_idle == 0 || keep_for <= std::chrono::milliseconds::zero()) {
    connection.close();
    return;
  }
  auto& list = idle_[server];
  if (list.size() >= server->max_idle) {
    connection.close();
    return;
  }
  list.push_back({std::move(connection), now, now + keep_for});
}

std::size_t UpstreamPool::close_expired(std::chrono::steady_clock::time_point now) {
  std::size_t closed = 0;
  for (auto& [server, list] : idle_) {
    // Closing is the connections' destructors; the rest keep their LIFO order.
    closed += std::erase_if(list, [now](const Idle& idle) { return idle.expires <= now; });
  }
  return closed;
}

std::size_t UpstreamPool::size() const {
  std::size_t n = 0;
  for (const auto& [server, list] : idle_) n += list.size();
  return n;
}

std::size_t UpstreamPool::size(const ServerRuntime* server) const {
  auto it = idle_.find(server);
  return it == idle_.end() ? 0 : it->second.size();
}

}  // namespace tandem::lb
