// L7 proxying: one client connection, a loop of requests. For each: read and
// screen the header (limits, smuggling shapes), choose a server (stickiness,
// then the pool's algorithm), reuse or open an upstream connection, stream
// the request and the response through, and keep both sides alive when the
// protocol allows it. Every wait has a deadline; every refusal has a status
// and a counter.
#include <array>

#include <boost/asio/bind_allocator.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "lb/balance/key_hash.h"
#include "lb/http/cookies.h"
#include "lb/http/error_response.h"
#include "lb/http/forwarded.h"
#include "lb/http/hop_by_hop.h"
#include "lb/http/request_screen.h"
#include "lb/runtime/exact_allocator.h"
#include "lb/runtime/http_relay.h"
#include "lb/runtime/relay_now.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/upstream_connect.h"
#include "lb/runtime/worker.h"

namespace tandem::lb {

namespace {

using RequestParser = BufferParser<true>;
using ResponseParser = BufferParser<false>;

// The watchdog's granularity: it must wake before the shortest limit a phase uses.
std::chrono::milliseconds shortest_limit(const config::EffectiveTimeouts& t) {
  return std::min({t.request_header, t.client_idle, t.server});
}

// The listener's header and body caps, as the parser and the screen take
// them (built per request: an idle connection need not carry a copy).
http::Limits request_limits(const ListenerRuntime& listener) {
  http::Limits limits;
  limits.max_header_bytes = listener.limits.max_header_bytes;
  limits.max_header_count = listener.limits.max_header_count;
  limits.max_body_bytes = listener.limits.max_body_bytes;
  return limits;
}

Refusal refusal_for(bhttp::status status) {
  switch (status) {
    case bhttp::status::request_header_fields_too_large: return Refusal::header_too_large;
    case bhttp::status::payload_too_large: return Refusal::body_too_large;
    case bhttp::status::request_timeout: return Refusal::header_timeout;
    default: return Refusal::bad_request;
  }
}

// One client connection. While it waits for a request the session is
// parked: no coroutine is alive, only this object, one pending readiness
// wait on the client socket and the watchdog's timer (measured with
// bench/mem_bench.py: about 1.2 KiB per idle keep-alive connection, where a
// coroutine waiting with its watchdog beside it cost 6.8). When bytes arrive
// a coroutine serves requests until the client goes quiet again, then parks
// the session or ends it. The pending wait's handler or the coroutine owns
// the session, never both.
class HttpSession final : public DrainableSession {
 public:
  HttpSession(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client)
      : worker_(worker),
        listener_(std::move(listener)),
        stats_(*listener_->stats),
        count_(worker_, stats_),
        client_(std::move(client)),
        server_(worker.io()),
        watchdog_(worker.io().get_executor(), shortest_limit(listener_->timeouts)) {
    watchdog_.watch(&client_, &server_);
  }

  // Starts serving CLIENT: parks the session until its first request.
  static void start(std::unique_ptr<HttpSession> self) {
    auto& s = *self;
    boost::system::error_code ec;
    const auto peer = s.client_.remote_endpoint(ec);
    if (ec || s.worker_.draining()) return;  // closed with the session
    s.source_ = peer.address().to_string();
    s.source_hash_ = stable_hash(s.source_);
    if (s.listener_->forwarded_headers) {
      s.forwarding_ = std::make_unique<http::ForwardingElements>(http::forwarding_elements(peer.address(), "http"));
    }
    // Reads after a readiness wait must not block (on_readable()).
    s.client_.non_blocking(true, ec);
    if (ec) return;
    s.worker_.track(&s);
    park(std::move(self));
  }

  void close_if_idle() override {
    boost::system::error_code ignored;
    if (idle_) client_.cancel(ignored);
  }

 private:
  // Waits for the next request's first byte with no coroutine alive: the
  // keep-alive idle limit, or for the first request the whole header limit.
  // The watchdog's cut (or a drain's) completes the wait with an error.
  static void park(std::unique_ptr<HttpSession> self) {
    auto& s = *self;
    s.idle_ = true;
    s.watchdog_.arm(s.first_ ? s.listener_->timeouts.request_header : s.listener_->timeouts.client_idle);
    // An idle connection holds no read buffer either.
    s.buffer_.shrink_to_fit();
    wait_readable(std::move(self));
  }

