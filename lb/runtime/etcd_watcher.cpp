#include "lb/runtime/etcd_watcher.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <random>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include "lb/discovery/discovered_cluster.h"
#include "lb/discovery/etcd_set.h"
#include "lb/discovery/retry_backoff.h"
#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {
namespace {

namespace bhttp = boost::beast::http;

// A range answer may be this large (kMaxEtcdKeys values of a few KiB).
constexpr std::uint64_t kMaxRangeBytes = 32 * 1024 * 1024;

// One pool's watch: its decisions, where it stands, and what to say.
struct Target {
  std::string pool;
  config::PoolEtcd etcd;
  std::shared_ptr<tls::UpstreamContext> tls;  // set: HTTPS
  EtcdSet set;
  RetryBackoff backoff;
  int endpoint = 0;           // the endpoint to try next
  bool need_range = true;     // the next session starts with a range
  std::uint64_t posted_refused = 0;
  EtcdStreamLines lines;

  Target(std::string p, config::PoolEtcd e, std::shared_ptr<tls::UpstreamContext> context)
      : pool(std::move(p)),
        etcd(std::move(e)),
        tls(std::move(context)),
        set(etcd.prefix()),
        backoff(etcd_retry_min(etcd), etcd_retry_max(etcd)) {}
};

// How a session ended.
struct SessionEnd {
  std::string why;      // for the log
  bool failed = true;   // false: etcd asked for a range again (not etcd's fault)
};

std::string join_names(const std::vector<DiscoveredServer>& set) {
  std::string out;
  for (const auto& s : set) out += (out.empty() ? "" : ",") + s.name;
  return out;
}

// A half-open connection (etcd's host gone, a firewall dropping the flow)
// gives no error on an idle watch stream; TCP keepalive finds it in about
// 5 + 3 * 2 s.
void keep_alive(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  const int idle = 5, interval = 2, count = 3;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace

struct EtcdWatcher::Impl {
  std::vector<std::unique_ptr<Target>> targets;  // outlive the io_context's coroutine frames
  OnUpdate on_update;
  asio::io_context io{1};
  std::thread thread;

  // Logs what STEP refused and says, and hands a changed set over.
  void after_step(Target& t, const EtcdSet::Step& step) {
    for (const auto& r : step.refused) spdlog::warn("etcd_value_refused pool={} key=\"{}\"", t.pool, r);
    if (!step.note.empty() && !step.rerange)
      spdlog::warn("etcd_kept pool={} reason=\"{}\" servers={} revision={}", t.pool, step.note, t.set.set().size(),
                   t.set.revision());
    const auto refused = t.set.refused_keys();
    if ((!step.changed && refused == t.posted_refused) || t.set.set().empty()) return;
    t.posted_refused = refused;
    if (step.changed)
      spdlog::info("etcd_set pool={} revision={} servers={}", t.pool, t.set.revision(), join_names(t.set.set()));
    on_update(t.pool, EtcdUpdate{t.set.set(), t.set.revision(), refused});
  }

  awaitable<SessionEnd> session(Target& t) {
    const std::string endpoint = t.etcd.endpoints(t.endpoint);
    const auto colon = endpoint.rfind(':');
    std::string host = endpoint.substr(0, colon);
    const std::string port = endpoint.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto timeout = etcd_timeout(t.etcd);

    tcp::resolver resolver(io);
    auto [rec, results] = co_await resolver.async_resolve(host, port, use_nothrow);
    if (rec) co_return SessionEnd{endpoint + ": resolve: " + rec.message()};
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    auto [cec, connected] = co_await stream.async_connect(results, use_nothrow);
    if (cec) co_return SessionEnd{endpoint + ": connect: " + (cec == beast::error::timeout ? "timeout" : cec.message())};
    keep_alive(stream.socket());
    if (!t.tls) co_return co_await exchange(t, stream, endpoint);

    // HTTPS: the handshake within the same timeout, the name checked as
    // the block says (tls::UpstreamContext::prepare_for).
    beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), t.tls->context());
    std::string error;
    if (!t.tls->prepare_for(secure.native_handle(), host, error)) co_return SessionEnd{endpoint + ": tls: " + error};
    beast::get_lowest_layer(secure).expires_after(timeout);
    auto [tec] = co_await secure.async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (tec)
      co_return SessionEnd{endpoint + ": tls: " +
                           (tec == beast::error::timeout ? std::string("handshake timeout")
                                                         : tls::handshake_failure(secure.native_handle(), tec))};
    co_return co_await exchange(t, secure, endpoint);
  }

