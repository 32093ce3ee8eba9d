// L7 proxying: one client connection, a loop of requests. Each request goes
// through named phases over one RequestContext, as Pingora's ProxyHttp does:
// screen (read the header, refuse what breaks the limits or smuggles),
// route (stickiness, then the pool's algorithm and its key), connect (reuse
// or open an upstream connection), forward (the request out, the response
// header back, retried on a fresh connection when a pooled one was dead),
// relay (the response to the client) and record (counters, the connection
// back to the pool). Every decision is a pure policy of lb/route; this file
// is the I/O around them. Every wait has a deadline; every refusal has a
// status and a counter.
#include <array>
#include <variant>

#include <boost/asio/bind_allocator.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "common/address.h"
#include "lb/balance/key_hash.h"
#include "lb/h2/preface.h"
#include "lb/http/cookies.h"
#include "lb/http/error_response.h"
#include "lb/http/forwarded.h"
#include "lb/http/hop_by_hop.h"
#include "lb/http/request_screen.h"
#include "lb/http/upgrade.h"
#include "lb/observe/access_log_buffer.h"
#include "lb/observe/request_timeline.h"
#include "lb/route/failure_status.h"
#include "lb/route/http_request_fields.h"
#include "lb/route/retry_policy.h"
#include "lb/route/sticky_policy.h"
#include "lb/runtime/exact_allocator.h"
#include "lb/runtime/h2_session.h"
#include "lb/runtime/http_relay.h"
#include "lb/runtime/relay_now.h"
#include "lb/runtime/request_route.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/tunnel.h"
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

// How a request ends when no response is relayed: the refusal written (a
// status, or an error cause; neither: the connection just closes), whether
// the client connection stays open, whether its latency is observed.
struct Ending {
  std::optional<bhttp::status> status;    // refused before forwarding (lb/http/request_screen.h)
  std::optional<http::ErrorCause> cause;  // no server answered (lb/route/failure_status.h)
  bool keep = false;
  bool timed = false;
  observe::Termination term;  // for the access log: who ended it, in which phase
};

// How a phase ended.
enum class Step {
  next,   // on to the next phase
  again,  // connect again and resend (a retry the RetryPolicy granted)
  end,    // the request ends without a relayed response (RequestContext::ending)
};

// One request's state from its header to its response: what each phase
// decided and what the next one needs. Lives in serve_one's frame.
struct RequestContext {
  RequestContext(const ListenerRuntime& listener, std::shared_ptr<PoolView> pool_view)
      : limits(request_limits(listener)), parser(arena), view(std::move(pool_view)), pool(*view->pool) {
    http::apply_limits(parser, limits);
  }

  const Clock::time_point started = Clock::now();
  observe::RequestTimeline timeline;  // the access log's timings and the latency histograms
  std::uint64_t bytes_in = 0;         // from the client: header and body
  http::Arena arena;  // the header fields of the request and its response, freed together
  const http::Limits limits;
  RequestParser parser;
  // screen
  bool head = false;  // a HEAD request: its response has no body
  bool answer_continue = false;  // a "100 Continue" is owed before the body is read
  unsigned client_version = 11;
  http::ConnectionIntent client_intent;
  std::optional<std::string> upgrade;  // the protocols offered upstream (lb/http/upgrade.h)
  RetryPolicy retry{false};  // made once the header is screened (has the request a body?)
  // route
  std::shared_ptr<PoolView> view;  // the pool and this worker's balancer, kept across a reload
  PoolRuntime& pool;
  StickyChoice stuck;
  UpstreamRequest request;
  std::vector<ServerIndex> tried;  // servers whose connect failed
  // connect: the server, its slot, whether the connection was pooled (the socket is the session's)
  std::optional<Upstream> upstream;
  // forward and relay
  std::optional<ResponseParser> response;
  SpareFlatBuffer up_spare;  // the response's read buffer
  SpareHead head_scratch;    // serialized headers
  std::optional<RelayResult> at_once;  // what relay_now did, for the streamed rest
  PendingSend pending;
  unsigned status = 0;       // the response's
  bool keep_client = false;  // the client connection may carry another request
  bool keep_server = false;  // the server connection may go back to the idle pool
  bool tunnel = false;       // a 101 to the upgrade: after the relay, bytes both ways
  Ending ending;             // set when a phase ends the request early (Step::end)
};