  static void wait_readable(std::unique_ptr<HttpSession> self) {
    auto& client = self->client_;
    // A plain handler (no coroutine) with its own allocation (exact_allocator.h).
    auto on_ready = [self = std::move(self)](boost::system::error_code ec) mutable {
      on_readable(std::move(self), ec);
    };
    client.async_wait(tcp::socket::wait_read, asio::bind_allocator(ExactAllocator<void>(), std::move(on_ready)));
  }

  // The client sent bytes (or the wait failed). They are read at once,
  // without blocking, into a per-thread scratch buffer and kept at their
  // size: a request in flight holds the bytes it sent, not a 4 KiB read
  // buffer, so hundreds of requests in flight at once do not leave the heap
  // that much larger. Then a coroutine serves them.
  static void on_readable(std::unique_ptr<HttpSession> self, boost::system::error_code ec) {
    auto& s = *self;
    s.idle_ = false;
    std::size_t n = 0;
    if (!ec) {
      static thread_local std::array<char, 4096> scratch;
      n = s.client_.read_some(asio::buffer(scratch), ec);  // the socket is non-blocking (start())
      if (ec == asio::error::would_block) {
        s.idle_ = true;
        wait_readable(std::move(self));  // a spurious wake-up: same deadline
        return;
      }
      if (!ec) s.buffer_.commit(asio::buffer_copy(s.buffer_.prepare(n), asio::buffer(scratch.data(), n)));
    }
    const auto why = s.watchdog_.translate(ec);
    if (why && !(why == beast::error::timeout && s.first_)) {
      s.finish();  // closed, reset, drained or idle too long: nothing to say
      return;
    }
    auto& io = s.worker_.io();
    asio::co_spawn(io, serve(std::move(self), why, n), asio::detached);
  }

  // Serves the requests in the N bytes just read (and what follows them)
  // while the client has sent more, then parks the session again or ends
  // it. EC: the first request's header timed out, answered with a 408.
  // (One coroutine per burst: its frame is allocated for every request.)
  static awaitable<void> serve(std::unique_ptr<HttpSession> self, boost::system::error_code ec, std::size_t n) {
    auto& s = *self;
    bool keep = false;
    if (ec) {
      co_await s.refuse(bhttp::status::request_timeout, false);
    } else {
      s.stats_.bytes_in.fetch_add(n, std::memory_order_relaxed);
      for (;;) {
        s.first_ = false;
        keep = co_await s.serve_one();
        s.close_server();  // unless it went back to the pool
        keep = keep && !s.worker_.draining();
        if (!keep || s.buffer_.size() == 0) break;  // nothing pipelined: park
      }
    }
    if (keep) {
      park(std::move(self));
    } else {
      s.finish();
    }
  }

  // Ends the connection (the session is destroyed by its owner right after).
  void finish() {
    worker_.untrack(this);
    close_server();
    boost::system::error_code ec;
    client_.shutdown(tcp::socket::shutdown_send, ec);
    client_.close(ec);
  }

  // Writes a ready-made error response; counts it.
  awaitable<void> refuse(bhttp::status status, bool keep_alive, bool head = false) {
    co_await write_error(http::error_response(status, {keep_alive, head}), status);
  }

  // Writes the response that names CAUSE (lb/http/error_response.h); counts it.
  awaitable<void> refuse(http::ErrorCause cause, bool keep_alive, bool head = false) {
    co_await write_error(http::error_response(cause, {keep_alive, head}), http::status_for(cause));
  }

  awaitable<void> write_error(const std::string& bytes, bhttp::status status) {
    watchdog_.arm(listener_->timeouts.client_idle);
    auto [ec, n] = co_await asio::async_write(client_, asio::buffer(bytes), use_nothrow);
    stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
    stats_.count_response(static_cast<unsigned>(status));
  }

