// L4 proxying: pick a server, connect (with retries), then copy bytes both
// ways until both directions have ended. A client's half-close (FIN) is
// passed on as a shutdown of the server side's send direction, and vice
// versa, so request/response protocols that rely on it keep working.
//
// Memory: routing and connecting run as a coroutine; the relay that follows
// is plain completion handlers, so an open connection holds no coroutine
// frame, and no buffer while it waits. Each direction awaits readability,
// reads into the worker thread's one scratch buffer, sends at once what the
// socket takes (write_now), and copies to the heap only what the peer's
// window cannot take yet, freed once sent. bench/mem_bench.py --mode tcp:
// 17.3 KiB per idle connection with two 16 KiB buffers in two coroutine
// frames and awaitable operators; see bench/README.md for today's figure.
//
// Waiting for readability costs one epoll_ctl per wait in Asio 1.81's epoll
// reactor (a non-speculative operation re-arms the descriptor) where reading
// straight away cost a failed recv: the same syscall count.
//
// The client side may be a TLS stream (client_stream.h: HAProxy's `mode tcp`
// with `ssl` on the bind line). OpenSSL buffers records, so readiness of the
// socket says nothing: that direction reads with async_read_some into a
// buffer of its own, and what goes to the client is written through the
// stream. The plain path compiles to what it was.
#include <array>
#include <cstring>
#include <memory>
#include <span>

#include <spdlog/spdlog.h>

#include "lb/balance/key_hash.h"
#include "lb/observe/access_log_buffer.h"
#include "lb/observe/request_timeline.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/upstream_connect.h"
#include "lb/runtime/worker.h"
#include "lb/runtime/write_now.h"

namespace tandem::lb {

namespace {

// The bytes one read may take. What is read is sent, or copied out, before
// the handler returns, so every session on a thread shares this buffer.
std::span<char> scratch_buffer() {
  static thread_local std::array<char, 16384> scratch;
  return scratch;
}

template <typename Client>
class TcpSession final : public DrainableSession, public std::enable_shared_from_this<TcpSession<Client>> {
 public:
  TcpSession(Worker& worker, std::shared_ptr<ListenerRuntime> listener, Client client,
             std::optional<ClientAddresses> origin)
      : worker_(worker),
        listener_(std::move(listener)),
        count_(worker_, *listener_->stats),
        client_(std::move(client)),
        server_(worker.io()),
        idle_timer_(worker.io()),
        upload_{client_, server_},
        download_{server_, client_},
        origin_(std::move(origin)) {
    worker_.track(this);
  }
  ~TcpSession() override { worker_.untrack(this); }

  // A TCP session is never "between requests": a drain lets it run until the
  // grace period ends and the process exits.
  void close_if_idle() override {}

  // Routes and connects; on success starts the relay, which keeps the
  // session alive through its handlers.
  awaitable<void> connect() {
    const bool connected = co_await route_and_connect();
    if (connected) start_relay();
  }

 private:
  // One direction: FROM's bytes to TO.
  template <typename From, typename To>
  struct Direction {
    From& from;
    To& to;
    std::atomic<std::uint64_t>* read_count = nullptr;
    std::atomic<std::uint64_t>* write_count = nullptr;
    std::unique_ptr<char[]> held;  // what TO could not take yet; null when none
    std::unique_ptr<std::array<char, 16384>> tls_in;  // a TLS FROM's read buffer
    bool done = false;
  };
  using Upload = Direction<Client, tcp::socket>;
  using Download = Direction<tcp::socket, Client>;

