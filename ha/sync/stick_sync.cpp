#include "ha/sync/stick_sync.h"

#include <algorithm>
#include <random>
#include <set>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "common/framing.h"
#include "config/defaults.h"
#include "config/loader.h"
#include "ha/agent/settings.h"
#include "ha/failover/peer_liveness.h"
#include "ha/sync/sync_auth.h"

namespace tandem::ha {

namespace {

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr Milliseconds kHandshakeTimeout{1000};
constexpr Milliseconds kPingEvery{1000};
constexpr Milliseconds kIdleTimeout{5000};
constexpr Milliseconds kWatchdogPeriod{100};
// Every backup acts at close + this + its skew (InstanceMachine::peer_confirmed_down).
constexpr Milliseconds kConfirmWindow{60};
constexpr std::size_t kMaxHandshaking = 16;      // unauthenticated connections at once
constexpr std::size_t kWriteHighWater = 1u << 20;  // stop taking from a queue above this
constexpr auto kExpireEvery = std::chrono::seconds(1);
constexpr Milliseconds kRejectWarnEvery{10000};  // as advert drops (ha/agent/agent.cpp)

std::string random_nonce() {
  std::string nonce(sync::kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) != 1) {
    std::random_device rd;
    for (auto& c : nonce) c = static_cast<char>(rd());
  }
  return nonce;
}

double jitter() {
  static std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

bool closed_by_peer(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

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

// Splits ALL into parts of at most N entries.
std::vector<std::vector<wire::StickEntry>> split(std::vector<wire::StickEntry>&& all, std::size_t n) {
  std::vector<std::vector<wire::StickEntry>> parts;
  for (std::size_t i = 0; i < all.size(); i += n) {
    const auto end = std::min(all.size(), i + n);
    parts.emplace_back(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(i)),
                       std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
  }
  return parts;
}

}  // namespace

StickSyncSettings stick_sync_settings(const config::Cluster& cluster, const std::string& node, std::string key) {
  StickSyncSettings s;
  s.cluster = cluster.name();
  s.node = node;
  s.key = std::move(key);
  const config::Node* self = config::find_node(cluster, node);
  if (!self) throw std::invalid_argument("no node '" + node + "' in the cluster file");
  s.address = node_address(*self);
  const auto& sc = cluster.sync();
  s.port = static_cast<std::uint16_t>(sc.port() ? sc.port() : 5800);
  s.flush = Milliseconds(sc.flush_interval_ms() ? sc.flush_interval_ms() : 50);
  s.batch = sc.batch_size() ? sc.batch_size() : 256;
  s.batch = std::clamp<std::size_t>(s.batch, 1, 4096);
  s.queue_limit = sc.queue_limit() ? sc.queue_limit() : 65536;
  for (const auto& n : cluster.nodes())
    if (n.name() != node) s.peers.emplace_back(n.name(), node_address(n));
  for (const auto& p : cluster.pools()) {
    const auto st = config::effective_stickiness(p);
    if (st.kind != config::Stickiness::SOURCE_IP && st.kind != config::Stickiness::LEARN_COOKIE) continue;
    s.pools[p.name()] = sync::PoolLimits{st.ttl, st.max_entries};
  }
  return s;
}

// One TCP connection, from accept/connect to close.
struct StickSync::Conn {
  Conn(asio::io_context& io, const StickSyncSettings& s, bool dialer_side, std::string expected)
      : socket(io), auth(s.key, s.cluster, s.node, random_nonce(), dialer_side), dialer(dialer_side),
        expected_peer(std::move(expected)), started(Clock::now()), last_rx(started), last_tx(started) {
    auth.accept_also(s.next_key);
  }

  tcp::socket socket;
  sync::SyncAuth auth;
  bool dialer;
  std::string expected_peer;  // dialer: whom we dialed
  std::string peer;           // after the handshake
  std::string remote;         // address, for logs
  TimePoint started, last_rx, last_tx;
  std::string pending;
  bool writing = false;
  bool closed = false;
  bool hello_accepted = false;  // the peer's hello verified; its first sealed frame not yet seen
  bool established = false;     // the peer proved it holds the key now (see on_established)
  bool counted_handshake = false;
  std::string close_why;
  bool lost_by_peer = false;  // the peer closed or reset it
  std::uint64_t next_batch = 1;
  std::map<std::uint64_t, std::vector<TimePoint>> inflight;  // batch -> queued_at of its entries
};

// One configured peer.
struct StickSync::Peer {
  Peer(std::string n, boost::asio::ip::address a, bool d, std::size_t limit)
      : name(std::move(n)), address(a), dialer(d), out(limit) {}
  std::string name;
  boost::asio::ip::address address;
  bool dialer;  // we dial it
  sync::ChangeQueue out;
  sync::Backoff backoff{Milliseconds{100}, Milliseconds{1000}};
  std::shared_ptr<Conn> conn;  // established connection, if any
  bool connecting = false;
  std::optional<TimePoint> connected_since;
  std::uint64_t sent = 0, received = 0, snapshots_sent = 0, snapshots_received = 0, connects = 0;
};

StickSync::StickSync(asio::io_context& io, StickSyncSettings settings, StickSyncHooks hooks)
    : io_(io),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)),
      store_(settings_.pools),
      to_proxy_(settings_.queue_limit),
      reject_warn_(kRejectWarnEvery),
      flush_timer_(io) {
  for (const auto& [name, address] : settings_.peers)
    peers_.push_back(std::make_unique<Peer>(name, address, settings_.node < name, settings_.queue_limit));
}