// One client connection. While it waits for a request the session is
// parked: no coroutine is alive, only this object, one pending readiness
// wait on the client socket and the watchdog's timer (measured with
// bench/mem_bench.py: about 1.2 KiB per idle keep-alive connection, where a
// coroutine waiting with its watchdog beside it cost 6.8). When bytes arrive
// a coroutine serves requests until the client goes quiet again, then parks
// the session or ends it. The pending wait's handler or the coroutine owns
// the session, never both. STREAM is the client's: a plain socket or TLS
// (client_stream.h); over TLS the session parks the same way unless OpenSSL
// already holds bytes of the next record, which are read at once.
template <typename Stream>
class HttpSession final : public DrainableSession {
 public:
  HttpSession(Worker& worker, std::shared_ptr<ListenerRuntime> listener, Stream client)
      : worker_(worker),
        listener_(std::move(listener)),
        stats_(*listener_->stats),
        count_(worker_, stats_),
        client_(std::move(client)),
        server_(worker.io()),
        watchdog_(worker.io().get_executor(), shortest_limit(listener_->timeouts)) {
    watchdog_.watch(&socket_of(client_), &server_);
  }

  // Starts serving CLIENT: parks the session until its first request.
  // ORIGIN: the addresses a trusted PROXY header gave (else the socket's).
  static void start(std::unique_ptr<HttpSession> self, std::optional<ClientAddresses> origin) {
    auto& s = *self;
    boost::system::error_code ec;
    if (origin) s.addresses_ = *origin;
    else s.addresses_.source = socket_of(s.client_).remote_endpoint(ec);
    const auto& peer = s.addresses_.source;
    if (ec || s.worker_.draining()) return;  // closed with the session
    s.source_ = peer.address().to_string();
    s.source_port_ = peer.port();
    s.next_start_ = Clock::now();  // the first request's timings start at the accept
    s.source_hash_ = stable_hash(s.source_);
    if (s.listener_->forwarded_headers) {
      s.forwarding_ =
          std::make_unique<http::ForwardingElements>(http::forwarding_elements(peer.address(), kTls ? "https" : "http"));
    }
    // Reads after a readiness wait must not block (on_readable()).
    if constexpr (!kTls) {
      s.client_.non_blocking(true, ec);
      if (ec) return;
    }
    s.worker_.track(&s);
    park(std::move(self));
  }

  void close_if_idle() override {
    boost::system::error_code ignored;
    if (idle_) socket_of(client_).cancel(ignored);
  }

