// The admin listener: GET /metrics (Prometheus), GET /status (JSON, or the
// typed report: common/proto/proxy_status.proto), GET /stick?pool=P (the
// same), POST /servers/POOL/SERVER/state?value=ready|drain|maintenance.
// Every request passes lb/admin/admin_policy.h first (Host, Origin; a
// state change also needs the cluster key); refusals are counted
// (tandem_admin_refused_total) and logged at most every 10 s.
// Runs on the control thread; requests are small and served one at a time
// per connection with short deadlines.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "common/warn_limiter.h"
#include "lb/admin/admin_policy.h"
#include "lb/admin/metrics_view.h"
#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

// One admin answer: status code, content type and body.
struct AdminReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct AdminHandlers {
  std::function<std::shared_ptr<const Generation>()> generation;
  std::function<ProcessFacts()> facts;
  // POST /pools/POOL/servers?QUERY: a server-set change (lb/server_set);
  // null: answered 404.
  std::function<AdminReply(const std::string& pool, std::string_view query)> server_set;
};

class AdminServer {
 public:
  // Listens on ENDPOINT; throws std::runtime_error with a clear message if it cannot.
  AdminServer(asio::io_context& io, const tcp::endpoint& endpoint, AdminHandlers handlers, AdminPolicy policy);
  void close();
  // New keys after a reload.
  void set_keys(KeyRing keys) { policy_.set_keys(std::move(keys)); }
  // Refusals so far, per reason (AdminVerdict::counter).
  const std::map<std::string, std::uint64_t>& refused() const { return refused_; }

 private:
  awaitable<void> serve(tcp::socket socket);

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  AdminHandlers handlers_;
  AdminPolicy policy_;
  std::map<std::string, std::uint64_t> refused_;
  WarnLimiter refused_warn_{std::chrono::seconds(10)};
};

// Routes one admin request; pure apart from the state changes POST makes.
// Returns status code, content type and body. GET /status and /stick answer
// JSON, or the typed report when ACCEPT is exactly
// control::kProtobufMediaType (what the node's ha-agent asks for).
AdminReply route_admin_request(std::string_view method, std::string_view target, const Generation& gen,
                               const ProcessFacts& facts, std::string_view accept = {});

}  // namespace tandem::lb