StickSync::~StickSync() = default;

void StickSync::start(ProxyChannel* proxy) {
  proxy_ = proxy;
  if (proxy_) {
    proxy_->set_stick_handlers([this](const wire::StickChanges& c) { on_proxy_stick(c); },
                               [this] { on_proxy_connected(); },
                               [this](std::uint64_t id) { on_proxy_applied(id); });
  }
  std::set<std::string> names;
  for (const auto& [n, a] : settings_.peers) names.insert(n);
  gate_.emplace(std::move(names), proxy_ != nullptr && !settings_.pools.empty(),
                Clock::now() + settings_.initial_sync_timeout);
  if (!settings_.peers.empty()) {
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
    asio::co_spawn(io_, accept_loop(), asio::detached);
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

void StickSync::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  flush_timer_.cancel();
  for (auto& p : peers_)
    if (p->conn) close(*p->conn, "stopping");
}

StickSync::Peer* StickSync::find_peer(const std::string& name) {
  for (auto& p : peers_)
    if (p->name == name) return p.get();
  return nullptr;
}

// ------------------------------------------------------------------ connections

awaitable<void> StickSync::accept_loop() {
  while (!stopped_) {
    auto conn = std::make_shared<Conn>(io_, settings_, false, "");
    auto [ec] = co_await acceptor_->async_accept(conn->socket, use_nothrow);
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("sync_accept_failed error=\"{}\"", ec.message());
      asio::steady_timer pause(io_, Milliseconds{100});
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    if (handshaking_ >= kMaxHandshaking) {
      boost::system::error_code ignored;
      reject("too_many_handshakes", "accept", conn->socket.remote_endpoint(ignored).address().to_string(), "");
      conn->socket.close(ignored);
      continue;
    }
    asio::co_spawn(io_, serve(conn), asio::detached);
  }
}

awaitable<void> StickSync::dial_loop(Peer& peer) {
  const tcp::endpoint ep(peer.address, settings_.port);
  while (!stopped_) {
    auto conn = std::make_shared<Conn>(io_, settings_, true, peer.name);
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
  auto remote = conn->socket.remote_endpoint(ignored);
  conn->remote = remote.address().to_string();
  ++handshaking_;
  conn->counted_handshake = true;
  asio::co_spawn(io_, watchdog(conn), asio::detached);

  // Our hello first (both sides send at once; neither waits for the other).
  conn->pending += encode_frame_bytes(conn->auth.hello(conn->expected_peer));
  flush_writes(conn);

  FrameDecoder decoder(kDefaultMaxFrameBytes);
  std::array<char, 65536> buffer;
  std::string payload;
  while (!conn->closed) {
    auto [ec, n] = co_await conn->socket.async_read_some(asio::buffer(buffer), use_nothrow);
    if (conn->closed) break;
    if (ec) {
      conn->lost_by_peer = closed_by_peer(ec);
      close(*conn, ec == asio::error::eof ? "closed by the peer" : ec.message());
      break;
    }
    conn->last_rx = Clock::now();
    decoder.feed(std::string_view(buffer.data(), n));
    while (!conn->closed) {
      const auto status = decoder.next(payload);
      if (status == FrameDecoder::Status::need_more) break;
      if (status == FrameDecoder::Status::too_large) {
        reject("too_large", conn->established ? "frame" : "hello", conn->remote, conn->peer);
        close(*conn, "frame too large");
        break;
      }
      if (!conn->hello_accepted) {
        std::set<std::string> allowed;
        for (const auto& p : peers_)
          if (conn->dialer ? p->name == conn->expected_peer : !p->dialer) allowed.insert(p->name);
        if (auto error = conn->auth.accept_hello(payload, allowed)) {
          reject(sync::to_string(*error), "hello", conn->remote, "");
          close(*conn, "bad hello");
          break;
        }
        // A hello proves only that a key holder once made it: a recorded one
        // replays perfectly. Prove we hold the key with a sealed ping, and
        // act on the connection only once the peer's first frame opens
        // under the session key (which needs our fresh nonce and the key).
        conn->hello_accepted = true;
        wire::SyncMessage ping;
        ping.mutable_ping();
        conn->pending += encode_frame_bytes(conn->auth.seal(ping));
        conn->last_tx = Clock::now();
        flush_writes(conn);
        continue;
      }
      sync::AuthError error{};
      auto message = conn->auth.open(payload, error);
      if (!message) {
        reject(sync::to_string(error), "frame", conn->remote,
               conn->established ? conn->peer : conn->auth.peer());
        close(*conn, "bad frame");
        break;
      }
      if (!conn->established) {
        on_established(conn);
        if (conn->closed) break;
      }
      on_message(*conn, *message);
    }
  }
  if (conn->counted_handshake) {
    conn->counted_handshake = false;
    --handshaking_;
  }
  if (!conn->established) co_return;
  Peer* peer = find_peer(conn->peer);
  if (peer && peer->conn == conn) {
    peer->conn.reset();
    peer->connected_since.reset();
    spdlog::warn("sync_disconnected peer={} reason=\"{}\"", conn->peer, conn->close_why);
    if (conn->lost_by_peer && !stopped_) {
      ++connections_lost_;
      if (hooks_.connection_lost) hooks_.connection_lost(conn->peer);
      asio::co_spawn(io_, probe_burst(conn->peer, Clock::now()), asio::detached);
    }
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
      close(*conn, "handshake timeout");
      co_return;
    }
    if (conn->established && now - conn->last_rx > kIdleTimeout) {
      close(*conn, "silent for " + std::to_string(kIdleTimeout.count()) + " ms");
      co_return;
    }
    if (conn->established && now - conn->last_tx >= kPingEvery) {
      wire::SyncMessage ping;
      ping.mutable_ping();
      send(*conn, ping);
    }
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
    close(*conn, "unknown peer");
    return;
  }
  if (peer->conn && peer->conn != conn) {
    // The peer redialed: its old connection is dead to it. Drop ours quietly.
    auto old = peer->conn;
    peer->conn.reset();
    close(*old, "replaced by a new connection");
  }
  peer->conn = conn;
  peer->connected_since = Clock::now();
  ++peer->connects;
  spdlog::info("sync_connected peer={} address={} dialer={}", peer->name, conn->remote, conn->dialer);
  peer->out.clear();
  send_snapshot(*conn);
}

void StickSync::close(Conn& conn, const std::string& why) {
  if (conn.closed) return;
  conn.closed = true;
  conn.close_why = why;
  boost::system::error_code ignored;
  conn.socket.shutdown(tcp::socket::shutdown_both, ignored);
  conn.socket.close(ignored);
}

// ------------------------------------------------------------------ messages

void StickSync::on_message(Conn& conn, const wire::SyncMessage& message) {
  Peer* peer = find_peer(conn.peer);
  if (!peer || peer->conn.get() != &conn) return;
  const auto now = Clock::now();
  if (message.has_ack()) {
    auto it = conn.inflight.find(message.ack().batch());
    if (it != conn.inflight.end()) {
      for (const auto& queued : it->second)
        lag_.add(std::chrono::duration<double, std::milli>(now - queued).count());
      conn.inflight.erase(it);
    }
    return;
  }
  if (!message.has_stick()) return;  // ping
  const auto& s = message.stick();
  peer->received += static_cast<std::uint64_t>(s.entries_size());
  if (s.entries_size() > 0) {
    auto changed = store_.apply({s.entries().begin(), s.entries().end()}, now);
    // What peers teach us goes to our proxy, never on to other peers.
    if (proxy_) {
      for (const auto& e : changed) to_proxy_.push(e, now);
      flush_proxy();  // the local hop adds no flush interval
    }
  }
  if (message.batch() != 0) {
    wire::SyncMessage ack;
    ack.mutable_ack()->set_batch(message.batch());
    send(conn, ack);
  }
  if (s.snapshot_end()) {
    ++peer->snapshots_received;
    spdlog::info("sync_snapshot_received peer={} entries_total={}", peer->name, peer->received);
    gate_->snapshot_complete(peer->name);
    check_gate();
    flush_proxy();  // a restarted node's proxy gets the table now, not at the next tick
  }
}

void StickSync::send(Conn& conn, const wire::SyncMessage& message) {
  if (conn.closed) return;
  conn.pending += encode_frame_bytes(conn.auth.seal(message));
  conn.last_tx = Clock::now();
  Peer* peer = find_peer(conn.peer);
  if (peer && peer->conn.get() == &conn) flush_writes(peer->conn);
}

void StickSync::flush_writes(const std::shared_ptr<Conn>& conn) {
  if (conn->writing || conn->closed) return;
  if (conn->pending.empty()) return;
  conn->writing = true;
  auto data = std::make_shared<std::string>(std::move(conn->pending));
  conn->pending.clear();
  asio::async_write(conn->socket, asio::buffer(*data),
                    [this, data, conn](const boost::system::error_code& ec, std::size_t) {
                      conn->writing = false;
                      if (ec) {
                        conn->lost_by_peer = closed_by_peer(ec);
                        close(*conn, ec.message());
                        return;
                      }
                      flush_writes(conn);
                    });
}

void StickSync::send_snapshot(Conn& conn) {
  Peer* peer = find_peer(conn.peer);
  if (!peer) return;
  auto all = store_.snapshot(Clock::now());
  const std::size_t total = all.size();
  for (auto& part : split(std::move(all), settings_.batch)) send(conn, stick_message(std::move(part), true, false, 0));
  send(conn, stick_message({}, true, true, 0));
  peer->sent += total;
  ++peer->snapshots_sent;
  spdlog::info("sync_snapshot_sent peer={} entries={}", peer->name, total);
}

// ------------------------------------------------------------------ local proxy

void StickSync::on_proxy_stick(const wire::StickChanges& changes) {
  const auto now = Clock::now();
  proxy_received_ += static_cast<std::uint64_t>(changes.entries_size());
  if (changes.entries_size() > 0) {
    auto changed = store_.apply({changes.entries().begin(), changes.entries().end()}, now);
    for (auto& peer : peers_) {
      if (!peer->conn) continue;  // its snapshot on connect covers it
      for (const auto& e : changed) {
        if (!peer->out.push(e, now))
          spdlog::warn("sync_queue_overflow peer={} limit={} action=full_resync", peer->name, settings_.queue_limit);
      }
      if (peer->out.size() >= settings_.batch) flush_peer(*peer);
    }
  }
  if (changes.snapshot_end()) spdlog::info("proxy_snapshot_received entries_total={}", proxy_received_);
}

void StickSync::on_proxy_applied(std::uint64_t id) {
  const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - proxy_snapshot_at_).count();
  spdlog::info("proxy_snapshot_applied snapshot_id={} ms_since_last_sent={:.1f}", id, ms);
  if (gate_) gate_->proxy_applied(id);
  check_gate();
}

