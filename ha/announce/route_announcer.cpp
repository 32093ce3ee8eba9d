#include "ha/announce/route_announcer.h"

#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "ha/announce/bird_client.h"
#include "common/atomic_file.h"

namespace tandem::ha {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kDaemonPoll{1000};
constexpr std::chrono::milliseconds kDaemonTimeout{500};

}  // namespace

RouteAnnounceSettings announce_settings(const config::Cluster& cluster, const config::Node& node) {
  const auto& a = cluster.ha().announce();
  RouteAnnounceSettings out;
  for (const auto& text : a.vips()) {
    std::string error;
    auto p = parse_prefix(text, error);
    if (!p) throw std::invalid_argument("ha.announce.vips: '" + text + "': " + error);
    if (p->length != (p->address.is_v4() ? 32u : 128u))
      throw std::invalid_argument("ha.announce.vips: '" + text + "' is not a host route (/32 or /128)");
    out.vips.push_back(*p);
    out.vip_texts.push_back(text);
  }
  if (a.table() != 0) out.table = a.table();
  if (!a.interface().empty()) out.interface = a.interface();
  if (a.has_hold_down_ms()) out.hold_down = std::chrono::milliseconds(a.hold_down_ms());
  if (node.routing_socket() == "none") out.routing_socket.clear();
  else if (!node.routing_socket().empty()) out.routing_socket = node.routing_socket();
  if (!node.state_file().empty()) out.drained_file = node.state_file() + ".drained";
  return out;
}

RouteAnnouncer::RouteAnnouncer(asio::io_context& io, RouteAnnounceSettings settings, VipManager& vips)
    : io_(io),
      settings_(std::move(settings)),
      vips_(vips),
      decision_(settings_.hold_down),
      hold_timer_(io),
      poll_timer_(io) {}

void RouteAnnouncer::start() {
  std::string error;
  table_ = RouteTable::open(settings_.table, settings_.interface, error);
  if (!table_) throw std::runtime_error("announce: " + error);
  // A crashed agent's routes go first: the decision starts from "withdrawn".
  if (!table_->remove(settings_.vips, error)) throw std::runtime_error("announce: " + error);
  for (const auto& vip : settings_.vips)
    if (!vips_.add(settings_.interface, vip, error))
      throw std::runtime_error("announce: holding " + format_prefix(vip) + " on " + settings_.interface + ": " + error);
  if (!settings_.drained_file.empty() && std::filesystem::exists(settings_.drained_file)) {
    decision_.drained(true);
    spdlog::warn("announce_drained_at_start file={} (lbctl undrain NODE announces again)", settings_.drained_file);
  }
  spdlog::info("announce_ready vips={} table={} interface={} hold_down_ms={} routing_socket={}",
               settings_.vip_texts.size(), settings_.table, settings_.interface, settings_.hold_down.count(),
               settings_.routing_socket.empty() ? "-" : settings_.routing_socket);
  apply("start");
  poll_daemon();
}

void RouteAnnouncer::serving(bool can_serve, const std::string& why) {
  decision_.serving(can_serve, why, Clock::now());
  apply("serving");
}

void RouteAnnouncer::table_ready(bool ready) {
  decision_.table_ready(ready);
  apply("stick_table");
}

wire::AnnounceStatus RouteAnnouncer::drain(bool on) {
  decision_.drained(on);
  if (!settings_.drained_file.empty()) {
    std::string error;
    if (on) {
      if (!write_file_atomically(settings_.drained_file, "drained\n", error))
        spdlog::error("announce_drain_file_failed path={} error=\"{}\" (the drain ends if the agent restarts)",
                      settings_.drained_file, error);
    } else {
      std::error_code ec;
      std::filesystem::remove(settings_.drained_file, ec);
    }
  }
  spdlog::info("announce_drain on={}", on);
  apply(on ? "operator_drain" : "operator_undrain");
  return status();
}

void RouteAnnouncer::stop() {
  if (stopped_) return;
  decision_.stopping();
  apply("stopping");
  stopped_ = true;
  hold_timer_.cancel();
  poll_timer_.cancel();
  std::string error;
  for (const auto& vip : settings_.vips)
    if (!vips_.remove(settings_.interface, vip, error))
      spdlog::error("announce_vip_release_failed vip={} error=\"{}\"", format_prefix(vip), error);
}

void RouteAnnouncer::apply(const char* cause) {
  if (stopped_ || !table_) return;
  const auto now = Clock::now();
  const auto verdict = decision_.verdict(now);
  why_ = verdict.why;
  if (verdict.announce != announced_) {
    std::string error;
    const bool ok = verdict.announce ? table_->add(settings_.vips, error) : table_->remove(settings_.vips, error);
    if (ok) {
      announced_ = verdict.announce;
      ++(announced_ ? announcements_ : withdrawals_);
      spdlog::info("announce {} cause={} why=\"{}\"", announced_ ? "on" : "off", cause, verdict.why);
    } else {
      spdlog::error("announce_failed want={} error=\"{}\"", verdict.announce ? "on" : "off", error);
    }
  }
  hold_timer_.set(decision_.next_deadline(now), [this] { apply("hold_down_over"); });
}

void RouteAnnouncer::poll_daemon() {
  if (stopped_ || settings_.routing_socket.empty()) return;
  if (!polling_) {
    polling_ = true;
    asio::co_spawn(io_, bird_show_protocols(settings_.routing_socket, kDaemonTimeout),
                   [this](std::exception_ptr e, BirdFetch fetched) {
                     polling_ = false;
                     if (e) return;
                     if (fetched.error.empty()) sessions_ = std::move(fetched.sessions);
                     if (fetched.error != daemon_error_ && !fetched.error.empty())
                       spdlog::warn("routing_daemon_unreadable error=\"{}\"", fetched.error);
                     daemon_error_ = std::move(fetched.error);
                   });
  }
  poll_timer_.expires_after(kDaemonPoll);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_daemon();
  });
}

wire::AnnounceStatus RouteAnnouncer::status() const {
  wire::AnnounceStatus s;
  for (const auto& v : settings_.vip_texts) s.add_vips(v);
  s.set_announced(announced_);
  s.set_why(why_);
  s.set_drained(decision_.is_drained());
  s.set_table(settings_.table);
  for (const auto& session : sessions_) *s.add_sessions() = session;
  s.set_daemon_error(settings_.routing_socket.empty() ? "not asked (node.routing_socket none)" : daemon_error_);
  s.set_announcements(announcements_);
  s.set_withdrawals(withdrawals_);
  return s;
}

}  // namespace tandem::ha
