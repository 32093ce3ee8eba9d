#include "ha/sync/peer_probe.h"

#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tandem::ha::sync {

using tcp = boost::asio::ip::tcp;

awaitable<std::optional<boost::system::error_code>> probe_connect(asio::io_context& io, const tcp::endpoint& ep,
                                                                  std::chrono::milliseconds timeout) {
  tcp::socket socket(io);
  asio::steady_timer deadline(io, timeout);
  using namespace asio::experimental::awaitable_operators;
  auto result = co_await (socket.async_connect(ep, use_nothrow) || deadline.async_wait(use_nothrow));
  if (result.index() == 1) co_return std::nullopt;
  const auto [ec] = std::get<0>(result);
  co_return ec;
}

awaitable<PeerLiveness> probe_burst(asio::io_context& io, tcp::endpoint ep, const bool& stopped) {
  PeerLiveness liveness;
  for (bool first = true; !stopped && liveness.more(); first = false) {
    if (!first) {
      asio::steady_timer gap(io, PeerLiveness::kProbeGap);
      co_await gap.async_wait(use_nothrow);
    }
    auto r = co_await probe_connect(io, ep, PeerLiveness::kProbeTimeout);
    if (!r) {
      liveness.record(PeerLiveness::Probe::kTimeout);
    } else if (!*r) {
      liveness.record(PeerLiveness::Probe::kConnected);
    } else if (*r == asio::error::connection_refused) {
      liveness.record(PeerLiveness::Probe::kRefused);
    } else {
      liveness.record(PeerLiveness::Probe::kOtherError, r->message());
    }
  }
  co_return liveness;
}

}  // namespace tandem::ha::sync