  awaitable<bool> route_and_connect() {
    auto& stats = *listener_->stats;
    boost::system::error_code ec;
    // The addresses a trusted PROXY header gave, else the socket's.
    const ClientAddresses addresses =
        origin_ ? *origin_
                : ClientAddresses{socket_of(client_).remote_endpoint(ec), socket_of(client_).local_endpoint(ec)};
    if (ec) co_return false;
    const std::string source = addresses.source.address().to_string();
    peer_ = addresses.source;
    timeline_.start = Clock::now();
    view_ = worker_.view(listener_->pool);  // kept: the relay counts into its server
    auto& pool = *view_->pool;

    // Route: the stuck server if it still takes its clients, else the pool's
    // algorithm on the connection's key (an L4 key is the client's address).
    const auto now = Clock::now();
    const auto sticky = pool.sticky_policy();
    const auto choice = sticky.before({.source = source}, now);
    UpstreamRequest request;
    request.key_hash = pool.request_key({.source_hash = stable_hash(source)});
    request.client = &addresses;
    if (choice.stuck_name) request.preferred = pool.stuck_server(*choice.stuck_name, now);
    std::vector<ServerIndex> tried;
    timeline_.connect_begin = Clock::now();
    auto [failure, upstream] = co_await acquire_upstream(worker_, *listener_, view_, request, tried);
    stats.requests.fetch_add(1, std::memory_order_relaxed);
    if (!upstream) {
      log_connection(observe::termination_for(failure));
      stats.count_refusal(l4_refusal_for(failure));
      spdlog::debug("tcp_refused listener={} client={} reason={}", listener_->config.name(), source,
                    l4_reason(failure));
      co_return false;  // closing the client connection is all L4 can say
    }
    auto& server = pool.server(upstream->index);
    sticky.record(sticky.after(choice, server.name), now);
    server.requests.fetch_add(1, std::memory_order_relaxed);
    server_ = upstream->connection.take_socket();  // plain: the validator refuses `tls` pools behind TCP listeners
    slot_ = std::move(upstream->slot);  // the server's active count, until the session ends
    server_rt_ = &server;
    timeline_.connected = Clock::now();
    pool.report_success(upstream->index, Clock::now());

    socket_of(client_).non_blocking(true, ec);
    if (!ec) server_.non_blocking(true, ec);
    if (ec) co_return false;
    upload_.read_count = &stats.bytes_in;
    upload_.write_count = &server.bytes_out;
    download_.read_count = &server.bytes_in;
    download_.write_count = &stats.bytes_out;
    co_return true;
  }

  void start_relay() {
    touch();
    wait_readable(upload_);
    wait_readable(download_);
    arm_watchdog();
  }

  // Waits for FROM's next bytes: readiness on a plain socket (the bytes are
  // then read into the thread's scratch buffer), a read over TLS.
  template <typename D>
  void wait_readable(D& d) {
    if constexpr (is_plain_socket<std::remove_reference_t<decltype(d.from)>>) {
      d.from.async_wait(tcp::socket::wait_read, [self = this->shared_from_this(), &d](boost::system::error_code ec) {
        self->on_readable(d, ec);
      });
    } else {
      if (!d.tls_in) d.tls_in = std::make_unique<std::array<char, 16384>>();
      d.from.async_read_some(asio::buffer(*d.tls_in),
                             [self = this->shared_from_this(), &d](boost::system::error_code ec, std::size_t n) {
                               if (self->closed_) return self->end(d);
                               self->forward(d, d.tls_in->data(), n, ec);
                             });
    }
  }

  template <typename D>
  void on_readable(D& d, boost::system::error_code ec) {
    if (ec || closed_) return end(d);
    const auto scratch = scratch_buffer();
    boost::system::error_code rec;
    const std::size_t n = d.from.read_some(asio::buffer(scratch.data(), scratch.size()), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) return wait_readable(d);  // spurious
    forward(d, scratch.data(), n, rec);
  }

  // Sends the N bytes at DATA just read from FROM (REC: how the read ended).
  template <typename D>
  void forward(D& d, const char* data, std::size_t n, boost::system::error_code rec) {
    if (n > 0) {
      touch();
      d.read_count->fetch_add(n, std::memory_order_relaxed);
      (static_cast<void*>(&d) == static_cast<void*>(&upload_) ? client_bytes_in_ : client_bytes_out_) += n;
      std::array<asio::const_buffer, 1> out{asio::buffer(data, n)};
      std::span<asio::const_buffer> pending(out);
      boost::system::error_code wec;
      d.write_count->fetch_add(write_now(d.to, pending, wec), std::memory_order_relaxed);
      if (wec) return end(d);
      if (!pending.empty()) {
        // TO's window is full (or TO is TLS): keep the rest (the read buffer
        // is the next read's) and read no more from FROM until it is sent.
        const std::size_t rest = pending.front().size();
        d.held = std::make_unique<char[]>(rest);
        std::memcpy(d.held.get(), pending.front().data(), rest);
        asio::async_write(d.to, asio::buffer(d.held.get(), rest),
                          [self = this->shared_from_this(), &d, rec](boost::system::error_code sent_ec,
                                                                     std::size_t written) {
                            self->on_held_sent(d, rec, sent_ec, written);
                          });
        return;
      }
    }
    if (rec) return end(d);  // end of stream or an error
    wait_readable(d);
  }

