#include "ha/sync/stick_sync.h"

#include <algorithm>
#include <random>
#include <set>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "common/accept_loop.h"
#include "common/framing.h"
#include "ha/sync/peer_probe.h"
#include "ha/sync/sync_frames.h"

namespace tandem::ha {

namespace {

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

constexpr Milliseconds kHandshakeTimeout{1000};
constexpr Milliseconds kPingEvery{1000};
constexpr Milliseconds kIdleTimeout{5000};
constexpr Milliseconds kWatchdogPeriod{100};
// Every backup acts at close + this + its skew (InstanceMachine::peer_confirmed_down).
constexpr Milliseconds kConfirmWindow{60};
constexpr std::size_t kMaxHandshaking = 16;  // unauthenticated connections at once
constexpr std::size_t kWriteHighWater = 1u << 20;  // stop taking from a peer's queue above this
constexpr auto kExpireEvery = std::chrono::seconds(1);
constexpr Milliseconds kRejectWarnEvery{10000};  // as advert drops (ha/agent/agent.cpp)

double jitter() {
  static std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

StickSync::StickSync(asio::io_context& io, StickSyncSettings settings, StickSyncHooks hooks)
    : io_(io),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)),
      store_(settings_.pools),
      proxy_(store_, settings_.batch, settings_.queue_limit,
             sync::ProxyFeed::Hooks{
                 [] { return Clock::now(); },
                 [this](const std::vector<wire::StickEntry>& changed, sync::TimePoint now) {
                   on_local_changes(changed, now);
                 },
                 [this](std::uint64_t id, sync::TimePoint at) {
                   if (gate_) gate_->proxy_snapshot_sent(id, at);
                 },
                 [this](std::uint64_t id) {
                   if (gate_) gate_->proxy_applied(id);
                   check_gate();
                 }}),
      reject_warn_(kRejectWarnEvery),
      flush_timer_(io) {
  for (const auto& [name, address] : settings_.peers)
    peers_.push_back(std::make_unique<Peer>(name, address, settings_.node < name, settings_.queue_limit));
}

StickSync::~StickSync() = default;

void StickSync::start(sync::ProxyStickPort* proxy) {
  proxy_.attach(proxy);
  std::set<std::string> names;
  for (const auto& [n, a] : settings_.peers) names.insert(n);
  gate_.emplace(std::move(names), proxy != nullptr && !settings_.pools.empty(),
                Clock::now() + settings_.initial_sync_timeout);
  if (!settings_.peers.empty()) {
    listen();
    asio::co_spawn(io_,
                   tandem::accept_loop(
                       *acceptor_, [this] { return stopped_; },
                       [this](tcp::socket socket) { on_accept(std::move(socket)); },
                       {"sync_accept_failed", Milliseconds{100}}),
                   asio::detached);
    for (auto& p : peers_) {
      if (p->dialer) {
        asio::co_spawn(io_, dial_loop(*p), asio::detached);
      } else {
        asio::co_spawn(io_, probe_absent(p->name), asio::detached);
      }
    }
  }
  spdlog::info("sync_started listen={}:{} peers={} pools={} flush_ms={} batch={} queue_limit={}",
               settings_.address.to_string(), settings_.port, settings_.peers.size(), settings_.pools.size(),
               settings_.flush.count(), settings_.batch, settings_.queue_limit);
  check_gate();
  flush_tick();
}

void StickSync::listen() {
  const tcp::endpoint ep(settings_.address, settings_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  boost::system::error_code ec;
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("sync: cannot listen on " + settings_.address.to_string() + ":" +
                             std::to_string(settings_.port) + ": " + ec.message());
}

void StickSync::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  flush_timer_.cancel();
  for (auto& p : peers_)
    if (p->conn) p->conn->close("stopping");
}

StickSync::Peer* StickSync::find_peer(const std::string& name) {
  for (auto& p : peers_)
    if (p->name == name) return p.get();
  return nullptr;
}

// ------------------------------------------------------------------ connections


void StickSync::on_accept(tcp::socket socket) {
  if (handshaking_ >= kMaxHandshaking) {
    boost::system::error_code ignored;
    reject("too_many_handshakes", "accept", socket.remote_endpoint(ignored).address().to_string(), "");
    socket.close(ignored);
    return;
  }
  asio::co_spawn(io_, serve(std::make_shared<Conn>(std::move(socket), settings_)), asio::detached);
}

awaitable<void> StickSync::dial_loop(Peer& peer) {
  const tcp::endpoint ep(peer.address, settings_.port);
  while (!stopped_) {
    auto conn = std::make_shared<Conn>(io_, settings_, peer.name);
    peer.connecting = true;
    asio::steady_timer deadline(io_, kHandshakeTimeout);
    using namespace asio::experimental::awaitable_operators;
    auto result = co_await (conn->socket.async_connect(ep, use_nothrow) || deadline.async_wait(use_nothrow));
    peer.connecting = false;
    if (stopped_) co_return;
    bool connected = false;
    if (result.index() == 0) {
      const auto [ec] = std::get<0>(result);
      if (!ec) {
        connected = true;
      } else if (ec == asio::error::connection_refused) {
        gate_->peer_absent(peer.name);
        check_gate();
      }
      if (ec) spdlog::debug("sync_dial_failed peer={} error=\"{}\"", peer.name, ec.message());
    }
    if (connected) {
      co_await serve(conn);
      if (stopped_) co_return;
      if (conn->established) peer.backoff.reset();
    }
    asio::steady_timer wait(io_, peer.backoff.next(jitter()));
    co_await wait.async_wait(use_nothrow);
  }
}

awaitable<void> StickSync::serve(std::shared_ptr<Conn> conn) {
  boost::system::error_code ignored;
  conn->socket.set_option(tcp::no_delay(true), ignored);
  conn->remote = conn->socket.remote_endpoint(ignored).address().to_string();
  ++handshaking_;
  conn->counted_handshake = true;
  asio::co_spawn(io_, watchdog(conn), asio::detached);

  // Our hello first (both sides send at once; neither waits for the other).
  conn->queue_frame(conn->auth.hello(conn->expected_peer));
  conn->flush();

  FrameDecoder decoder(kDefaultMaxFrameBytes);
  std::array<char, 65536> buffer;
  std::string payload;
  while (!conn->closed) {
    auto [ec, n] = co_await conn->socket.async_read_some(asio::buffer(buffer), use_nothrow);
    if (conn->closed) break;
    if (ec) {
      conn->lost_by_peer = sync::closed_by_peer(ec);
      conn->close(ec == asio::error::eof ? "closed by the peer" : ec.message());
      break;
    }
    conn->last_rx = Clock::now();
    decoder.feed(std::string_view(buffer.data(), n));
    while (!conn->closed) {
      const auto status = decoder.next(payload);
      if (status == FrameDecoder::Status::need_more) break;
      if (status == FrameDecoder::Status::too_large) {
        reject("too_large", conn->established ? "frame" : "hello", conn->remote, conn->peer);
        conn->close("frame too large");
        break;
      }
      if (!on_frame(conn, payload)) break;
    }
  }
  on_closed(conn);
}

bool StickSync::on_frame(const std::shared_ptr<Conn>& conn, const std::string& payload) {
  if (!conn->hello_accepted) return on_hello(*conn, payload);
  sync::AuthError error{};
  auto message = conn->auth.open(payload, error);
  if (!message) {
    reject(sync::to_string(error), "frame", conn->remote, conn->established ? conn->peer : conn->auth.peer());
    conn->close("bad frame");
    return false;
  }
  if (!conn->established) {
    on_established(conn);
    if (conn->closed) return false;
  }
  on_message(*conn, *message);
  return true;
}

bool StickSync::on_hello(Conn& conn, const std::string& payload) {
  std::set<std::string> allowed;
  for (const auto& p : peers_)
    if (conn.dialer ? p->name == conn.expected_peer : !p->dialer) allowed.insert(p->name);
  if (auto error = conn.auth.accept_hello(payload, allowed)) {
    reject(sync::to_string(*error), "hello", conn.remote, "");
    conn.close("bad hello");
    return false;
  }
  // A hello proves only that a key holder once made it: a recorded one
  // replays perfectly. Prove we hold the key with a sealed ping, and act on
  // the connection only once the peer's first frame opens under the session
  // key (which needs our fresh nonce and the key).
  conn.hello_accepted = true;
  conn.queue(sync::ping_message());
  conn.flush();
  return true;
}

void StickSync::on_closed(const std::shared_ptr<Conn>& conn) {
  if (conn->counted_handshake) {
    conn->counted_handshake = false;
    --handshaking_;
  }
  if (!conn->established) return;
  Peer* peer = find_peer(conn->peer);
  if (!peer || peer->conn != conn) return;
  peer->conn.reset();
  peer->connected_since.reset();
  spdlog::warn("sync_disconnected peer={} reason=\"{}\"", conn->peer, conn->close_why);
  if (conn->lost_by_peer && !stopped_) {
    ++connections_lost_;
    if (hooks_.connection_lost) hooks_.connection_lost(conn->peer);
    asio::co_spawn(io_, confirm_lost(conn->peer, Clock::now()), asio::detached);
  }
}

awaitable<void> StickSync::watchdog(std::shared_ptr<Conn> conn) {
  asio::steady_timer timer(io_);
  while (!conn->closed) {
    timer.expires_after(kWatchdogPeriod);
    co_await timer.async_wait(use_nothrow);
    if (conn->closed) co_return;
    const auto now = Clock::now();
    if (!conn->established && now - conn->started > kHandshakeTimeout) {
      reject("handshake_timeout", "hello", conn->remote, "");
      conn->close("handshake timeout");
      co_return;
    }
    if (conn->established && now - conn->last_rx > kIdleTimeout) {
      conn->close("silent for " + std::to_string(kIdleTimeout.count()) + " ms");
      co_return;
    }
    if (conn->established && now - conn->last_tx >= kPingEvery) send(*conn, sync::ping_message());
  }
}

void StickSync::reject(std::string_view reason, std::string_view stage, const std::string& from,
                       const std::string& peer) {
  ++rejected_[std::string(reason)];
  // Garbage on the port must not flood the log: a warning at most every
  // kRejectWarnEvery, saying how many refusals it stands for.
  const auto covers = reject_warn_.note(Clock::now());
  if (covers > 0) {
    spdlog::warn("sync_rejected from={} peer={} stage={} reason={} rejected_since_last_warning={} total={}", from,
                 peer.empty() ? "-" : peer, stage, reason, covers, rejected_[std::string(reason)]);
  } else {
    spdlog::debug("sync_rejected from={} peer={} stage={} reason={}", from, peer.empty() ? "-" : peer, stage, reason);
  }
}

void StickSync::on_established(const std::shared_ptr<Conn>& conn) {
  conn->established = true;
  conn->peer = conn->auth.peer();
  if (conn->counted_handshake) {
    conn->counted_handshake = false;
    --handshaking_;
  }
  Peer* peer = find_peer(conn->peer);
  if (!peer) {  // accept_hello only lets configured peers through
    conn->close("unknown peer");
    return;
  }
  if (peer->conn && peer->conn != conn) {
    // The peer redialed: its old connection is dead to it. Drop ours quietly.
    auto old = peer->conn;
    peer->conn.reset();
    old->close("replaced by a new connection");
  }
  peer->conn = conn;
  peer->connected_since = Clock::now();
  ++peer->connects;
  spdlog::info("sync_connected peer={} address={} dialer={}", peer->name, conn->remote, conn->dialer);
  peer->out.clear();
  send_snapshot(*conn);
  if (overlay_) send(*conn, sync::overlay_message(*overlay_));
}

// ------------------------------------------------------------------ messages

void StickSync::on_message(Conn& conn, const wire::SyncMessage& message) {
  Peer* peer = find_peer(conn.peer);
  if (!peer || peer->conn.get() != &conn) return;
  const auto now = Clock::now();
  if (message.has_ack()) {
    on_ack(conn, message.ack().batch(), now);
  } else if (message.has_stick()) {
    on_stick(*peer, conn, message, now);
  } else if (message.has_overlay()) {
    if (hooks_.peer_overlay) hooks_.peer_overlay(peer->name, message.overlay());
  }  // else a ping
}

void StickSync::on_ack(Conn& conn, std::uint64_t batch, sync::TimePoint now) {
  auto it = conn.inflight.find(batch);
  if (it == conn.inflight.end()) return;
  for (const auto& queued : it->second) lag_.add(std::chrono::duration<double, std::milli>(now - queued).count());
  conn.inflight.erase(it);
}

void StickSync::on_stick(Peer& peer, Conn& conn, const wire::SyncMessage& message, sync::TimePoint now) {
  const auto& s = message.stick();
  peer.received += static_cast<std::uint64_t>(s.entries_size());
  if (s.entries_size() > 0) {
    // What peers teach us goes to our proxy, never on to other peers.
    proxy_.learned(store_.apply({s.entries().begin(), s.entries().end()}, now), now);
  }
  if (message.batch() != 0) send(conn, sync::ack_message(message.batch()));
  if (s.snapshot_end()) {
    ++peer.snapshots_received;
    spdlog::info("sync_snapshot_received peer={} entries_total={}", peer.name, peer.received);
    gate_->snapshot_complete(peer.name);
    check_gate();
    proxy_.flush(now);  // a restarted node's proxy gets the table now, not at the next tick
  }
}

void StickSync::on_local_changes(const std::vector<wire::StickEntry>& changed, sync::TimePoint now) {
  for (auto& peer : peers_) {
    if (!peer->conn) continue;  // its snapshot on connect covers it
    for (const auto& e : changed) {
      if (!peer->out.push(e, now))
        spdlog::warn("sync_queue_overflow peer={} limit={} action=full_resync", peer->name, settings_.queue_limit);
    }
    if (peer->out.size() >= settings_.batch) flush_peer(*peer);
  }
}

void StickSync::send(Conn& conn, const wire::SyncMessage& message) {
  if (conn.closed) return;
  conn.queue(message);
  Peer* peer = find_peer(conn.peer);
  if (peer && peer->conn.get() == &conn) conn.flush();
}

void StickSync::share_overlay(const wire::ServerOverlay& overlay) {
  overlay_ = overlay;
  const auto message = sync::overlay_message(overlay);
  for (auto& peer : peers_)
    if (peer->conn && !peer->conn->closed) send(*peer->conn, message);
}

void StickSync::send_snapshot(Conn& conn) {
  Peer* peer = find_peer(conn.peer);
  if (!peer) return;
  auto all = store_.snapshot(Clock::now());
  const std::size_t total = all.size();
  for (const auto& message : sync::snapshot_messages(std::move(all), settings_.batch)) send(conn, message);
  peer->sent += total;
  ++peer->snapshots_sent;
  spdlog::info("sync_snapshot_sent peer={} entries={}", peer->name, total);
}

// ------------------------------------------------------------------ timers

void StickSync::flush_peer(Peer& peer) {
  if (!peer.conn || peer.conn->closed) return;
  Conn& conn = *peer.conn;
  if (peer.out.take_needs_resync()) {
    peer.out.clear();
    send_snapshot(conn);
    return;
  }
  const auto now = Clock::now();
  while (!peer.out.empty() && conn.pending.size() < kWriteHighWater && !conn.closed) {
    auto batch = peer.out.take(settings_.batch, now);
    if (batch.entries.empty()) continue;
    const std::uint64_t id = conn.next_batch++;
    peer.sent += batch.entries.size();
    conn.inflight[id] = std::move(batch.queued_at);
    if (conn.inflight.size() > 4096) conn.inflight.erase(conn.inflight.begin());  // acks lost: bound it
    send(conn, sync::stick_message(std::move(batch.entries), false, false, id));
  }
}

void StickSync::flush_tick() {
  if (stopped_) return;
  for (auto& p : peers_) flush_peer(*p);
  const auto now = Clock::now();
  proxy_.flush(now);
  if (now - last_expire_ >= kExpireEvery) {
    store_.expire(now);
    last_expire_ = now;
  }
  check_gate();
  flush_timer_.expires_after(settings_.flush);
  flush_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) flush_tick();
  });
}

