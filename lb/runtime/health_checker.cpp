#include "lb/runtime/health_checker.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "common/address.h"
#include "lb/health/health_state.h"
#include "lb/health/probe_response.h"
#include "lb/health/probe_schedule.h"
#include "lb/runtime/proxy_send.h"
#include "lb/runtime/upstream_tls.h"

namespace tandem::lb {

namespace {

namespace bhttp = boost::beast::http;

// The HTTP part of a probe over STREAM (plain or TLS): the GET, then the
// response's verdict; "" on success or what went wrong.
template <typename Stream>
awaitable<std::string> http_probe(Stream& stream, const config::EffectiveHealthCheck& check,
                                  const ServerRuntime& server) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, check.path, 11};
  req.set(bhttp::field::host, check.host.empty() ? server.address : check.host);
  req.set(bhttp::field::user_agent, "tandem-health-check");
  req.set(bhttp::field::connection, "close");
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_nothrow);
  if (wec) co_return "send: " + wec.message();
  beast::flat_buffer buffer;
  ProbeResponse response;
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, response.parser(), use_nothrow);
  if (rec) co_return rec == beast::error::timeout ? "response timeout" : "response: " + rec.message();
  co_return response.verdict(check);
}

// One probe; returns "" on success or what went wrong. To a pool with
// `tls` the probe completes the handshake (verified as requests are, so a
// server with an untrusted certificate goes down with the reason) and sends
// its GET over TLS, as HAProxy's `check-ssl`.
awaitable<std::string> probe(asio::io_context& io, const config::EffectiveHealthCheck& check,
                             const ServerRuntime& server, tls::UpstreamContext* tls) {
  beast::tcp_stream stream(io);
  stream.expires_after(check.timeout);
  auto [ec] = co_await stream.async_connect(server.endpoint, use_nothrow);
  if (ec) co_return ec == beast::error::timeout ? "connect timeout" : "connect: " + ec.message();
  if (server.send_proxy != config::SEND_PROXY_NONE) {
    // A backend that expects PROXY headers refuses a connection without one:
    // the probe speaks for itself (v1 UNKNOWN, v2 LOCAL), as HAProxy's check-send-proxy.
    const auto header = proxy_header_bytes(server.send_proxy, nullptr);
    auto [pec, pn] = co_await asio::async_write(stream, asio::buffer(header), use_nothrow);
    if (pec) co_return "send: " + pec.message();
  }
  if (!tls) {
    if (check.kind != config::HealthCheck::HTTP) co_return "";
    co_return co_await http_probe(stream, check, server);
  }
  const auto started = Clock::now();
  auto socket = stream.release_socket();
  auto shake = co_await upstream_handshake(socket, *tls, server, check.timeout);
  if (!shake.stream) co_return shake.failure;
  if (check.kind != config::HealthCheck::HTTP) co_return "";
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer limit(io);
  limit.expires_at(started + check.timeout);
  auto outcome = co_await (http_probe(*shake.stream, check, server) || limit.async_wait(use_nothrow));
  if (outcome.index() == 1) co_return "response timeout";
  co_return std::get<0>(std::move(outcome));
}

awaitable<void> check_loop(asio::io_context& io, std::shared_ptr<bool> running, std::shared_ptr<PoolRuntime> pool,
                           ServerIndex index) {
  const auto& check = pool->health_check();
  auto& server = pool->server(index);
  // Continue from what a previous generation learned (a reload), else start
  // up-but-fragile as HAProxy does (see HealthState).
  HealthState state(check.rise, check.fall, initial_health(server.healthy.load(), server.up_since_ns.load() != 0));
  asio::steady_timer timer(io);
  timer.expires_after(first_probe_delay(check.interval, index, pool->servers().size()));
  co_await timer.async_wait(use_nothrow);
  while (*running) {
    const auto started = Clock::now();
    const std::string error = co_await probe(io, check, server, pool->upstream_tls());
    if (!*running) break;
    if (auto change = state.observe(error.empty(), Clock::now(), error.empty() ? "ok" : error)) {
      pool->set_healthy(index, change->to == Health::kUp, Clock::now(), change->cause);
    }
    timer.expires_at(started + check.interval);
    co_await timer.async_wait(use_nothrow);
  }
}

}  // namespace

HealthChecker::HealthChecker(asio::io_context& io, std::shared_ptr<const Generation> gen)
    : running_(std::make_shared<bool>(true)) {
  for (const auto& pool : gen->pools) {
    if (!pool->health_check().enabled) continue;
    for (ServerIndex i = 0; i < pool->servers().size(); ++i) {
      asio::co_spawn(io, check_loop(io, running_, pool, i), asio::detached);
    }
  }
}

HealthChecker::~HealthChecker() { *running_ = false; }

}  // namespace tandem::lb
