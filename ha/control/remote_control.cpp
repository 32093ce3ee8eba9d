#include "ha/control/remote_control.h"
#include "common/accept_loop.h"
#include "common/listen.h"

#include <stdexcept>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "common/framing.h"
#include "common/control/proxy_status.h"
#include "config/server_set/change_query.h"
#include "ha/control/proxy_admin_client.h"

namespace tandem::ha {

using namespace boost::asio::experimental::awaitable_operators;
using tcp = boost::asio::ip::tcp;

namespace {

enum class ReadResult { frame, too_large, closed };

awaitable<ReadResult> read_request(tcp::socket& socket, std::string& payload) {
  try {
    co_return co_await read_frame(socket, payload, RemoteControl::kMaxRequestBytes) ? ReadResult::frame
                                                                                      : ReadResult::too_large;
  } catch (const boost::system::system_error&) {
    co_return ReadResult::closed;
  }
}

awaitable<bool> write_message(tcp::socket& socket, const wire::SignedResponse& message) {
  try {
    co_await write_frame(socket, message);
    co_return true;
  } catch (const boost::system::system_error&) {
    co_return false;
  }
}

std::uint64_t system_unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}


}  // namespace

RemoteControl::RemoteControl(asio::io_context& io, tcp::endpoint endpoint, KeyRing keys, std::string node,
                             std::string proxy_admin, LocalHandler local, UnixClock clock)
    : io_(io),
      endpoint_(endpoint),
      proxy_admin_(std::move(proxy_admin)),
      local_(std::move(local)),
      clock_(clock ? std::move(clock) : UnixClock(system_unix_ms)),
      verifier_(std::move(keys), std::move(node)),
      acceptor_(io),
      admission_({.total = kMaxConnections, .per_source = kMaxUnauthenticatedPerSource}) {}

void RemoteControl::start() {
  // The replay window is in memory: refuse what was signed before this run
  // (common/control/auth.h, refuse_signed_before).
  verifier_.refuse_signed_before(clock_());
  listen_tcp(acceptor_, endpoint_, "remote control", "change ha.control_port");
  spdlog::info("remote_control_listening address={} port={}", endpoint_.address().to_string(), port());
  asio::co_spawn(io_,
                 accept_loop(
                     acceptor_, [this] { return stopped_; },
                     [this](tcp::socket socket) { on_accept(std::move(socket)); }, {"remote_control_accept_failed"}),
                 asio::detached);
}

void RemoteControl::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& entry : sockets_) entry.second->close(ignored);
}

std::uint16_t RemoteControl::port() const {
  boost::system::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  return ec ? endpoint_.port() : ep.port();
}

std::string RemoteControl::metrics_text() const {
  std::string out =
      "# HELP tandem_remote_control_requests_total Remote control requests answered.\n"
      "# TYPE tandem_remote_control_requests_total counter\n"
      "tandem_remote_control_requests_total " +
      std::to_string(accepted_) +
      "\n"
      "# HELP tandem_remote_control_refused_total Remote control requests refused, per reason.\n"
      "# TYPE tandem_remote_control_refused_total counter\n";
  for (auto r : control::kAllRefusals)
    out += "tandem_remote_control_refused_total{reason=\"" + std::string(control::to_string(r)) + "\"} " +
           std::to_string(refused(r)) + "\n";
  out +=
      "# HELP tandem_remote_control_over_limit_total Connections refused: every slot held by an authenticated "
      "client.\n"
      "# TYPE tandem_remote_control_over_limit_total counter\n"
      "tandem_remote_control_over_limit_total " +
      std::to_string(over_limit_) +
      "\n"
      "# HELP tandem_remote_control_displaced_total Unauthenticated connections closed to make room for a new "
      "one.\n"
      "# TYPE tandem_remote_control_displaced_total counter\n"
      "tandem_remote_control_displaced_total " +
      std::to_string(displaced_) +
      "\n"
      "# HELP tandem_remote_control_first_frame_timeouts_total Unauthenticated connections closed: no request "
      "within the first-frame deadline.\n"
      "# TYPE tandem_remote_control_first_frame_timeouts_total counter\n"
      "tandem_remote_control_first_frame_timeouts_total " +
      std::to_string(first_frame_timeouts_) +
      "\n"
      "# HELP tandem_remote_control_connections Open connections, by whether a request has verified on them.\n"
      "# TYPE tandem_remote_control_connections gauge\n"
      "tandem_remote_control_connections{authenticated=\"false\"} " +
      std::to_string(admission_.unauthenticated()) +
      "\n"
      "tandem_remote_control_connections{authenticated=\"true\"} " +
      std::to_string(admission_.open() - admission_.unauthenticated()) + "\n";
  return out;
}