  template <typename D>
  void on_held_sent(D& d, boost::system::error_code read_ec, boost::system::error_code ec, std::size_t written) {
    d.write_count->fetch_add(written, std::memory_order_relaxed);
    d.held.reset();
    if (ec || read_ec || closed_) return end(d);
    wait_readable(d);
  }

  // FROM has ended (or failed): pass the end on as a half-close of TO; once
  // both directions have ended the session closes.
  template <typename D>
  void end(D& d) {
    if (d.done) return;
    d.done = true;
    boost::system::error_code ignored;
    socket_of(d.to).shutdown(tcp::socket::shutdown_send, ignored);
    if (upload_.done && download_.done) close(observe::kNormal);
  }

  // Closes both sockets and the timer: every pending handler then runs with
  // operation_aborted and drops its reference, which frees the session.
  // TERM says why, for the access log.
  void close(observe::Termination term) {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    const auto end = Clock::now();
    timeline_.observe_into(listener_->stats->latency, end);
    if (server_rt_) timeline_.observe_into(server_rt_->latency, end);
    log_connection(term);
    boost::system::error_code ignored;
    socket_of(client_).close(ignored);
    server_.close(ignored);
  }

  // Ends the session after client_idle of silence in both directions.
  void arm_watchdog() {
    idle_timer_.expires_at(last_activity_ + listener_->timeouts.client_idle);
    idle_timer_.async_wait([self = this->shared_from_this()](boost::system::error_code) {
      if (self->closed_) return;
      if (Clock::now() >= self->last_activity_ + self->listener_->timeouts.client_idle)
        return self->close(observe::Termination{'c', 'D'});  // the idle limit ended it
      self->arm_watchdog();
    });
  }

  void touch() { last_activity_ = Clock::now(); }

  // Hands the finished connection to this worker's access log (lb/observe).
  void log_connection(observe::Termination term) {
    auto* log = worker_.access_log();
    if (!log || !log->enabled()) return;
    const std::string ip = peer_.address().to_string();
    observe::AccessRecord r;
    r.tcp = true;
    r.client_ip = ip;
    r.client_port = peer_.port();
    r.listener = listener_->config.name();
    r.tls_version = tls_version_of(client_);
    r.sni = sni_of(client_);
    if (server_rt_) r.server = server_rt_->name;
    r.bytes_in = client_bytes_in_;
    r.bytes_out = client_bytes_out_;
    r.termination = term;
    timeline_.fill(r, Clock::now());
    r.time = std::chrono::system_clock::now() - std::chrono::microseconds(r.total);
    log->record(r);
  }

  Worker& worker_;
  std::shared_ptr<ListenerRuntime> listener_;
  SessionCount count_;  // from accept on, so the accept loop's batch sees it (max_connections)
  Client client_;
  tcp::socket server_;
  asio::steady_timer idle_timer_;
  ServerSlot slot_;
  Upload upload_;      // client to server
  Download download_;  // server to client
  Clock::time_point last_activity_;
  bool closed_ = false;
  std::shared_ptr<PoolView> view_;
  ServerRuntime* server_rt_ = nullptr;  // once connected
  tcp::endpoint peer_;
  observe::RequestTimeline timeline_;
  std::uint64_t client_bytes_in_ = 0;  // this connection's, for its access log line
  std::uint64_t client_bytes_out_ = 0;
  std::optional<ClientAddresses> origin_;
};

}  // namespace

void start_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client,
                       std::optional<ClientAddresses> origin) {
  auto session =
      std::make_shared<TcpSession<tcp::socket>>(worker, std::move(listener), std::move(client), std::move(origin));
  asio::co_spawn(
      worker.io(), [s = std::move(session)]() -> awaitable<void> { co_await s->connect(); }, asio::detached);
}

void start_tcp_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client,
                       std::optional<ClientAddresses> origin) {
  auto session =
      std::make_shared<TcpSession<TlsStream>>(worker, std::move(listener), std::move(client), std::move(origin));
  asio::co_spawn(
      worker.io(), [s = std::move(session)]() -> awaitable<void> { co_await s->connect(); }, asio::detached);
}

}  // namespace tandem::lb