void StickSync::on_proxy_connected() {
  to_proxy_.clear();
  to_proxy_.request_resync();
  flush_proxy();
}

void StickSync::send_proxy_snapshot() {
  auto all = store_.snapshot(Clock::now());
  const std::size_t total = all.size();
  for (auto& part : split(std::move(all), settings_.batch)) {
    wire::StickChanges c;
    for (auto& e : part) *c.add_entries() = std::move(e);
    c.set_full_snapshot(true);
    proxy_->send_stick(c);
  }
  wire::StickChanges end;
  end.set_full_snapshot(true);
  end.set_snapshot_end(true);
  end.set_snapshot_id(++proxy_snapshot_id_);
  proxy_->send_stick(end);
  proxy_sent_ += total;
  ++proxy_resyncs_;
  proxy_snapshot_at_ = Clock::now();
  if (gate_) gate_->proxy_snapshot_sent(proxy_snapshot_id_, proxy_snapshot_at_);
  spdlog::info("proxy_snapshot_sent entries={} snapshot_id={}", total, proxy_snapshot_id_);
}

void StickSync::flush_proxy() {
  if (!proxy_ || !proxy_->connected()) return;
  if (to_proxy_.take_needs_resync()) {
    to_proxy_.clear();
    send_proxy_snapshot();
    return;
  }
  const auto now = Clock::now();
  // The unix socket takes megabytes at once: fill it up to the high-water
  // mark rather than one batch per write (which capped a restarted node's
  // proxy at one batch per flush interval, ~5k entries/s).
  while (!to_proxy_.empty() && proxy_->queued_bytes() < kWriteHighWater) {
    auto batch = to_proxy_.take(settings_.batch, now);
    if (batch.entries.empty()) break;
    wire::StickChanges c;
    for (auto& e : batch.entries) *c.add_entries() = std::move(e);
    proxy_sent_ += batch.entries.size();
    proxy_->send_stick(c);
  }
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
    send(conn, stick_message(std::move(batch.entries), false, false, id));
  }
}