void RemoteControl::on_accept(tcp::socket socket) {
  boost::system::error_code rec;
  const auto remote = socket.remote_endpoint(rec);
  std::string from = rec ? std::string("?") : remote.address().to_string();
  const auto decision = admission_.admit(from);
  for (const auto id : decision.close) {
    ++displaced_;
    if (auto it = sockets_.find(id); it != sockets_.end()) {
      boost::system::error_code ignored;
      it->second->close(ignored);  // its serve() ends and forgets it
    }
  }
  if (!decision.close.empty()) {
    if (displace_warn_.note(std::chrono::steady_clock::now()) > 0) {
      spdlog::warn("remote_control_displaced reason={} from={} displaced_total={} (idle unauthenticated "
                   "connections closed to make room)",
                   decision.reason, from, displaced_);
    }
  }
  if (!decision.admitted) {
    ++over_limit_;
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto shared = std::make_shared<tcp::socket>(std::move(socket));
  sockets_.emplace(*decision.admitted, shared);
  asio::co_spawn(io_, serve(std::move(shared), *decision.admitted, std::move(from)), asio::detached);
}

void RemoteControl::note_refusal(control::Refusal r, const std::string& detail, const std::string& from) {
  ++refused_[static_cast<std::size_t>(r)];
  if (const auto covers = refused_warn_.note(std::chrono::steady_clock::now())) {
    spdlog::warn("remote_control_refused reason={} from={} detail=\"{}\" refused_since_last_warning={}",
                 control::to_string(r), from, detail, covers);
  } else {
    spdlog::debug("remote_control_refused reason={} from={} detail=\"{}\"", control::to_string(r), from, detail);
  }
}

awaitable<void> RemoteControl::serve(std::shared_ptr<tcp::socket> socket_ptr, ConnectionAdmission::Id id,
                                     std::string from) {
  auto& socket = *socket_ptr;
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  bool authenticated = false;
  for (;;) {
    std::string payload;
    // Until a request verifies, the peer has a short while for one whole
    // frame; afterwards, the usual idle time between requests.
    asio::steady_timer idle(io_);
    if (authenticated) {
      idle.expires_after(kIdleTimeout);
    } else {
      idle.expires_after(ConnectionAdmission::kFirstFrameTimeout);
    }
    auto got = co_await (read_request(socket, payload) || idle.async_wait(use_nothrow));
    if (got.index() == 1) {
      if (!authenticated) ++first_frame_timeouts_;
      break;
    }
    if (std::get<0>(got) == ReadResult::closed) break;
    wire::SignedResponse reply;
    std::string nonce;
    if (std::get<0>(got) == ReadResult::too_large) {
      note_refusal(control::Refusal::malformed, "frame over " + std::to_string(kMaxRequestBytes) + " bytes", from);
      reply.set_refused("malformed");
    } else {
      auto outcome = verifier_.verify(payload, clock_());
      if (!outcome.accepted) {
        note_refusal(outcome.refusal, outcome.detail, from);
        reply.set_refused(std::string(control::to_string(outcome.refusal)));
      } else {
        ++accepted_;
        if (!authenticated) {
          authenticated = true;
          admission_.authenticated(id);
        }
        wire::SignedRequest envelope;
        envelope.ParseFromString(payload);  // parsed once already: cannot fail
        auto& request = outcome.accepted->request;
        if (request.has_switchover() || request.has_server_state() || request.has_server_set() ||
            request.has_route_drain())
          spdlog::info("remote_control_request kind={} from={} client=\"{}\"",
                       request.has_switchover()      ? "switchover"
                       : request.has_route_drain()  ? "route_drain"
                       : request.has_server_state() ? "server_state"
                                                    : "server_set",
                       from, envelope.client());
        const auto response = co_await dispatch(std::move(request));
        reply = control::sign_response(verifier_.keys().signing, response, verifier_.self(), outcome.accepted->nonce);
      }
    }
    asio::steady_timer deadline(io_, std::chrono::seconds{5});
    auto sent = co_await (write_message(socket, reply) || deadline.async_wait(use_nothrow));
    if (sent.index() == 1 || !std::get<0>(sent) || !reply.refused().empty()) break;
  }
  socket.close(ec);
  admission_.closed(id);
  sockets_.erase(id);
}

awaitable<wire::ControlResponse> RemoteControl::dispatch(wire::ControlRequest request) {
  wire::ControlResponse response;
  if (request.has_status()) {
    response = local_(request);
    if (request.status().with_proxy() && response.has_status()) {
      if (proxy_admin_.empty()) {
        response.mutable_status()->set_proxy_error("node has no proxy_admin in the cluster file");
      } else {
        auto fetched = co_await fetch_proxy_status(proxy_admin_, kProxyTimeout);
        if (fetched.report) {
          *response.mutable_status()->mutable_proxy_report() = std::move(*fetched.report);
        } else {
          response.mutable_status()->set_proxy_error(std::move(fetched.error));
        }
      }
    }
    co_return response;
  }
  if (request.has_switchover() || request.has_route_drain()) co_return local_(request);
  if (request.has_server_set()) {
    if (proxy_admin_.empty()) {
      response.set_error("node has no proxy_admin in the cluster file");
      co_return response;
    }
    const auto& set = request.server_set();
    const std::vector<wire::ServerSetEntry> entries(set.entries().begin(), set.entries().end());
    if (!safe_admin_name(set.pool()) || entries.empty() || entries.size() > config::kMaxChangesPerRequest) {
      response.set_error("server_set needs a pool and 1..64 entries");
      co_return response;
    }
    const auto target = "/pools/" + set.pool() + "/servers?" + config::encode_changes(entries);
    spdlog::info("server_set_forwarded pool={} entries={}", set.pool(), entries.size());
    *response.mutable_proxy() =
        co_await proxy_admin_request(proxy_admin_, "POST", target, kProxyTimeout, verifier_.keys().signing);
    co_return response;
  }
  if (request.has_server_state() || request.has_stick()) {
    if (proxy_admin_.empty()) {
      response.set_error("node has no proxy_admin in the cluster file");
      co_return response;
    }
    std::string method = "GET", target;
    if (request.has_server_state()) {
      const auto& ss = request.server_state();
      const std::string value(control::admin_state_value(ss.state()));
      if (!safe_admin_name(ss.pool()) || !safe_admin_name(ss.server()) || value.empty()) {
        response.set_error("server_state needs a pool, a server and a state of ready, drain or maintenance");
        co_return response;
      }
      method = "POST";
      target = "/servers/" + ss.pool() + "/" + ss.server() + "/state?value=" + value;
      spdlog::info("server_state_forwarded pool={} server={} state={}", ss.pool(), ss.server(), value);
    } else {
      if (!safe_admin_name(request.stick().pool())) {
        response.set_error("stick needs a pool name");
        co_return response;
      }
      *response.mutable_proxy() = co_await fetch_stick_table(proxy_admin_, request.stick().pool(), kProxyTimeout);
      co_return response;
    }
    *response.mutable_proxy() =
        co_await proxy_admin_request(proxy_admin_, method, target, kProxyTimeout, verifier_.keys().signing);
    co_return response;
  }
  response.set_error("empty request: set status, switchover, server_state or stick");
  co_return response;
}

}  // namespace tandem::ha
