// The remote control endpoint: TCP on node.address:ha.control_port (default
// 5799), for lbctl and the other agents' status pages. Each connection
// carries SignedRequest -> SignedResponse frames (common/proto/control.proto);
// authentication is common/control/auth.h (HMAC under the cluster key,
// +-30 s freshness, each nonce once, the request naming this node). A refused request gets an unsigned
// `refused` reason, is counted and logged (rate-limited), and the
// connection is closed.
//
// Status and switchover go to the agent's own handler (as on the unix
// control socket); status with_proxy, server_state and stick are forwarded
// to the node's lb-proxy admin listener (ha/control/proxy_admin_client.h).
//
// Single-threaded: runs on the agent's io_context.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>

#include "common/warn_limiter.h"
#include "common/control/auth.h"
#include "common/proto/control.pb.h"
#include "ha/io/asio_aliases.h"
#include "ha/control/control_admission.h"

namespace tandem::ha {

class RemoteControl {
 public:
  // Answers status and switchover (ha/control/control_handler.h).
  using LocalHandler = std::function<wire::ControlResponse(const wire::ControlRequest&)>;
  // Current Unix time in ms (injected so tests can skew it).
  using UnixClock = std::function<std::uint64_t()>;

  static constexpr std::size_t kMaxRequestBytes = 64 * 1024;
  static constexpr std::size_t kMaxConnections = 64;
  // Unauthenticated connections per source address (ConnectionAdmission).
  static constexpr std::size_t kMaxUnauthenticatedPerSource = 8;
  // Between requests on an authenticated connection.
  static constexpr std::chrono::seconds kIdleTimeout{10};
  static constexpr std::chrono::milliseconds kProxyTimeout{800};

  // KEYS: the cluster key(s); NODE: this node's name (requests must name it).
  RemoteControl(asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, KeyRing keys, std::string node,
                std::string proxy_admin, LocalHandler local, UnixClock clock = {});

  // Listens. Throws std::runtime_error on failure.
  void start();
  void stop();

  // New keys (a reload): requests verify under either, responses are signed with KEYS.signing.
  void set_keys(KeyRing keys) { verifier_.set_keys(std::move(keys)); }

  // The port actually bound (for tests binding port 0).
  std::uint16_t port() const;

  // Requests answered, and refused per reason.
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t refused(control::Refusal r) const { return refused_[static_cast<std::size_t>(r)]; }

  // Prometheus text of the counters above.
  std::string metrics_text() const;

  // The answer to an authenticated REQUEST (status with proxy, forwards).
  awaitable<wire::ControlResponse> dispatch(wire::ControlRequest request);

 private:
  // Admits (or refuses) a new connection and serves it.
  void on_accept(boost::asio::ip::tcp::socket socket);
  awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket, ConnectionAdmission::Id id,
                        std::string from);
  void note_refusal(control::Refusal r, const std::string& detail, const std::string& from);

  asio::io_context& io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string proxy_admin_;
  LocalHandler local_;
  UnixClock clock_;
  control::RequestVerifier verifier_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopped_ = false;
  ConnectionAdmission admission_;
  // The open connections' sockets, so admission can close an idler.
  std::unordered_map<ConnectionAdmission::Id, std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::uint64_t accepted_ = 0;
  std::uint64_t over_limit_ = 0;        // refused: every slot held by a key holder
  std::uint64_t displaced_ = 0;         // unauthenticated connections closed to make room
  std::uint64_t first_frame_timeouts_ = 0;  // unauthenticated connections closed: no frame in time
  WarnLimiter displace_warn_{std::chrono::seconds(10)};
  std::array<std::uint64_t, std::size(control::kAllRefusals)> refused_{};
  WarnLimiter refused_warn_{std::chrono::seconds(10)};
};

}  // namespace tandem::ha
