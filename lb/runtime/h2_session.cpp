#include "lb/runtime/h2_session.h"

#include <array>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

#include "lb/balance/key_hash.h"
#include "lb/h2/server_codec.h"
#include "lb/http/error_response.h"
#include "lb/http/forwarded.h"
#include "lb/http/hop_by_hop.h"
#include "lb/http/request_screen.h"
#include "lb/observe/access_log_buffer.h"
#include "lb/observe/request_timeline.h"
#include "lb/route/failure_status.h"
#include "lb/route/retry_policy.h"
#include "lb/runtime/request_route.h"
#include "lb/runtime/sessions.h"
#include "lb/runtime/http_relay.h"
#include "lb/runtime/upstream_connect.h"
#include "lb/runtime/write_now.h"

namespace tandem::lb {

namespace bhttp = boost::beast::http;

namespace {

// Bytes handed to one client write, and the response bytes a stream may have
// waiting for the client before it stops reading from its server.
constexpr std::size_t kWriteChunk = 64 * 1024;
constexpr std::size_t kStreamBacklog = 256 * 1024;
constexpr std::size_t kUpstreamRead = 16 * 1024;

// A timer bound to the io_context's own executor (no polymorphic executor
// to copy per wait, as Watchdog's).
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, asio::io_context::executor_type>;

h2::CodecSettings codec_settings(const ListenerRuntime& l) {
  const auto& c = l.http2;
  return {.max_concurrent_streams = c.max_concurrent_streams,
          .initial_window_bytes = c.initial_window_bytes,
          .connection_window_bytes = c.connection_window_bytes,
          .max_header_list_bytes = c.max_header_list_bytes,
          .max_header_count = l.limits.max_header_count,
          .max_header_frames = c.max_header_frames,
          .flood_window = c.flood_window,
          .max_resets_per_window = c.max_resets_per_window,
          .max_control_frames_per_window = c.max_control_frames_per_window};
}

// The body of one of the proxy's own HTTP/1.1 error responses
// (lb/http/error_response.h), for the same page over HTTP/2.
std::string_view error_body(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string_view() : std::string_view(response).substr(at + 4);
}

// Where a stream's response body bytes pass between the server's parser
// and the codec, which copies them at once (append_body): one per thread,
// never held across a wait.
char* body_scratch() {
  static thread_local std::array<char, kUpstreamRead> scratch;
  return scratch.data();
}

// What the access log says of one stream (lb/observe), filled as its
// phases pass; written when the stream's coroutine ends.
struct StreamRecord {
  observe::RequestTimeline timeline;
  std::string method, path;  // copied only when the access log is on
  std::string server;  // the server reached (a copy: a reload may free the pool first); log on only
  unsigned status = 0;
  std::uint64_t bytes_in = 0;   // the request body
  std::uint64_t bytes_out = 0;  // the response body or error page
  observe::Termination term;
};

// The I/O of one stream, in its coroutine's frame: its server connection,
// the deadline of its current server wait (the session's one sweep timer
// enforces it: no timer per wait), and a timer that wakes it while it waits
// on its client (request body came, the client took response bytes, the
// stream closed), made only by a stream that waits so.
struct StreamIo {
  StreamIo(asio::io_context::executor_type ex, h2::Stream& s) : executor(std::move(ex)), stream(s) {}
  asio::io_context::executor_type executor;
  h2::Stream& stream;
  std::size_t slot = 0;  // its place in the session's streams_
  std::optional<ServerStream> server;  // plain or TLS, as the pool speaks; once connected
  std::optional<Timer> wake;
  Clock::time_point deadline = Clock::time_point::max();  // of the current server wait
  bool timed_out = false;  // the deadline passed: the server connection was closed
  StreamRecord record;  // the access log's line for the stream

