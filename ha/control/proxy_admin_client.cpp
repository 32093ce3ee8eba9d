#include "ha/control/proxy_admin_client.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "common/address.h"
#include "common/control/admin_auth.h"
#include "common/control/auth.h"
#include "common/control/proxy_status.h"

namespace tandem::ha {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

awaitable<wire::ProxyReply> proxy_admin_request(std::string host_port, std::string method, std::string target,
                                                std::chrono::milliseconds timeout, std::string key,
                                                std::string accept) {
  wire::ProxyReply out;
  std::string error;
  auto hp = parse_host_port(host_port, error);
  if (!hp) {
    out.set_error("node has no usable proxy_admin ('" + host_port + "'): " + error);
    co_return out;
  }
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [cec] = co_await stream.async_connect(tcp::endpoint(hp->address, hp->port), use_nothrow);
  if (cec) {
    out.set_error("lb-proxy admin " + host_port + ": " + (cec == beast::error::timeout ? "timeout" : cec.message()));
    co_return out;
  }
  http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host_port);
  req.set(http::field::user_agent, "ha-agent");
  if (!accept.empty()) req.set(http::field::accept, accept);
  if (method != "GET" && !key.empty()) {
    const auto unix_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        std::chrono::system_clock::now().time_since_epoch())
                                                        .count());
    req.set(http::field::authorization,
            control::admin_authorization(key, method, target, host_port, unix_ms, control::random_nonce()));
  }
  req.keep_alive(false);
  auto [wec, wn] = co_await http::async_write(stream, req, use_nothrow);
  (void)wn;
  if (wec) {
    out.set_error("lb-proxy admin " + host_port + ": " + wec.message());
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxProxyBodyBytes);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
  (void)rn;
  if (rec) {
    out.set_error("lb-proxy admin " + host_port + ": " + (rec == beast::error::timeout ? "timeout" : rec.message()));
    co_return out;
  }
  auto res = parser.release();
  out.set_http_status(res.result_int());
  out.set_body(std::move(res.body()));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

ProxyStatusFetch status_from_reply(const wire::ProxyReply& reply) {
  ProxyStatusFetch out;
  if (reply.http_status() == 0) {
    out.error = reply.error();
  } else if (reply.http_status() != 200) {
    out.error = "HTTP " + std::to_string(reply.http_status());
  } else if (wire::ProxyStatusReport report; report.ParseFromString(reply.body())) {
    out.report = std::move(report);
  } else {
    out.error = "lb-proxy admin answered a status that is not a ProxyStatusReport (an lb-proxy of another version?)";
  }
  return out;
}

wire::ProxyReply stick_from_reply(wire::ProxyReply reply) {
  if (reply.http_status() != 200) return reply;
  if (!reply.mutable_stick()->ParseFromString(reply.body())) {
    wire::ProxyReply bad;
    bad.set_error("lb-proxy admin answered a stick table that is not a StickTableReport (an lb-proxy of another "
                  "version?)");
    return bad;
  }
  reply.clear_body();
  return reply;
}

awaitable<ProxyStatusFetch> fetch_proxy_status(std::string host_port, std::chrono::milliseconds timeout) {
  const auto reply = co_await proxy_admin_request(std::move(host_port), "GET", "/status", timeout, {},
                                                  std::string(control::kProtobufMediaType));
  co_return status_from_reply(reply);
}

awaitable<wire::ProxyReply> fetch_stick_table(std::string host_port, std::string pool,
                                              std::chrono::milliseconds timeout) {
  auto reply = co_await proxy_admin_request(std::move(host_port), "GET", "/stick?pool=" + pool, timeout, {},
                                            std::string(control::kProtobufMediaType));
  co_return stick_from_reply(std::move(reply));
}

bool safe_admin_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace tandem::ha
