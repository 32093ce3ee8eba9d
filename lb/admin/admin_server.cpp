#include "lb/admin/admin_server.h"

#include "common/accept_loop.h"
#include "common/control/proxy_status.h"
#include "common/listen.h"
#include "lb/admin/status_json.h"
#include "lb/admin/status_report.h"

#include <optional>

#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace tandem::lb {

namespace bhttp = boost::beast::http;

namespace {

// The value of query parameter NAME in TARGET ("/x?a=1&b=2"), or "".
std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

// POOL of a "/pools/POOL/servers[?...]" target, or nullopt.
std::optional<std::string> server_set_pool(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  constexpr std::string_view prefix = "/pools/", suffix = "/servers";
  if (path.size() <= prefix.size() + suffix.size() || path.substr(0, prefix.size()) != prefix ||
      path.substr(path.size() - suffix.size()) != suffix)
    return std::nullopt;
  const auto pool = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (pool.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(pool);
}

AdminReply text(unsigned status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body)}; }

}  // namespace

AdminReply route_admin_request(std::string_view method, std::string_view target, const Generation& gen,
                               const ProcessFacts& facts, std::string_view accept) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (method == "GET" && path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(gen, facts)};
  }
  const bool typed = accept == control::kProtobufMediaType;
  if (method == "GET" && path == "/status") {
    const auto report = status_report(gen, facts, Clock::now());
    if (typed) return {200, std::string(control::kProtobufMediaType), report.SerializeAsString()};
    return {200, "application/json", status_json(report)};
  }
  if (method == "GET" && path == "/stick") {
    const auto pool = query_param(target, "pool");
    const auto report = stick_report(gen, pool, Clock::now());
    if (!report) return text(404, "no pool '" + pool + "'\n");
    if (typed) return {200, std::string(control::kProtobufMediaType), report->SerializeAsString()};
    return {200, "application/json", stick_json(*report)};
  }
  if (path.rfind("/servers/", 0) == 0) {
    if (method != "POST") return text(405, "use POST /servers/POOL/SERVER/state?value=ready|drain|maintenance\n");
    // /servers/POOL/SERVER/state
    std::string_view rest = path.substr(9);
    const auto slash1 = rest.find('/');
    const auto slash2 = slash1 == std::string_view::npos ? slash1 : rest.find('/', slash1 + 1);
    if (slash2 == std::string_view::npos || rest.substr(slash2) != "/state") {
      return text(404, "use POST /servers/POOL/SERVER/state?value=ready|drain|maintenance\n");
    }
    const std::string pool_name(rest.substr(0, slash1));
    const std::string server_name(rest.substr(slash1 + 1, slash2 - slash1 - 1));
    auto pool = gen.pool(pool_name);
    if (!pool) return text(404, "no pool '" + pool_name + "'\n");
    const int index = pool->find(server_name);
    if (index < 0) return text(404, "no server '" + server_name + "' in pool '" + pool_name + "'\n");
    const auto value = query_param(target, "value");
    config::ServerState state;
    if (value == "ready") {
      state = config::READY;
    } else if (value == "drain") {
      state = config::DRAIN;
    } else if (value == "maintenance") {
      state = config::MAINTENANCE;
    } else {
      return text(400, "value must be ready, drain or maintenance\n");
    }
    pool->set_admin_state(static_cast<ServerIndex>(index), state);
    return text(200, "ok\n");
  }
  return text(404, "not found; try /metrics, /status, /stick?pool=NAME\n");
}

AdminServer::AdminServer(asio::io_context& io, const tcp::endpoint& endpoint, AdminHandlers handlers,
                         AdminPolicy policy)
    : io_(io), acceptor_(io), handlers_(std::move(handlers)), policy_(std::move(policy)) {
  listen_tcp(acceptor_, endpoint, "admin listener", "change the node's proxy_admin");
  asio::co_spawn(io_,
                 accept_loop(
                     acceptor_, [] { return false; },
                     [this](tcp::socket socket) { asio::co_spawn(io_, serve(std::move(socket)), asio::detached); },
                     {"admin_accept_failed"}),
                 asio::detached);
}

void AdminServer::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void> AdminServer::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(4096);
    stream.expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
    if (ec) co_return;
    const auto& req = parser.get();
    AdminRequestFacts facts_in;
    facts_in.method = std::string_view(req.method_string());
    facts_in.target = std::string_view(req.target());
    facts_in.host = std::string_view(req[bhttp::field::host]);
    facts_in.origin = std::string_view(req[bhttp::field::origin]);
    facts_in.sec_fetch_site = std::string_view(req["Sec-Fetch-Site"]);
    facts_in.content_type = std::string_view(req[bhttp::field::content_type]);
    facts_in.authorization = std::string_view(req[bhttp::field::authorization]);
    facts_in.body_bytes = req.body().size();
    const auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::system_clock::now().time_since_epoch())
                                                       .count());
    const auto verdict = policy_.check(facts_in, now_ms);
    AdminReply reply;
    if (verdict.status != 0) {
      ++refused_[verdict.counter];
      if (const auto covers = refused_warn_.note(std::chrono::steady_clock::now())) {
        boost::system::error_code pec;
        const auto peer = stream.socket().remote_endpoint(pec);
        spdlog::warn("admin_refused reason={} status={} method={} from={} refused_since_last_warning={}",
                     verdict.counter, verdict.status, std::string(facts_in.method),
                     pec ? std::string("?") : peer.address().to_string(), covers);
      }
      reply = AdminReply{verdict.status, "text/plain; charset=utf-8", verdict.reason};
    } else {
      auto gen = handlers_.generation();
      auto facts = handlers_.facts();
      facts.admin_refused = refused_;
      const std::string_view target(req.target());
      if (const auto pool = server_set_pool(target); pool && handlers_.server_set) {
        reply = req.method() == bhttp::verb::post
                    ? handlers_.server_set(*pool, target.substr(std::min(target.size(), target.find('?') + 1)))
                    : text(405, "use POST /pools/POOL/servers?set=NAME,ADDRESS,WEIGHT,REVISION&remove=NAME,REVISION "
                                "(lbctl servers add|remove|weight)\n");
      } else {
        reply = route_admin_request(std::string_view(req.method_string()), target, *gen, facts,
                                    std::string_view(req[bhttp::field::accept]));
      }
      if (req.method() == bhttp::verb::post && reply.status == 200)
        spdlog::info("admin_state_change target={}", std::string(req.target()));
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), req.version()};
    res.set(bhttp::field::content_type, reply.content_type);
    res.set(bhttp::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(req.keep_alive());
    res.body() = reply.body;
    res.prepare_payload();
    auto [wec, wn] = co_await bhttp::async_write(stream, res, use_nothrow);
    if (wec || !req.keep_alive()) co_return;
  }
}

}  // namespace tandem::lb