void StickSync::flush_tick() {
  if (stopped_) return;
  for (auto& p : peers_) flush_peer(*p);
  flush_proxy();
  const auto now = Clock::now();
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
    to_proxy_.request_resync();
    flush_proxy();
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

awaitable<std::optional<boost::system::error_code>> StickSync::probe_once(const tcp::endpoint& ep,
                                                                          Milliseconds timeout) {
  tcp::socket socket(io_);
  asio::steady_timer deadline(io_, timeout);
  using namespace asio::experimental::awaitable_operators;
  auto result = co_await (socket.async_connect(ep, use_nothrow) || deadline.async_wait(use_nothrow));
  if (result.index() == 1) co_return std::nullopt;
  const auto [ec] = std::get<0>(result);
  co_return ec;
}

awaitable<void> StickSync::probe_burst(std::string name, TimePoint lost_at) {
  Peer* peer = find_peer(name);
  if (!peer) co_return;
  const tcp::endpoint ep(peer->address, settings_.port);
  // The decision is PeerLiveness's (ha/failover/peer_liveness.h); here only the connects.
  PeerLiveness liveness;
  for (bool first = true; !stopped_ && liveness.more(); first = false) {
    if (!first) {
      asio::steady_timer gap(io_, PeerLiveness::kProbeGap);
      co_await gap.async_wait(use_nothrow);
    }
    auto r = co_await probe_once(ep, PeerLiveness::kProbeTimeout);
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
  auto r = co_await probe_once(tcp::endpoint(peer->address, settings_.port), Milliseconds{300});
  if (r && *r == asio::error::connection_refused && gate_) {
    gate_->peer_absent(name);
    check_gate();
  }
}

// ------------------------------------------------------------------ status

wire::SyncStatus StickSync::status(TimePoint now) const {
  wire::SyncStatus s;
  s.set_initial_sync_done(eligibility_ == sync::Eligibility::kEligible);
  s.set_eligibility(sync::to_string(eligibility_));
  if (gate_) s.set_initial_sync(gate_->describe(now));
  for (const auto& pool : store_.pools()) {
    const auto c = store_.counters(pool);
    auto* t = s.add_tables();
    t->set_pool(pool);
    t->set_entries(c.entries);
    t->set_removal_markers(c.markers);
  }
  std::uint64_t sent = 0, received = 0, resyncs = 0, overflows = to_proxy_.overflows();
  std::uint32_t connected = 0;
  for (const auto& p : peers_) {
    auto* ps = s.add_peers();
    ps->set_name(p->name);
    ps->set_dialer(p->dialer);
    ps->set_state(p->conn ? "connected" : p->connecting ? "connecting" : "down");
    ps->set_changes_sent(p->sent);
    ps->set_changes_received(p->received);
    ps->set_snapshots_sent(p->snapshots_sent);
    ps->set_snapshots_received(p->snapshots_received);
    ps->set_queued(p->out.size());
    ps->set_connects(p->connects);
    ps->set_connected_ms_ago(p->connected_since ? static_cast<std::int32_t>(std::min<long long>(
                                                      std::chrono::duration_cast<Milliseconds>(now - *p->connected_since).count(),
                                                      INT32_MAX))
                                                : -1);
    if (p->conn) ++connected;
    sent += p->sent;
    received += p->received;
    resyncs += p->snapshots_sent;
    overflows += p->out.overflows();
  }
  s.set_connected_peers(connected);
  s.set_changes_sent(sent);
  s.set_changes_received(received);
  s.set_resyncs(resyncs);
  s.set_queue_overflows(overflows);
  s.set_lag_p50_ms(lag_.quantile(0.5));
  s.set_lag_p99_ms(lag_.quantile(0.99));
  s.set_lag_samples(lag_.count());
  for (const auto& [reason, count] : rejected_) (*s.mutable_rejected())[reason] = count;
  s.set_proxy_changes_received(proxy_received_);
  s.set_proxy_changes_sent(proxy_sent_);
  s.set_proxy_resyncs(proxy_resyncs_);
  s.set_connections_lost(connections_lost_);
  s.set_fast_confirmations(fast_confirmations_);
  return s;
}

}  // namespace tandem::ha