  Timer& wake_timer() {
    if (!wake) wake.emplace(executor);
    return *wake;
  }
  void notify() {
    if (wake) wake->cancel();
  }
  void close_server() {
    if (server) server->close();
  }
  void abort() {
    close_server();
    notify();
  }
};

template <class ClientStream>
class H2Session final : public DrainableSession, public std::enable_shared_from_this<H2Session<ClientStream>> {
 public:
  H2Session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, ClientStream client)
      : worker_(worker),
        listener_(std::move(listener)),
        stats_(*listener_->stats),
        count_(worker_, stats_),
        client_(std::move(client)),
        codec_(codec_settings(*listener_)),
        write_deadline_(worker_.io().get_executor()),
        idle_(worker_.io().get_executor()),
        sweep_(worker_.io().get_executor()) {}

  // ORIGIN: the addresses a trusted PROXY header gave (else the socket's):
  // X-Forwarded-For, source stickiness and a send_proxy server's header
  // name the real client, as on the HTTP/1.1 path.
  void start(std::string_view received, std::optional<ClientAddresses> origin) {
    boost::system::error_code ec;
    if (origin) addresses_ = *origin;
    else addresses_.source = client_.lowest_layer().remote_endpoint(ec);
    if (!ec && addresses_.destination.port() == 0) addresses_.destination = client_.lowest_layer().local_endpoint(ec);
    if (ec || worker_.draining()) return;
    const auto& peer = addresses_.source;
    source_ = peer.address().to_string();
    source_hash_ = stable_hash(source_);
    if (listener_->forwarded_headers) forwarding_ = http::forwarding_elements(peer.address(), kTls ? "https" : "http");
    worker_.track(this);
    asio::co_spawn(worker_.io(), read_loop(this->shared_from_this(), std::string(received)), asio::detached);
  }

  // Drain: GOAWAY now; the connection closes once its streams are done.
  void close_if_idle() override {
    codec_.shutdown();
    flush();
    if (codec_.open_streams() == 0) close();
  }

 private:
  using Self = std::shared_ptr<H2Session>;
  static constexpr bool kTls = !is_plain_socket<ClientStream>;

  // Reads the client's bytes into the codec until it ends the connection.
  awaitable<void> read_loop([[maybe_unused]] Self self, std::string first) {
    if (!feed(std::span(reinterpret_cast<const std::uint8_t*>(first.data()), first.size()))) co_return;
    std::array<std::uint8_t, 16384> buf;
    while (!closed_) {
      arm_idle();
      auto [ec, n] = co_await client_.async_read_some(asio::buffer(buf), use_nothrow);
      if (ec) break;
      stats_.bytes_in.fetch_add(n, std::memory_order_relaxed);
      if (!feed(std::span(buf.data(), n))) break;
    }
    // The client is gone or the codec ended the connection (its GOAWAY goes
    // out first): the writer closes once nothing is left to send.
    reading_ = false;
    if (closed_ || codec_.ending() == h2::Ending::none) close();
    flush();
  }

  // Feeds BYTES to the codec and starts or wakes the streams they concern.
  bool feed(std::span<const std::uint8_t> bytes) {
    const bool ok = codec_.receive(bytes, Clock::now());
    for (auto& notice : codec_.take_notices()) {
      switch (notice.kind) {
        case h2::Notice::Kind::request:
          asio::co_spawn(worker_.io(), serve_stream(this->shared_from_this(), notice.stream), asio::detached);
          break;
        case h2::Notice::Kind::body:
          if (auto* io = served(*notice.stream)) io->notify();
          break;
        case h2::Notice::Kind::closed:
          if (auto* io = served(*notice.stream)) io->abort();
          break;
      }
    }
    if (!ok) {
      stats_.count_refusal(Refusal::bad_request);
      spdlog::info("h2_connection_ended listener={} client={} cause={}", listener_->config.name(), source_,
                   h2::ending_name(codec_.ending()));
    }
    flush();
    return ok;
  }

  // The codec has frames to send: one write for everything queued by the
  // handlers that are ready now (every stream whose response arrived in the
  // same reactor pass), posted once however many ask.
  void flush() {
    if (write_posted_ || writing_ || closed_) return;
    write_posted_ = true;
    asio::post(worker_.io(), [self = this->shared_from_this()] {
      self->write_posted_ = false;
      self->write_frames();
    });
  }