  // The range (when needed) and the watch, over STREAM (plain or TLS).
  template <class Stream>
  awaitable<SessionEnd> exchange(Target& t, Stream& stream, const std::string& endpoint) {
    const auto timeout = etcd_timeout(t.etcd);
    auto& lowest = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;

    if (t.need_range) {
      bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v3/kv/range", 11};
      req.set(bhttp::field::host, endpoint);
      req.set(bhttp::field::content_type, "application/json");
      req.body() = range_request_body(t.etcd.prefix());
      req.prepare_payload();
      lowest.expires_after(timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, req, use_nothrow);
      if (wec) co_return SessionEnd{endpoint + ": range: " + wec.message()};
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(kMaxRangeBytes);
      auto [hec, hn] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
      if (hec) co_return SessionEnd{endpoint + ": range: " + (hec == beast::error::timeout ? "timeout" : hec.message())};
      std::string error;
      const auto range = parse_range(parser.get().body(), error);
      if (parser.get().result() != bhttp::status::ok || !range)
        co_return SessionEnd{endpoint + ": range: HTTP " + std::to_string(parser.get().result_int()) + " " + error};
      const auto step = t.set.on_range(*range);
      spdlog::info("etcd_range pool={} endpoint={} revision={} keys={} servers={} refused={}", t.pool, endpoint,
                   range->revision, range->kvs.size(), t.set.set().size(), t.set.refused_keys());
      after_step(t, step);
      if (range->more) co_return SessionEnd{endpoint + ": " + step.note};
      t.need_range = false;
    }

    const std::int64_t from = t.set.revision() + 1;
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v3/watch", 11};
    req.set(bhttp::field::host, endpoint);
    req.set(bhttp::field::content_type, "application/json");
    req.body() = watch_request_body(t.etcd.prefix(), from);
    req.prepare_payload();
    lowest.expires_after(timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, req, use_nothrow);
    if (wec) co_return SessionEnd{endpoint + ": watch: " + wec.message()};
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.body_limit(boost::none);  // a watch never ends; each line is bounded instead
    std::vector<std::string> lines;
    bool too_long = false;
    t.lines = EtcdStreamLines{};
    auto on_chunk = [&](std::uint64_t, std::string_view body, boost::system::error_code& ec) -> std::size_t {
      if (!t.lines.feed(body, lines)) {
        too_long = true;
        ec = bhttp::error::body_limit;
      }
      return body.size();
    };
    parser.on_chunk_body(on_chunk);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
    if (hec) co_return SessionEnd{endpoint + ": watch: " + (hec == beast::error::timeout ? "timeout" : hec.message())};
    if (parser.get().result() != bhttp::status::ok)
      co_return SessionEnd{endpoint + ": watch: HTTP " + std::to_string(parser.get().result_int())};
    // Idle is normal from here on: TCP keepalive (above) finds a dead peer.
    lowest.expires_never();
    while (true) {
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, use_nothrow);
      for (const auto& line : lines) {
        std::string error;
        const auto message = parse_watch_message(line, error);
        if (!message) co_return SessionEnd{endpoint + ": watch stream: " + error};
        const auto step = t.set.on_watch(*message);
        if (message->created) {
          t.backoff.reset();
          spdlog::info("etcd_watching pool={} endpoint={} from_revision={} servers={}", t.pool, endpoint, from,
                       t.set.set().size());
        }
        after_step(t, step);
        if (step.rerange) {
          t.need_range = true;
          spdlog::warn("etcd_rerange pool={} reason=\"{}\"", t.pool, step.note);
          co_return SessionEnd{step.note, false};
        }
      }
      lines.clear();
      if (too_long) co_return SessionEnd{endpoint + ": watch stream: a line over " + std::to_string(kMaxEtcdLineBytes) + " bytes"};
      if (ec) co_return SessionEnd{endpoint + ": watch stream: " + ec.message()};
      if (parser.is_done()) co_return SessionEnd{endpoint + ": watch stream ended"};
    }
  }

  awaitable<void> run(Target& t) {
    std::mt19937_64 random(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    asio::steady_timer timer(io);
    while (true) {
      const SessionEnd end = co_await session(t);
      if (!end.failed) {
        // etcd asked for a fresh range: soon, on the same endpoint.
        timer.expires_after(std::chrono::milliseconds(50));
        co_await timer.async_wait(use_nothrow);
        continue;
      }
      if (t.etcd.endpoints_size() > 0) t.endpoint = (t.endpoint + 1) % t.etcd.endpoints_size();
      const auto delay = t.backoff.next(unit(random));
      spdlog::warn("etcd_retry pool={} reason=\"{}\" failures={} servers={} retry_ms={}", t.pool, end.why,
                   t.backoff.failures(), t.set.set().size(), delay.count());
      timer.expires_after(delay);
      co_await timer.async_wait(use_nothrow);
    }
  }
};

std::vector<EtcdTarget> EtcdWatcher::targets_of(const config::Cluster& cluster, const tls::UpstreamTlsLoad& tls) {
  std::vector<EtcdTarget> out;
  for (const auto& pool : cluster.pools()) {
    if (!pool.has_etcd()) continue;
    const auto it = tls.etcd_by_pool.find(pool.name());
    out.push_back(EtcdTarget{pool.name(), pool.etcd(), it == tls.etcd_by_pool.end() ? nullptr : it->second});
  }
  return out;
}

EtcdWatcher::EtcdWatcher(std::vector<EtcdTarget> targets, OnUpdate on_update) : impl_(std::make_unique<Impl>()) {
  impl_->on_update = std::move(on_update);
  for (auto& target : targets) {
    impl_->targets.push_back(std::make_unique<Target>(target.pool, target.etcd, target.tls));
    Target& t = *impl_->targets.back();
    asio::co_spawn(impl_->io, impl_->run(t), asio::detached);
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

EtcdWatcher::~EtcdWatcher() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace tandem::lb