  // Serves one request; false when the client connection must close.
  awaitable<bool> serve_one() {
    const auto started = Clock::now();
    // The header fields of the request and its response, freed together at the end.
    http::Arena arena;
    RequestParser parser(arena);
    const auto limits = request_limits(*listener_);
    http::apply_limits(parser, limits);
    // The whole header must arrive within request_header (slowloris).
    watchdog_.arm(listener_->timeouts.request_header);
    std::uint64_t header_read = 0;
    auto ec = parse_buffered(buffer_, parser);
    if (ec == bhttp::error::need_more) ec = co_await read_header(client_, buffer_, parser, watchdog_, header_read);
    stats_.bytes_in.fetch_add(header_read, std::memory_order_relaxed);
    if (ec) {
      const std::string_view received(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      if (auto verdict = http::classify_parse_error(ec, received)) {
        stats_.count_refusal(refusal_for(verdict->status));
        spdlog::debug("request_refused listener={} client={} status={} reason=\"{}\"", listener_->config.name(), source_,
                      static_cast<unsigned>(verdict->status), verdict->reason);
        co_await refuse(verdict->status, false);
      }
      co_return false;
    }
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    auto& req = parser.get();
    if (auto verdict = http::screen_request(req, limits); !verdict.ok()) {
      stats_.count_refusal(refusal_for(verdict.status));
      spdlog::debug("request_refused listener={} client={} status={} reason=\"{}\"", listener_->config.name(), source_,
                    static_cast<unsigned>(verdict.status), verdict.reason);
      co_await refuse(verdict.status, false, req.method() == bhttp::verb::head);
      co_return false;
    }
    const bool head = req.method() == bhttp::verb::head;
    const unsigned client_version = req.version();
    const auto client_intent = http::strip_hop_by_hop(req);
    if (forwarding_) http::add_forwarding_headers(req, *forwarding_);

    // Stickiness and hashing keys.
    auto view = worker_.view(listener_->pool);
    auto& pool = *view->pool;
    const auto& sticky = pool.stickiness();
    const auto now = Clock::now();
    UpstreamRequest request;
    request.allow_reuse = true;
    request.key_hash = hash_key(req);
    std::optional<std::string> stick_key;   // table key
    std::optional<std::string> stuck_name;  // server the client is stuck to
    StickTable* table = pool.stick_table();
    if (sticky.kind == config::Stickiness::SOURCE_IP) {
      stick_key = source_;
    } else if (sticky.kind == config::Stickiness::LEARN_COOKIE) {
      if (auto v = http::find_cookie(req, sticky.cookie)) stick_key = std::string(*v);
    } else if (sticky.kind == config::Stickiness::INSERT_COOKIE) {
      if (auto v = http::find_cookie(req, sticky.cookie)) stuck_name = std::string(*v);
      // Our cookie is for us, not for the application (HAProxy's "indirect").
      http::strip_cookie(req, sticky.cookie);
    }
    if (table && stick_key) stuck_name = table->lookup(*stick_key, now);
    if (stuck_name) request.preferred = pool.stuck_server(*stuck_name, now);

    // Connect (retrying other servers on connect failure), send, read the
    // response header. A reused idle connection that turns out dead before
    // any response byte is retried on a fresh one when nothing of the body
    // was consumed yet.
    std::vector<ServerIndex> tried;
    const bool has_body = !parser.is_done();
    request.replayable = !has_body;  // matches the retry conditions below
    for (int round = 0;; ++round) {
      close_server();
      watchdog_.disarm();  // connect and queue keep their own deadlines
      auto [failure, upstream] = co_await acquire_upstream(worker_, *listener_, view, request, tried);
      if (!upstream) {
        const bool timeout = failure == UpstreamFailure::queue_timeout;
        const Refusal why = failure == UpstreamFailure::connect_failed ? Refusal::bad_gateway
                            : failure == UpstreamFailure::queue_full   ? Refusal::queue_full
                            : timeout                                  ? Refusal::queue_timeout
                                                                       : Refusal::no_server;
        stats_.count_refusal(why);
        const auto cause = failure == UpstreamFailure::connect_failed ? http::ErrorCause::connect_failed
                           : failure == UpstreamFailure::queue_full   ? http::ErrorCause::queue_full
                           : timeout                                  ? http::ErrorCause::queue_timeout
                                                                      : http::ErrorCause::no_server;
        const bool keep = client_intent.keep_alive && !has_body && !worker_.draining();
        co_await refuse(cause, keep, head);
        record_latency(started);
        co_return keep;
      }
      const ServerIndex index = upstream->index;
      auto& server = pool.server(index);
      server_ = std::move(upstream->socket);
      SpareFlatBuffer up_spare;
      beast::flat_buffer& up_buffer = up_spare.get();
      // Upstream we always speak HTTP/1.1 with keep-alive, whatever the client spoke.
      req.version(11);
      http::set_connection(req, true);

      // Request: header and body to the server, at once when they are all
      // in hand (relay_now.h), else streamed. The header's scratch is a
      // per-thread spare, not a member: idle connections hold none.
      SpareHead head_scratch;
      PendingSend pending;
      RelayResult sent;
      if (auto at_once = relay_now(parser, buffer_, server_, head_scratch.get(), pending); relayed_now(at_once, pending)) {
        sent = *at_once;
      } else {
        sent = co_await relay_rest(at_once, pending, client_, buffer_, parser, server_, watchdog_,
                                   listener_->timeouts.client_idle, head_scratch.get());
      }
      stats_.bytes_in.fetch_add(sent.bytes_read, std::memory_order_relaxed);
      req.version(client_version);  // the header is out; answer in the client's terms
      if (sent.ec && sent.read_side) {
        // A body that breaks its framing (bad chunk size, overflow) gets a
        // 400; a client that went away or stalled just loses its connection.
        // Either way the upstream connection is dropped with the half-sent request.
        if (auto verdict = http::classify_parse_error(sent.ec)) {
          stats_.count_refusal(refusal_for(verdict->status));
          spdlog::debug("request_refused listener={} client={} status={} reason=\"{}\"", listener_->config.name(),
                        source_, static_cast<unsigned>(verdict->status), verdict->reason);
          co_await refuse(verdict->status, false, head);
        }
        co_return false;
      }
      if (sent.ec) {
        if (upstream->reused && !has_body && round < 3) {
          request.preferred = index;  // same server, fresh connection
          request.allow_reuse = false;
          parser.get().body() = {};
          continue;  // the serializer is rebuilt from the unchanged message
        }
        pool.report_failure(index, Clock::now(), "send failed");
        stats_.count_refusal(Refusal::bad_gateway);
        co_await refuse(http::ErrorCause::send_failed, false, head);
        co_return false;
      }
      server.bytes_out.fetch_add(sent.body_bytes, std::memory_order_relaxed);

      ResponseParser response(arena);
      limit_response_parser(response, head);
      watchdog_.arm(listener_->timeouts.server);
      std::uint64_t response_read = 0;
      const auto rec = co_await read_header(server_, up_buffer, response, watchdog_, response_read);
      if (rec) {
        const bool nothing_received = up_buffer.size() == 0 && !response.got_some();
        if (upstream->reused && nothing_received && !has_body && rec != beast::error::timeout && round < 3) {
          // An idle connection the server closed just as we used it.
          request.preferred = index;
          request.allow_reuse = false;
          continue;
        }
        const bool timeout = rec == beast::error::timeout;
        pool.report_failure(index, Clock::now(), timeout ? "response timeout" : "response failed");
        stats_.count_refusal(timeout ? Refusal::gateway_timeout : Refusal::bad_gateway);
        // Beast's parse errors say the bytes were wrong; its end_of_stream and
        // partial_message (and socket errors) say the server went away.
        const bool invalid = rec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                             rec != bhttp::error::end_of_stream && rec != bhttp::error::partial_message;
        co_await refuse(timeout   ? http::ErrorCause::response_timeout
                        : invalid ? http::ErrorCause::response_invalid
                                  : http::ErrorCause::response_closed,
                        false, head);
        record_latency(started);
        co_return false;
      }
      server.requests.fetch_add(1, std::memory_order_relaxed);
      pool.report_success(index, Clock::now());

      auto& res = response.get();
      const unsigned status = res.result_int();
      const auto server_intent = http::strip_hop_by_hop(res);
      const auto framing = http::response_framing(req, res);
      bool keep_client = http::keep_client_alive(client_intent, client_version, status, framing) && !worker_.draining();
      const bool keep_server = http::keep_server_alive(server_intent, status, framing);

      // Stickiness bookkeeping on the way back.
      if (sticky.kind == config::Stickiness::INSERT_COOKIE && (!stuck_name || *stuck_name != server.name)) {
        res.insert(bhttp::field::set_cookie, http::make_sticky_cookie(sticky.cookie, server.name));
      } else if (sticky.kind == config::Stickiness::LEARN_COOKIE && table) {
        if (auto v = http::find_set_cookie(res, sticky.cookie)) {
          table->put(*v, server.name, Clock::now());
        } else if (stick_key && stuck_name && *stuck_name != server.name) {
          table->move(*stick_key, server.name, Clock::now());  // stuck server was down: follow the client
        }
      } else if (sticky.kind == config::Stickiness::SOURCE_IP && table && (!stuck_name || *stuck_name != server.name)) {
        table->put(*stick_key, server.name, Clock::now());
      }
      res.set("X-Tandem-Node", worker_.node_name());
      if (client_version == 10 && res.chunked()) {
        res.chunked(false);  // an HTTP/1.0 client reads the body until we close
        keep_client = false;
      }
      http::set_connection(res, keep_client);

      RelayResult relayed;
      if (auto at_once = relay_now(response, up_buffer, client_, head_scratch.get(), pending); relayed_now(at_once, pending)) {
        relayed = *at_once;
      } else {
        relayed = co_await relay_rest(at_once, pending, server_, up_buffer, response, client_, watchdog_,
                                      listener_->timeouts.server, head_scratch.get());
      }
      server.bytes_in.fetch_add(relayed.body_bytes, std::memory_order_relaxed);
      stats_.bytes_out.fetch_add(relayed.body_bytes, std::memory_order_relaxed);
      stats_.count_response(status);
      record_latency(started);
      if (relayed.ec) {
        if (relayed.read_side) pool.report_failure(index, Clock::now(), "response body failed");
        co_return false;
      }
      if (keep_server && relayed.complete && up_buffer.size() == 0 && worker_.is_current(&pool)) {
        worker_.upstreams().give(&server, std::move(server_), Clock::now());
      }
      co_return keep_client;
    }
  }

  // The key the hash algorithms use for this request.
  std::uint64_t hash_key(const bhttp::header<true, http::ArenaFields>& req) const {
    const auto& pool = listener_->pool->config();
    // Only the hash algorithms look at the key; the others pay nothing.
    if (pool.algorithm() == config::SOURCE_IP_HASH) return source_hash_;
    if (pool.algorithm() != config::CONSISTENT_HASH) return 0;
    const auto& key = pool.hash_key();
    switch (key.kind()) {
      case config::Key::HEADER: {
        auto it = req.find(key.name());
        return stable_hash(it == req.end() ? std::string_view() : std::string_view(it->value()));
      }
      case config::Key::COOKIE: {
        auto v = http::find_cookie(req, key.name());
        return stable_hash(v ? *v : std::string_view());
      }
      case config::Key::URI:
        return stable_hash(std::string_view(req.target()));
      default:
        return source_hash_;
    }
  }

  void record_latency(Clock::time_point started) { stats_.latency.observe(Clock::now() - started); }

  // Closes the current request's upstream connection unless it was pooled.
  void close_server() {
    boost::system::error_code ignored;
    if (server_.is_open()) server_.close(ignored);
  }

  Worker& worker_;
  std::shared_ptr<ListenerRuntime> listener_;
  ListenerStats& stats_;
  SessionCount count_;
  tcp::socket client_;
  tcp::socket server_;    // the current request's upstream connection
  Watchdog watchdog_;     // deadlines of both, one phase at a time
  beast::flat_buffer buffer_;  // empty (no memory) while parked
  std::string source_;
  std::uint64_t source_hash_ = 0;  // stable_hash(source_), once per connection
  // Rendered once per connection, only when the listener adds them.
  std::unique_ptr<http::ForwardingElements> forwarding_;
  bool first_ = true;  // no request yet: the header limit covers the wait
  bool idle_ = false;  // parked: a drain may close it now
};

}  // namespace

void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client) {
  HttpSession::start(std::make_unique<HttpSession>(worker, std::move(listener), std::move(client)));
}

}  // namespace tandem::lb