  // Writes what the codec has to send: at once while the socket takes it
  // (write_now.h: one send, no operation to complete later), the rest with
  // async_write. Closes the connection when the codec has nothing more to
  // say and the reader has stopped.
  void write_frames() {
    while (!closed_ && !writing_) {
      out_.clear();
      codec_.output(out_, kWriteChunk);
      if (out_.empty()) {
        if (!reading_ || !codec_.alive() || draining_done()) close();
        return;
      }
      std::array<asio::const_buffer, 1> buffers{asio::buffer(out_)};
      std::span<asio::const_buffer> rest(buffers);
      boost::system::error_code ec;
      const std::size_t sent = write_now(client_, rest, ec);
      stats_.bytes_out.fetch_add(sent, std::memory_order_relaxed);
      if (ec) {
        close();
        return;
      }
      if (!rest.empty()) {
        write_rest(rest.front());
        return;
      }
      wake_backlogged();
    }
  }

  // The client's socket was full: the rest of the frames within client_idle.
  void write_rest(asio::const_buffer rest) {
    writing_ = true;
    arm_write_deadline();
    asio::async_write(client_, rest, [this, self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
      writing_ = false;
      write_deadline_.cancel();
      stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
      if (ec) {
        close();
        return;
      }
      wake_backlogged();
      write_frames();
    });
  }

  // Streams that stopped reading their server while the client was behind.
  void wake_backlogged() {
    for (auto* io : streams_) {
      if (io->stream.body_out_backlog() < kStreamBacklog) io->notify();
    }
  }

  bool draining_done() const { return codec_.ending() != h2::Ending::none && codec_.open_streams() == 0; }

  // A client that does not read what we write is cut after client_idle.
  void arm_write_deadline() {
    write_deadline_.expires_after(listener_->timeouts.client_idle);
    write_deadline_.async_wait([this, self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec) close();
    });
  }

  // A connection with no stream open is closed after client_idle of silence.
  void arm_idle() {
    idle_.expires_after(first_read_ ? listener_->timeouts.request_header : listener_->timeouts.client_idle);
    first_read_ = false;
    idle_.async_wait([this, self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (codec_.open_streams() == 0 && streams_.empty()) {
        close();
      } else {
        arm_idle();
      }
    });
  }

  // The server wait of IO must end within LIMIT: a store, and the sweep
  // timer moved only when this deadline comes before its next wake-up
  // (rarely: every stream's limit is the same).
  void arm_deadline(StreamIo& io, std::chrono::milliseconds limit) {
    io.timed_out = false;
    io.deadline = Clock::now() + limit;
    if (io.deadline < sweep_at_) schedule_sweep(io.deadline);
  }
  static void disarm(StreamIo& io) { io.deadline = Clock::time_point::max(); }