void StickSync::check_gate() {
  if (!gate_ || eligibility_ == sync::Eligibility::kEligible) return;
  const auto now = Clock::now();
  if (gate_->proxy_snapshot_due(now)) {
    // The peers' table is complete: hand it to the proxy whole, with an id
    // it acknowledges once applied.
    proxy_.request_resync();
    proxy_.flush(now);
  }
  const auto verdict = gate_->update(now);
  if (verdict == eligibility_) return;
  eligibility_ = verdict;
  const std::string why = gate_->describe(now);
  if (verdict == sync::Eligibility::kEligible) {
    spdlog::info("sync_initial_done detail=\"{}\"", why);
  } else {
    spdlog::warn("sync_last_resort detail=\"{}\"", why);
  }
  if (hooks_.eligibility) hooks_.eligibility(verdict, why);
}

// ------------------------------------------------------------------ probes

awaitable<void> StickSync::confirm_lost(std::string name, sync::TimePoint lost_at) {
  Peer* peer = find_peer(name);
  if (!peer) co_return;
  // The decision is PeerLiveness's (ha/failover/peer_liveness.h); the probes are peer_probe's.
  const auto liveness = co_await sync::probe_burst(io_, tcp::endpoint(peer->address, settings_.port), stopped_);
  const bool confirmed = liveness.confirmed_down();
  spdlog::info("sync_probe peer={} results=\"{}\" confirmed_down={}", name, liveness.seen(), confirmed);
  if (confirmed && !stopped_) {
    ++fast_confirmations_;
    if (hooks_.confirmed_down) hooks_.confirmed_down(name, lost_at + kConfirmWindow);
  }
}

awaitable<void> StickSync::probe_absent(std::string name) {
  Peer* peer = find_peer(name);
  if (!peer) co_return;
  auto r = co_await sync::probe_connect(io_, tcp::endpoint(peer->address, settings_.port), Milliseconds{300});
  if (r && *r == asio::error::connection_refused && gate_) {
    gate_->peer_absent(name);
    check_gate();
  }
}

}  // namespace tandem::ha