 private:
  static constexpr bool kTls = !is_plain_socket<Stream>;

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
    if constexpr (kTls) {
      if (client.has_buffered()) {  // no readiness will come for bytes already read
        auto& io = self->worker_.io();
        asio::post(io, asio::bind_allocator(ExactAllocator<void>(), [self = std::move(self)]() mutable {
                     on_readable(std::move(self), {});
                   }));
        return;
      }
    }
    // A plain handler (no coroutine) with its own allocation (exact_allocator.h).
    auto on_ready = [self = std::move(self)](boost::system::error_code ec) mutable {
      on_readable(std::move(self), ec);
    };
    socket_of(client).async_wait(tcp::socket::wait_read,
                                 asio::bind_allocator(ExactAllocator<void>(), std::move(on_ready)));
  }

  // Over TLS, OpenSSL wants to write before it reads (a KeyUpdate's answer):
  // a read that waits for what it needs, into a buffer held meanwhile.
  static void read_when_writable(std::unique_ptr<HttpSession> self) {
    constexpr std::size_t kRead = 4096;
    auto& client = self->client_;
    const auto room = self->buffer_.prepare(kRead);
    auto on_read = [self = std::move(self)](boost::system::error_code ec, std::size_t n) mutable {
      self->buffer_.commit(n);
      if (ec && n > 0) ec = {};  // serve what came; the error shows again on the next read
      serve_read(std::move(self), ec, n);
    };
    client.async_read_some(room, asio::bind_allocator(ExactAllocator<void>(), std::move(on_read)));
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
      n = s.client_.read_some(asio::buffer(scratch), ec);  // the socket is non-blocking (start(), TlsSocket)
      if (ec == asio::error::would_block) {
        s.idle_ = true;
        wait_readable(std::move(self));  // a spurious wake-up (or part of a record): same deadline
        return;
      }
      if constexpr (kTls) {
        if (ec == asio::error::try_again) {
          read_when_writable(std::move(self));
          return;
        }
      }
      if (!ec) s.buffer_.commit(asio::buffer_copy(s.buffer_.prepare(n), asio::buffer(scratch.data(), n)));
    }
    serve_read(std::move(self), ec, n);
  }

  // Serves the N bytes just read, unless the read failed.
  static void serve_read(std::unique_ptr<HttpSession> self, boost::system::error_code ec, std::size_t n) {
    auto& s = *self;
    const auto why = s.watchdog_.translate(ec);
    // (Over TLS, HTTP/2 is chosen by ALPN in tls_handshake.cpp, not by the preface.)
    if constexpr (!kTls) {
      if (!why && s.first_ && s.listener_->http2.enabled && h2::starts_h2_preface(s.received())) {
        s.worker_.untrack(&s);  // HTTP/2 by prior knowledge (lb/h2/preface.h): the h2 session takes the socket
        start_h2_session(s.worker_, s.listener_, std::move(s.client_), s.received(), s.addresses_);
        return;
      }
    }
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
      s.log_unparsed(bhttp::status::request_timeout, {'c', 'R'});
    } else {
      s.stats_.bytes_in.fetch_add(n, std::memory_order_relaxed);
      for (;;) {
        s.first_ = false;
        // The pool's servers speak TLS or not (lb/tls/upstream_context.h):
        // the request's relay is compiled for each, the plain one as it was.
        const auto view = s.worker_.view(s.listener_->pool);
        if (view->pool->upstream_tls()) {
          keep = co_await s.template serve_one<TlsStream>(view);
        } else {
          keep = co_await s.template serve_one<tcp::socket>(view);
        }
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

  std::string_view received() const {
    return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
  }

  // Ends the connection (the session is destroyed by its owner right after).
  void finish() {
    worker_.untrack(this);
    close_server();
    boost::system::error_code ec;
    socket_of(client_).shutdown(tcp::socket::shutdown_send, ec);
    socket_of(client_).close(ec);
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
    error_bytes_ = n;
    stats_.count_response(static_cast<unsigned>(status));
  }

  // Serves one request through its phases; false when the client connection
  // must close. The phases are plain functions and every wait is here: a
  // coroutine frame per phase or relay would cost instructions per request
  // (bench/instructions_ab.py measured ~1.7k for four of them).
  // UP: the server connection's type, a plain socket or TLS (server_stream()).
  template <typename Up>
  awaitable<bool> serve_one(const std::shared_ptr<PoolView>& view) {
    RequestContext ctx(*listener_, view);
    ctx.timeline.start = next_start_ == Clock::time_point{} ? ctx.started : std::exchange(next_start_, {});
    // Screen. The whole header must arrive within request_header (slowloris).
    watchdog_.arm(listener_->timeouts.request_header);
    std::uint64_t header_read = 0;
    const auto buffered = buffer_.size();
    auto ec = parse_buffered(buffer_, ctx.parser);
    if (ec == bhttp::error::need_more) ec = co_await read_header(client_, buffer_, ctx.parser, watchdog_, header_read);
    stats_.bytes_in.fetch_add(header_read, std::memory_order_relaxed);
    ctx.bytes_in = buffered + header_read - buffer_.size();
    if (!ec) ctx.timeline.header = Clock::now();
    if (auto refused = screen(ctx, ec)) co_return co_await end(ctx, *refused);
    route(ctx);
    Step step = Step::again;
    while (step == Step::again) {
      // Connect.
      ready_to_connect(ctx);
      if (ctx.timeline.connect_begin == Clock::time_point{}) ctx.timeline.connect_begin = Clock::now();
      auto [failure, upstream] = co_await acquire_upstream(worker_, *listener_, ctx.view, ctx.request, ctx.tried);
      if (!upstream) co_return co_await end(ctx, unconnected(ctx, failure));
      connected(ctx, std::move(*upstream));
      Up& server = server_stream<Up>();
      if (ctx.answer_continue) co_await send_continue(ctx);
      // Forward: the request out, the response header back.
      auto sent = relay_at_once(ctx, ctx.parser, buffer_, server);
      if (!sent) sent = co_await relay_streamed(ctx, ctx.parser, client_, buffer_, server, listener_->timeouts.client_idle);
      step = request_sent(ctx, *sent);
      if (step != Step::next) continue;
      std::uint64_t response_read = 0;
      ec = co_await read_header(server, ctx.up_spare.get(), *ctx.response, watchdog_, response_read);
      step = response_header_read(ctx, ec);
    }
    if (step == Step::end) co_return co_await end(ctx, ctx.ending);
    // Relay the response to the client, then record.
    prepare_response(ctx);
    auto relayed = relay_at_once(ctx, *ctx.response, ctx.up_spare.get(), client_);
    if (!relayed) {
      relayed = co_await relay_streamed(ctx, *ctx.response, server_stream<Up>(), ctx.up_spare.get(), client_,
                                        listener_->timeouts.server);
    }
    const bool keep = record(ctx, *relayed);
    if (ctx.tunnel && !relayed->ec) co_await tunnel(ctx, server_stream<Up>());
    co_return keep;
  }

  // Screen: a header that did not parse, or that breaks a rule Beast does not
  // check (lb/http/request_screen.h), is refused. Else the request is made
  // ready to forward: hop-by-hop fields out, forwarding fields in.
  std::optional<Ending> screen(RequestContext& ctx, boost::system::error_code ec) {
    if (ec) {
      const std::string_view received(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      auto verdict = http::classify_parse_error(ec, received);
      // The client went away: nothing to say (logged when it had sent part of a request).
      if (!verdict) return Ending{.term = buffer_.size() ? observe::Termination{'C', 'R'} : observe::kNormal};
      count_refused(verdict->status, verdict->reason);
      return Ending{.status = verdict->status, .term = {'P', 'R'}};
    }
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    auto& req = ctx.parser.get();
    ctx.head = req.method() == bhttp::verb::head;
    http::RequestFacts facts;
    if (auto verdict = http::screen_request(req, ctx.limits, facts); !verdict.ok()) {
      count_refused(verdict.status, verdict.reason);
      return Ending{.status = verdict.status, .term = {'P', 'R'}};
    }
    if (facts.fold_content_length) http::fold_content_length(req);  // one length goes on (hop_by_hop.h)
    if (facts.expect_continue) {
      // Answered here (sent once connected: a refusal before that needs no body), never forwarded.
      ctx.answer_continue = http::answer_continue(facts, req.version(), !ctx.parser.is_done(), buffer_.size());
      http::drop_expect_continue(req);
    }
    ctx.client_version = req.version();
    const auto upgrade = http::upgrade_field(req);  // strip_hop_by_hop removes it
    ctx.client_intent = http::strip_hop_by_hop(req);
    ctx.upgrade = http::upgrade_offer(req.version(), ctx.client_intent, upgrade);
    if (forwarding_) http::add_forwarding_headers(req, *forwarding_);
    ctx.retry = RetryPolicy(!ctx.parser.is_done());
    return std::nullopt;
  }

  // Route: stickiness and the algorithm's key (lb/runtime/request_route.h,
  // shared with HTTP/2 streams).
  void route(RequestContext& ctx) {
    ctx.stuck = route_request(ctx.pool, ctx.parser.get(), source_, source_hash_, ctx.retry.replayable(), ctx.request);
    if (ctx.pool.sends_proxy()) {
      boost::system::error_code ignored;  // the address the client reached, for the PROXY header we send
      if (addresses_.destination.port() == 0) addresses_.destination = socket_of(client_).local_endpoint(ignored);
      ctx.request.client = &addresses_;
    }
  }

  // Connect: the previous attempt's connection and slot are let go first.
  void ready_to_connect(RequestContext& ctx) {
    close_server();
    ctx.upstream.reset();  // a retry's old slot is free before the next is taken
    watchdog_.disarm();    // connect and queue keep their own deadlines
  }

  // No server connection could be had: the answer names why; the client
  // connection stays open when the request left nothing unread behind.
  Ending unconnected(RequestContext& ctx, UpstreamFailure failure) {
    const auto answer = answer_for(failure);
    stats_.count_refusal(answer.refusal);
    const bool keep = ctx.client_intent.keep_alive && ctx.retry.replayable() && !worker_.draining();
    return {.cause = answer.cause, .keep = keep, .timed = true, .term = observe::termination_for(failure)};
  }

  // Connected: upstream we always speak HTTP/1.1 with keep-alive, whatever
  // the client spoke.
  void connected(RequestContext& ctx, Upstream&& upstream) {
    if (upstream.connection.is_tls()) {
      server_tls_ = upstream.connection.take_tls();
      watchdog_.watch(&socket_of(client_), &server_tls_->next_layer());
    } else {
      server_ = upstream.connection.take_socket();
    }
    ctx.upstream = std::move(upstream);
    ctx.timeline.connected = Clock::now();
    auto& req = ctx.parser.get();
    if (http::needs_host(req.version(), req)) {
      boost::system::error_code ec;
      const auto local = socket_of(client_).local_endpoint(ec);
      if (!ec) req.set(bhttp::field::host, format_host_port(local.address(), local.port()));
    }
    req.version(11);
    http::set_connection(req, true);
    if (ctx.upgrade) http::restore_upgrade(req, *ctx.upgrade);
  }

  // The client waits for a 100 before it sends the body (request_screen.h,
  // answer_continue): sent once, before the relay reads the body. A failed
  // write shows up as the relay's read error.
  awaitable<void> send_continue(RequestContext& ctx) {
    ctx.answer_continue = false;
    watchdog_.arm(listener_->timeouts.client_idle);
    auto [ec, n] = co_await asio::async_write(client_, asio::buffer(http::kContinueResponse), use_nothrow);
    stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
  }

  // The request went out, or did not. A body that breaks its framing (bad
  // chunk size, overflow) gets a 400; a client that went away or stalled
  // just loses its connection; a server connection that broke is retried
  // when the RetryPolicy grants it, else answered with a 502. Either way the
  // upstream connection is dropped with the half-sent request.
  Step request_sent(RequestContext& ctx, const RelayResult& sent) {
    stats_.bytes_in.fetch_add(sent.bytes_read, std::memory_order_relaxed);
    ctx.parser.get().version(ctx.client_version);  // the header is out; answer in the client's terms
    ctx.bytes_in += sent.body_bytes;
    if (sent.ec && sent.read_side) {
      ctx.ending = {.term = observe::termination_in_body(true, true, sent.ec == beast::error::timeout)};
      if (auto verdict = http::classify_parse_error(sent.ec)) {
        count_refused(verdict->status, verdict->reason);
        ctx.ending.status = verdict->status;
        ctx.ending.term = {'P', 'D'};
      }
      return Step::end;
    }
    if (sent.ec) {
      const AttemptFailure failure{.stage = AttemptFailure::Stage::send, .reused = ctx.upstream->reused};
      if (std::holds_alternative<Retry>(ctx.retry.after(failure))) {
        retry_on_fresh_connection(ctx);
        ctx.parser.get().body() = {};  // the serializer is rebuilt from the unchanged message
        return Step::again;
      }
      ctx.pool.report_failure(ctx.upstream->index, Clock::now(), "send failed");
      const auto answer = answer_for_send_failure();
      stats_.count_refusal(answer.refusal);
      ctx.ending = {.cause = answer.cause, .term = {'S', 'D'}};
      return Step::end;
    }
    ctx.pool.server(ctx.upstream->index).bytes_out.fetch_add(sent.body_bytes, std::memory_order_relaxed);
    limit_response_parser(ctx.response.emplace(ctx.arena), ctx.head);
    watchdog_.arm(listener_->timeouts.server);
    return Step::next;
  }

  // The response header came, or did not: a pooled connection the server
  // closed just as we used it is retried when the RetryPolicy grants it;
  // anything else is the server's failure, answered with a 502 or 504.
  Step response_header_read(RequestContext& ctx, boost::system::error_code ec) {
    const ServerIndex index = ctx.upstream->index;
    if (!ec && http::upgrade_answer(ctx.upgrade.has_value(), ctx.response->get().result_int()) ==
                   http::UpgradeAnswer::unsolicited) {
      ec = bhttp::error::bad_status;  // a protocol switch nobody asked for: an invalid response
    }
    if (!ec) {
      ctx.timeline.first_byte = Clock::now();
      ctx.pool.server(index).requests.fetch_add(1, std::memory_order_relaxed);
      ctx.pool.report_success(index, Clock::now());
      return Step::next;
    }
    const auto fault = classify_response_error(ec);
    const AttemptFailure failure{.stage = AttemptFailure::Stage::response_header,
                                 .reused = ctx.upstream->reused,
                                 .response_started = ctx.up_spare.get().size() != 0 || ctx.response->got_some(),
                                 .timed_out = fault == ResponseFault::timeout};
    if (std::holds_alternative<Retry>(ctx.retry.after(failure))) {
      retry_on_fresh_connection(ctx);
      return Step::again;
    }
    ctx.pool.report_failure(index, Clock::now(), passive_cause(fault));
    const auto answer = answer_for(fault);
    stats_.count_refusal(answer.refusal);
    ctx.ending = {.cause = answer.cause, .timed = true, .term = observe::termination_for(fault)};
    return Step::end;
  }

  // The next connect goes to the same server on a new connection.
  static void retry_on_fresh_connection(RequestContext& ctx) {
    ctx.request.preferred = ctx.upstream->index;
    ctx.request.allow_reuse = false;
  }

  // Ends a request that gets no relayed response: writes its refusal, if it
  // has one; true when the client connection stays open.
  awaitable<bool> end(RequestContext& ctx, Ending ending) {
    error_bytes_ = 0;
    unsigned status = 0;
    if (ending.status) {
      co_await refuse(*ending.status, ending.keep, ctx.head);
      status = static_cast<unsigned>(*ending.status);
    } else if (ending.cause) {
      co_await refuse(*ending.cause, ending.keep, ctx.head);
      status = static_cast<unsigned>(http::status_for(*ending.cause));
    }
    const auto now = Clock::now();
    if (ending.timed) observe_latency(ctx, now);
    if (status != 0 || !ending.term.normal()) log_request(ctx, status, error_bytes_, ending.term, now);
    co_return ending.keep;
  }

  // Relay, first the response header, edited: hop-by-hop fields out,
  // stickiness, our node's name, the client's connection terms.
  void prepare_response(RequestContext& ctx) {
    auto& res = ctx.response->get();
    ctx.status = res.result_int();
    ctx.tunnel = http::upgrade_answer(ctx.upgrade.has_value(), ctx.status) == http::UpgradeAnswer::tunnel;
    const auto switched_to = ctx.tunnel ? http::upgrade_field(res) : std::string();
    const auto server_intent = http::strip_hop_by_hop(res);
    const auto framing = http::response_framing(ctx.parser.get(), res);
    ctx.keep_client = http::keep_client_alive(ctx.client_intent, ctx.client_version, ctx.status, framing) &&
                      !worker_.draining();
    ctx.keep_server = http::keep_server_alive(server_intent, ctx.status, framing);
    if (framing == http::BodyFraming::content_length) http::fold_content_length(res);
    stick_response(ctx.pool, ctx.stuck, ctx.upstream->index, res);  // lb/runtime/request_route.h
    res.set("X-Tandem-Node", worker_.node_name());
    if (ctx.client_version == 10 && res.chunked()) {
      res.chunked(false);  // an HTTP/1.0 client reads the body until we close
      ctx.keep_client = false;
    }
    if (ctx.tunnel) {
      http::restore_upgrade(res, switched_to);  // "Connection: upgrade", never "close" on a 101
    } else {
      http::set_connection(res, ctx.keep_client);
    }
  }

  // Record: the counters, the passive check on a broken response body, and
  // the server connection back to the idle pool when it can carry another
  // request. False when the client connection must close.
  bool record(RequestContext& ctx, const RelayResult& relayed) {
    auto& server = ctx.pool.server(ctx.upstream->index);
    server.bytes_in.fetch_add(relayed.body_bytes, std::memory_order_relaxed);
    stats_.bytes_out.fetch_add(relayed.body_bytes, std::memory_order_relaxed);
    stats_.count_response(ctx.status);
    const auto now = Clock::now();
    observe_latency(ctx, now);
    const bool timed_out = relayed.ec == beast::error::timeout;
    log_request(ctx, ctx.status, relayed.body_bytes,
                relayed.ec ? observe::termination_in_body(false, relayed.read_side, timed_out) : observe::kNormal, now);
    if (relayed.ec) {
      if (relayed.read_side) ctx.pool.report_failure(ctx.upstream->index, Clock::now(), "response body failed");
      return false;
    }
    if (ctx.keep_server && !ctx.upstream->private_to_client && relayed.complete && ctx.up_spare.get().size() == 0 && worker_.is_current(&ctx.pool)) {
      worker_.upstreams().give(&server, release_server(), now, listener_->timeouts.server_idle);
    }
    return ctx.keep_client;
  }

  // After a 101: the connection is a tunnel (lb/runtime/tunnel.h) with its
  // own idle limit; the server slot in CTX stays held until it ends. What
  // either side sent past the switch is already in our buffers: it goes first.
  template <typename Up>
  awaitable<void> tunnel(RequestContext& ctx, Up& upstream) {
    watchdog_.disarm();
    stats_.tunnels.fetch_add(1, std::memory_order_relaxed);
    stats_.tunnels_active.fetch_add(1, std::memory_order_relaxed);
    auto& server = ctx.pool.server(ctx.upstream->index);
    const TunnelCounters counters{.client_to_server_read = &stats_.bytes_in,
                                  .client_to_server_sent = &server.bytes_out,
                                  .server_to_client_read = &server.bytes_in,
                                  .server_to_client_sent = &stats_.bytes_out};
    const auto end = co_await run_upgraded(client_, buffer_, upstream, ctx.up_spare.get(),
                                           listener_->timeouts.tunnel, counters);
    stats_.tunnels_active.fetch_sub(1, std::memory_order_relaxed);
    spdlog::debug("tunnel_closed listener={} client={} server={} end={}", listener_->config.name(), source_,
                  server.name, end == TunnelEnd::idle ? "idle" : "closed");
  }

  // The one relay of a message, either way: PARSER's message (its header
  // read into IN_BUFFER) to OUT. relay_at_once sends it without a coroutine
  // when it is all in hand (relay_now.h), the common case; when it returns
  // nullopt, relay_streamed moves the rest, each wait within IDLE.
  template <bool isRequest, typename Out>
  std::optional<RelayResult> relay_at_once(RequestContext& ctx, BufferParser<isRequest>& parser,
                                           beast::flat_buffer& in_buffer, Out& out) {
    ctx.at_once = relay_now(parser, in_buffer, out, ctx.head_scratch.get(), ctx.pending);
    if (relayed_now(ctx.at_once, ctx.pending)) return ctx.at_once;
    return std::nullopt;
  }

  template <bool isRequest, typename In, typename Out>
  awaitable<RelayResult> relay_streamed(RequestContext& ctx, BufferParser<isRequest>& parser, In& in,
                                        beast::flat_buffer& in_buffer, Out& out,
                                        std::chrono::milliseconds idle) {
    return relay_rest(ctx.at_once, ctx.pending, in, in_buffer, parser, out, watchdog_, idle, ctx.head_scratch.get());
  }

  // Counts and logs a request refused with STATUS before it was forwarded.
  void count_refused(bhttp::status status, std::string_view reason) {
    stats_.count_refusal(refusal_for(status));
    spdlog::debug("request_refused listener={} client={} status={} reason=\"{}\"", listener_->config.name(), source_,
                  static_cast<unsigned>(status), reason);
  }

  // The latency histograms of the listener and of the server (if one was reached).
  void observe_latency(const RequestContext& ctx, Clock::time_point end) {
    ctx.timeline.observe_into(stats_.latency, end);
    if (ctx.upstream) ctx.timeline.observe_into(ctx.pool.server(ctx.upstream->index).latency, end);
  }

  // Hands the finished request to this worker's access log (lb/observe).
  void log_request(RequestContext& ctx, unsigned status, std::uint64_t bytes_out, observe::Termination term,
                   Clock::time_point end) {
    auto* log = worker_.access_log();
    if (!log || !log->enabled()) return;
    observe::AccessRecord r = access_record(status, term);
    if (ctx.timeline.header != Clock::time_point{}) {
      const auto& req = ctx.parser.get();
      r.protocol = ctx.client_version == 10 ? "HTTP/1.0" : "HTTP/1.1";
      r.method = req.method_string();
      r.path = req.target();
    }
    if (ctx.upstream) r.server = ctx.pool.server(ctx.upstream->index).name;
    r.bytes_in = ctx.bytes_in;
    r.bytes_out = bytes_out;
    ctx.timeline.fill(r, end);
    r.time = std::chrono::system_clock::now() - std::chrono::microseconds(r.total);
    log->record(r);
  }

  // A request that never parsed (its header timed out): status and cause only.
  void log_unparsed(bhttp::status status, observe::Termination term) {
    auto* log = worker_.access_log();
    if (!log || !log->enabled()) return;
    observe::AccessRecord r = access_record(static_cast<unsigned>(status), term);
    r.bytes_in = buffer_.size();
    r.bytes_out = error_bytes_;
    observe::RequestTimeline timeline{.start = std::exchange(next_start_, {})};
    if (timeline.start == Clock::time_point{}) timeline.start = Clock::now();
    timeline.fill(r, Clock::now());
    r.time = std::chrono::system_clock::now() - std::chrono::microseconds(r.total);
    log->record(r);
  }

  observe::AccessRecord access_record(unsigned status, observe::Termination term) {
    observe::AccessRecord r;
    r.client_ip = source_;
    r.client_port = source_port_;
    r.listener = listener_->config.name();
    r.tls_version = tls_version_of(client_);
    r.sni = sni_of(client_);
    r.status = status;
    r.termination = term;
    return r;
  }

  // Closes the current request's upstream connection unless it was pooled.
  void close_server() {
    boost::system::error_code ignored;
    if (server_.is_open()) server_.close(ignored);
    if (server_tls_) {
      server_tls_->next_layer().close(ignored);
      unwatch_tls();
    }
  }

  // The current request's server connection, of the type its pool speaks.
  template <typename Up>
  Up& server_stream() {
    if constexpr (is_plain_socket<Up>) {
      return server_;
    } else {
      return *server_tls_;
    }
  }

  // The server connection, for the idle pool.
  ServerStream release_server() {
    if (!server_tls_) return ServerStream(std::move(server_));
    ServerStream out(std::move(server_tls_));
    unwatch_tls();
    return out;
  }

  // The TLS stream is gone: the watchdog goes back to the plain socket (closed).
  void unwatch_tls() {
    server_tls_.reset();
    watchdog_.watch(&socket_of(client_), &server_);
  }

  Worker& worker_;
  std::shared_ptr<ListenerRuntime> listener_;
  ListenerStats& stats_;
  SessionCount count_;
  Stream client_;
  tcp::socket server_;    // the current request's upstream connection (a plain pool's)
  std::unique_ptr<TlsStream> server_tls_;  // ...or TLS to a pool with `tls` (server_stream())
  Watchdog watchdog_;     // deadlines of both, one phase at a time
  beast::flat_buffer buffer_;  // empty (no memory) while parked
  ClientAddresses addresses_;  // the client's, or those its PROXY header named
  std::string source_;
  std::uint64_t source_hash_ = 0;  // stable_hash(source_), once per connection
  std::uint16_t source_port_ = 0;
  Clock::time_point next_start_;   // the accept, until the first request takes it
  std::uint64_t error_bytes_ = 0;  // the last error page's bytes written
  // Rendered once per connection, only when the listener adds them.
  std::unique_ptr<http::ForwardingElements> forwarding_;
  bool first_ = true;  // no request yet: the header limit covers the wait
  bool idle_ = false;  // parked: a drain may close it now
};

}  // namespace

void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, tcp::socket client,
                        std::optional<ClientAddresses> origin) {
  using Session = HttpSession<tcp::socket>;
  Session::start(std::make_unique<Session>(worker, std::move(listener), std::move(client)), origin);
}

void start_http_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, TlsStream client,
                        std::optional<ClientAddresses> origin) {
  using Session = HttpSession<TlsStream>;
  Session::start(std::make_unique<Session>(worker, std::move(listener), std::move(client)), origin);
}

}  // namespace tandem::lb