  void schedule_sweep(Clock::time_point at) {
    sweep_at_ = at;
    sweep_.expires_at(at);  // a pending wait completes aborted and does nothing
    sweep_.async_wait([this, self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec && !closed_) sweep();
    });
  }

  // Closes the server connection of every stream whose server wait is past
  // its deadline (the wait then fails as a timeout); sleeps until the next.
  void sweep() {
    sweep_at_ = Clock::time_point::max();
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (auto* io : streams_) {
      if (io->deadline <= now) {
        io->deadline = Clock::time_point::max();
        io->timed_out = true;
        io->close_server();
      } else {
        next = std::min(next, io->deadline);
      }
    }
    if (next != Clock::time_point::max()) schedule_sweep(next);
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    worker_.untrack(this);
    boost::system::error_code ignored;
    client_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    client_.lowest_layer().close(ignored);
    idle_.cancel();
    write_deadline_.cancel();
    sweep_.cancel();
    for (auto* io : streams_) io->abort();
  }

  // The I/O of STREAM while a coroutine serves it, else null.
  static StreamIo* served(h2::Stream& stream) { return static_cast<StreamIo*>(stream.shell); }

  // Keeps a stream's I/O in streams_ (and in its Stream) while its
  // coroutine frame holds it.
  struct Registration {
    H2Session& session;
    StreamIo& io;
    Registration(H2Session& s, StreamIo& i) : session(s), io(i) {
      io.slot = session.streams_.size();
      session.streams_.push_back(&io);
      io.stream.shell = &io;
    }
    ~Registration() {
      auto& all = session.streams_;
      all[io.slot] = all.back();  // swap with the last and pop: O(1)
      all[io.slot]->slot = io.slot;
      all.pop_back();
      io.stream.shell = nullptr;
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
  };

  // One stream through the request phases.
  awaitable<void> serve_stream([[maybe_unused]] Self self, std::shared_ptr<h2::Stream> stream) {
    StreamIo io(worker_.io().get_executor(), *stream);
    {
      const Registration registered(*this, io);
      const auto started = Clock::now();
      io.record.timeline.start = started;
      stats_.requests.fetch_add(1, std::memory_order_relaxed);
      co_await forward(*stream, io, started);
      log_stream(*stream, io.record);
    }
    disarm(io);
    io.close_server();
    if (worker_.draining() && codec_.open_streams() == 0) close_if_idle();
    flush();
  }

  awaitable<void> forward(h2::Stream& stream, StreamIo& io, Clock::time_point started) {
    // Screen: the header list limits, a request HTTP/1.1 can carry, the
    // listener's rules (lb/http/request_screen.h).
    if (stream.head.over_limit) co_return refuse(stream, bhttp::status::request_header_fields_too_large, "header list");
    // The request's and the response's header fields, freed together (lb/http/arena.h).
    http::Arena arena;
    bhttp::header<true, http::ArenaFields> req{http::ArenaAllocator<char>(arena)};
    if (!h2::to_http1(stream.head, req)) co_return refuse(stream, bhttp::status::bad_request, "no :path or host");
    auto& record = io.record;
    record.timeline.header = Clock::now();
    auto* const log = worker_.access_log();
    const bool logging = log && log->enabled();  // the strings below are copied only for the log
    if (logging) {
      record.method = req.method_string();
      record.path = req.target();
    }
    const bool head_request = req.method() == bhttp::verb::head;
    const bool has_body = !stream.request_complete || !stream.body_in.empty();
    http::Limits limits;
    limits.max_header_bytes = listener_->limits.max_header_bytes;
    limits.max_header_count = listener_->limits.max_header_count;
    limits.max_body_bytes = listener_->limits.max_body_bytes;
    http::RequestFacts facts;
    if (auto verdict = http::screen_request(req, limits, facts); !verdict.ok()) {
      co_return refuse(stream, verdict.status, verdict.reason, head_request);
    }
    http::strip_hop_by_hop(req);
    http::drop_expect_continue(req);  // flow control does its job over HTTP/2
    const bool chunked = has_body && req.find(bhttp::field::content_length) == req.end();
    if (chunked) req.set(bhttp::field::transfer_encoding, "chunked");
    if (forwarding_) http::add_forwarding_headers(req, *forwarding_);
    http::set_connection(req, true);

    // Route.
    const auto view = worker_.view(listener_->pool);
    PoolRuntime& pool = *view->pool;
    RetryPolicy retry(has_body);
    UpstreamRequest upstream_request;
    const auto stuck = route_request(pool, req, source_, source_hash_, retry.replayable(), upstream_request);
    upstream_request.client = &addresses_;  // for a send_proxy server's header
    SpareHead head_scratch;
    std::string& head_bytes = head_scratch.get();
    http::serialize_header(req, head_bytes);

    std::vector<ServerIndex> tried;
    std::optional<Upstream> upstream;
    SpareFlatBuffer response_spare;
    beast::flat_buffer& response_buffer = response_spare.get();
    std::optional<BufferParser<false>> parser;
    for (;;) {
      // Connect.
      upstream.reset();
      if (record.timeline.connect_begin == Clock::time_point{}) record.timeline.connect_begin = Clock::now();
      auto [failure, got] = co_await acquire_upstream(worker_, *listener_, view, upstream_request, tried);
      if (stream.closed || closed_) co_return client_gone(record, 'C');
      if (!got) {
        const auto answer = answer_for(failure);
        stats_.count_refusal(answer.refusal);
        record.term = observe::termination_for(failure);
        co_return refuse(stream, answer.cause, started, head_request);
      }
      upstream = std::move(got);
      record.timeline.connected = Clock::now();
      if (logging) record.server = pool.server(upstream->index).name;
      io.server.emplace(std::move(upstream->connection));
      // Forward: the header (at once when the socket takes it), then the
      // body as the client sends it.
      asio::const_buffer head_rest(head_bytes.data(), head_bytes.size());
      auto sent = send_now(io, head_rest) ? Sent::ok : Sent::failed;
      if (sent == Sent::ok && (has_body || head_rest.size() > 0)) {
        sent = co_await send_request(stream, io, head_rest, has_body, chunked);
      }
      if (stream.closed || closed_) co_return client_gone(record, 'D');
      if (sent == Sent::body_too_large) {
        co_return refuse(stream, bhttp::status::payload_too_large, "body too large", head_request);
      }
      if (sent == Sent::failed) {
        const AttemptFailure f{.stage = AttemptFailure::Stage::send, .reused = upstream->reused};
        if (std::holds_alternative<Retry>(retry.after(f))) {
          retry_fresh(upstream_request, upstream->index);
          continue;
        }
        pool.report_failure(upstream->index, Clock::now(), "send failed");
        const auto answer = answer_for_send_failure();
        stats_.count_refusal(answer.refusal);
        record.term = {'S', 'D'};
        co_return refuse(stream, answer.cause, started, head_request);
      }
      // The response header.
      parser.emplace(arena);
      parser->header_limit(listener_->limits.max_header_bytes);
      parser->body_limit(boost::none);
      parser->skip(head_request);
      response_buffer.clear();
      std::size_t read = 0;
      arm_deadline(io, listener_->timeouts.server);
      auto ec = parse_buffered(response_buffer, *parser);
      while (ec == bhttp::error::need_more) {
        const std::size_t room =
            std::min<std::size_t>(std::max<std::size_t>(response_buffer.capacity() - response_buffer.size(), 4096), 65536);
        auto [rec, n] = co_await io.server->async_read_some(response_buffer.prepare(room), use_nothrow);
        response_buffer.commit(n);
        read += n;
        if (rec) {
          ec = is_end_of_stream(rec) ? (parser->got_some() ? bhttp::error::partial_message : bhttp::error::end_of_stream)
                                     : rec;
          break;
        }
        ec = parse_buffered(response_buffer, *parser);
      }
      disarm(io);
      if (stream.closed || closed_) co_return client_gone(record, 'H');
      if (ec && io.timed_out) ec = beast::error::timeout;
      if (!ec) break;
      const auto fault = classify_response_error(ec);
      const AttemptFailure f{.stage = AttemptFailure::Stage::response_header,
                             .reused = upstream->reused,
                             .response_started = read != 0,
                             .timed_out = fault == ResponseFault::timeout};
      if (std::holds_alternative<Retry>(retry.after(f))) {
        retry_fresh(upstream_request, upstream->index);
        continue;
      }
      pool.report_failure(upstream->index, Clock::now(), passive_cause(fault));
      const auto answer = answer_for(fault);
      stats_.count_refusal(answer.refusal);
      record.term = observe::termination_for(fault);
      co_return refuse(stream, answer.cause, started, head_request);
    }
    record.timeline.first_byte = Clock::now();
    auto& server = pool.server(upstream->index);
    server.requests.fetch_add(1, std::memory_order_relaxed);
    pool.report_success(upstream->index, Clock::now());

    // Relay: the response header, edited as for HTTP/1.1, then the body.
    auto& res = parser->get();
    const unsigned status = res.result_int();
    record.status = status;
    const auto server_intent = http::strip_hop_by_hop(res);
    const auto framing = http::response_framing(req, res);
    const bool keep_server = http::keep_server_alive(server_intent, status, framing);
    stick_response(pool, stuck, upstream->index, res);
    res.set("X-Tandem-Node", worker_.node_name());
    const bool has_response_body = !head_request && !parser->is_done();
    h2::h2_response_fields(res, arena, response_fields_);
    codec_.respond(stream, status, response_fields_, has_response_body);
    flush();
    std::uint64_t body_bytes = 0;
    bool complete = true;
    if (has_response_body) {
      parser->eager(true);  // past the header: parse whole buffers, not one chunk header at a time
      // A small body came with the header: relayed without a coroutine.
      auto relayed = relay_buffered(stream, *parser, response_buffer, body_bytes);
      if (!relayed) relayed = co_await relay_body(stream, io, *parser, response_buffer, body_bytes);
      complete = relayed->complete;
      if (!complete) {
        record.term = relayed->term;
        if (relayed->server_failed) {
          pool.report_failure(upstream->index, Clock::now(), "response body failed");
          codec_.reset(stream, NGHTTP2_INTERNAL_ERROR);
        }
      }
    }
    if (complete && has_response_body) codec_.end_body(stream);
    flush();

    // Record.
    record.bytes_out = body_bytes;
    server.bytes_in.fetch_add(body_bytes, std::memory_order_relaxed);
    stats_.count_response(status);
    stats_.latency.duration.observe(Clock::now() - started);
    // A connection that began with a PROXY header is never pooled (proxy_send.h).
    if (keep_server && complete && parser->is_done() && response_buffer.size() == 0 && worker_.is_current(&pool) &&
        server.send_proxy == config::SEND_PROXY_NONE && io.server->is_open()) {
      worker_.upstreams().give(&server, std::move(*io.server), Clock::now(), listener_->timeouts.server_idle);
      io.server.reset();
    }
  }

  // How a response body relay ended.
  struct BodyRelay {
    bool complete = true;
    bool server_failed = false;  // the server's side broke (reported, the stream reset)
    observe::Termination term;
  };

  // Hands the body bytes BUFFER holds to the codec. The relay's end when
  // that ends it (the body is complete, the stream or the server failed);
  // nullopt when more must be read from the server.
  std::optional<BodyRelay> relay_buffered(h2::Stream& stream, BufferParser<false>& parser, beast::flat_buffer& buffer,
                                          std::uint64_t& body_bytes) {
    for (;;) {
      auto& body = parser.get().body();
      body.data = body_scratch();
      body.size = kUpstreamRead;
      auto ec = parse_buffered(buffer, parser);
      if (ec == bhttp::error::need_buffer) ec = {};
      const std::size_t got = kUpstreamRead - body.size;
      if (got && !stream.closed) {
        codec_.append_body(stream, std::string_view(body_scratch(), got));
        body_bytes += got;
        flush();
      }
      if (parser.is_done()) return BodyRelay{};
      if (stream.closed || closed_) return BodyRelay{.complete = false, .term = {'C', 'D'}};
      if (ec == bhttp::error::need_more) return std::nullopt;
      if (ec) return BodyRelay{.complete = false, .server_failed = true, .term = {'S', 'D'}};
      // The scratch was full: parse on.
    }
  }

  // The rest of the response body, read by read from the server; the
  // server waits while the client is kStreamBacklog behind.
  awaitable<BodyRelay> relay_body(h2::Stream& stream, StreamIo& io, BufferParser<false>& parser,
                                  beast::flat_buffer& buffer, std::uint64_t& body_bytes) {
    for (;;) {
      // Backpressure: the server waits while the client is behind.
      while (stream.body_out_backlog() >= kStreamBacklog && !stream.closed && !closed_) {
        auto& wake = io.wake_timer();
        wake.expires_at(Clock::time_point::max());
        co_await wake.async_wait(use_nothrow);
      }
      if (stream.closed || closed_) co_return BodyRelay{.complete = false, .term = {'C', 'D'}};
      arm_deadline(io, listener_->timeouts.server);
      auto [rec, n] = co_await io.server->async_read_some(buffer.prepare(kUpstreamRead), use_nothrow);
      disarm(io);
      buffer.commit(n);
      if (stream.closed || closed_) co_return BodyRelay{.complete = false, .term = {'C', 'D'}};
      if (is_end_of_stream(rec)) {
        boost::system::error_code eof;
        parser.put_eof(eof);  // a body delimited by the close ends here; anything else is partial
        rec = eof;
      }
      if (rec) co_return BodyRelay{.complete = false, .server_failed = true, .term = {io.timed_out ? 's' : 'S', 'D'}};
      if (auto relayed = relay_buffered(stream, parser, buffer, body_bytes)) co_return *relayed;
    }
  }

  enum class Sent { ok, failed, body_too_large };

  // Sends what it can of HEAD to the server at once, without waiting (a
  // plain socket: one send; TLS waits for send_request), and advances HEAD
  // past it. False on an error.
  static bool send_now(StreamIo& io, asio::const_buffer& head) {
    if (io.server->is_tls()) return true;
    std::array<asio::const_buffer, 1> buffers{head};
    std::span<asio::const_buffer> rest(buffers);
    boost::system::error_code ec;
    write_now(io.server->socket(), rest, ec);
    head = rest.empty() ? asio::const_buffer() : rest.front();
    return !ec;
  }

  // Sends HEAD, what send_now left of the request header, then the body as
  // the client sends it, handing each forwarded byte back to flow control.
  awaitable<Sent> send_request(h2::Stream& stream, StreamIo& io, asio::const_buffer head, bool has_body,
                               bool chunked) {
    if (head.size() > 0) {
      arm_deadline(io, listener_->timeouts.server);
      auto [ec, n] = co_await asio::async_write(*io.server, head, use_nothrow);
      disarm(io);
      if (ec) co_return Sent::failed;
    }
    if (!has_body) co_return Sent::ok;
    std::string framed;
    for (;;) {
      if (stream.closed || closed_) co_return Sent::failed;
      if (stream.body_received > listener_->limits.max_body_bytes) co_return Sent::body_too_large;
      if (!stream.body_in.empty() || stream.request_complete) {
        std::string piece = std::exchange(stream.body_in, {});
        framed.clear();
        if (chunked && !piece.empty()) {
          char size[20];
          const int len = std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
          framed.append(size, static_cast<std::size_t>(len)).append(piece).append("\r\n");
        } else {
          framed = piece;
        }
        const bool last = stream.request_complete;
        if (last && chunked) framed += "0\r\n\r\n";
        if (!framed.empty()) {
          arm_deadline(io, listener_->timeouts.server);
          auto [wec, wn] = co_await asio::async_write(*io.server, asio::buffer(framed), use_nothrow);
          disarm(io);
          if (wec) co_return Sent::failed;
          codec_.consumed(stream, piece.size());
          flush();
        }
        if (last) co_return Sent::ok;
        continue;
      }
      // Wait for more of the body; a client that stalls is cut after client_idle.
      auto& wake = io.wake_timer();
      wake.expires_after(listener_->timeouts.client_idle);
      auto [wait_ec] = co_await wake.async_wait(use_nothrow);
      if (!wait_ec) co_return Sent::failed;
    }
  }

  static void retry_fresh(UpstreamRequest& request, ServerIndex index) {
    request.preferred = index;
    request.allow_reuse = false;
  }

  // The proxy's own answer on STREAM: the HTTP/1.1 path's page, as HTTP/2.
  void refuse(h2::Stream& stream, bhttp::status status, std::string_view reason, bool head_request = false) {
    stats_.count_refusal(refusal_for(status));
    spdlog::debug("request_refused listener={} client={} status={} reason=\"{}\" protocol=h2",
                  listener_->config.name(), source_, static_cast<unsigned>(status), reason);
    write_page(stream, static_cast<unsigned>(status), http::error_response(status), head_request);
  }

  void refuse(h2::Stream& stream, http::ErrorCause cause, Clock::time_point started, bool head_request) {
    write_page(stream, static_cast<unsigned>(http::status_for(cause)), http::error_response(cause), head_request);
    stats_.latency.duration.observe(Clock::now() - started);
  }

  void write_page(h2::Stream& stream, unsigned status, const std::string& response, bool head_request) {
    const auto body = error_body(response);
    const auto length = std::to_string(body.size());
    codec_.respond(stream, status,
                   {{"content-type", "text/plain"}, {"content-length", length}, {"cache-control", "no-cache"}},
                   !head_request);
    if (!head_request) {
      codec_.append_body(stream, body);
      codec_.end_body(stream);
    }
    stats_.count_response(status);
    if (auto* io = served(stream)) {
      auto& record = io->record;
      record.status = status;
      record.bytes_out = head_request ? 0 : body.size();
      if (record.term.normal()) record.term = {'P', 'R'};  // refused before forwarding (screen)
    }
    flush();
  }

  // The stream ended because its client reset it or left, in PHASE.
  static void client_gone(StreamRecord& record, char phase) { record.term = {'C', phase}; }

  // Hands the finished stream to this worker's access log: one line per
  // stream, with its id and protocol HTTP/2 (lb/observe).
  void log_stream(const h2::Stream& stream, const StreamRecord& record) {
    auto* log = worker_.access_log();
    if (!log || !log->enabled()) return;
    observe::AccessRecord r;
    r.client_ip = source_;
    r.client_port = addresses_.source.port();
    r.listener = listener_->config.name();
    r.tls_version = tls_version_of(client_);
    r.sni = sni_of(client_);
    r.protocol = "HTTP/2";
    r.h2_stream = static_cast<std::uint32_t>(stream.id);
    r.method = record.method;
    r.path = record.path;
    r.server = record.server;
    r.status = record.status;
    r.bytes_in = stream.body_received;
    r.bytes_out = record.bytes_out;
    r.termination = record.term;
    const auto end = Clock::now();
    record.timeline.fill(r, end);
    r.time = std::chrono::system_clock::now() - std::chrono::microseconds(r.total);
    log->record(r);
  }

  Worker& worker_;
  std::shared_ptr<ListenerRuntime> listener_;
  ListenerStats& stats_;
  SessionCount count_;
  ClientStream client_;
  h2::ServerCodec codec_;
  Timer write_deadline_;  // a client that stops reading
  Timer idle_;            // a connection with no stream
  Timer sweep_;           // the earliest server-wait deadline of the streams
  Clock::time_point sweep_at_ = Clock::time_point::max();  // when sweep_ wakes; max: not pending
  std::vector<StreamIo*> streams_;  // streams being served (their coroutine frames own the I/O)
  std::string out_;  // frames being written
  std::vector<h2::FieldView> response_fields_;  // a response's, for the codec (kept for its capacity)
  ClientAddresses addresses_;  // the client's, or those its PROXY header named
  std::string source_;
  std::uint64_t source_hash_ = 0;
  std::optional<http::ForwardingElements> forwarding_;
  bool reading_ = true;
  bool first_read_ = true;
  bool closed_ = false;
  bool write_posted_ = false;  // a write_frames() is queued
  bool writing_ = false;       // an async_write of out_ is under way
};

}  // namespace

template <class ClientStream>
void start_h2_session(Worker& worker, std::shared_ptr<ListenerRuntime> listener, ClientStream client,
                      std::string_view received, std::optional<ClientAddresses> origin) {
  auto session = std::make_shared<H2Session<ClientStream>>(worker, std::move(listener), std::move(client));
  session->start(received, std::move(origin));
}

template void start_h2_session<tcp::socket>(Worker&, std::shared_ptr<ListenerRuntime>, tcp::socket, std::string_view,
                                             std::optional<ClientAddresses>);
template void start_h2_session<TlsStream>(Worker&, std::shared_ptr<ListenerRuntime>, TlsStream, std::string_view,
                                          std::optional<ClientAddresses>);

}  // namespace tandem::lb
