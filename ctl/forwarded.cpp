#include "ctl/forwarded.h"

#include "common/control/proxy_status.h"

namespace tandem::ctl {

ServerStateOutcome server_state_outcome(const control::CallResult& r, wire::ServerAdminState state) {
  if (!r.response) return {false, "unreachable: " + r.error};
  if (r.response->has_error()) return {false, "error: " + r.response->error()};
  if (!r.response->has_proxy()) return {false, "error: unexpected answer"};
  const auto& proxy = r.response->proxy();
  if (proxy.http_status() == 0) return {false, "proxy unreachable: " + proxy.error()};
  if (proxy.http_status() != 200) {
    std::string body = proxy.body();
    while (!body.empty() && body.back() == '\n') body.pop_back();
    return {false, "HTTP " + std::to_string(proxy.http_status()) + ": " + body};
  }
  return {true, std::string(control::admin_state_name(state))};
}

StickOutcome stick_outcome(const control::CallResult& r, const std::optional<std::string>& key) {
  StickOutcome out;
  if (!r.response) {
    out.error = "unreachable: " + r.error;
  } else if (r.response->has_error()) {
    out.error = r.response->error();
  } else if (!r.response->has_proxy() || r.response->proxy().http_status() != 200) {
    const bool answered = r.response->has_proxy();
    out.error = answered && r.response->proxy().http_status() == 0
                    ? r.response->proxy().error()
                    : "proxy answered HTTP " + std::to_string(answered ? r.response->proxy().http_status() : 0);
  } else {
    for (const auto& e : r.response->proxy().stick().entries())
      if (!key || e.key() == *key) out.entries.push_back(stick_entry_json(e));
  }
  return out;
}

boost::json::object stick_entry_json(const wire::StickListing& e) {
  boost::json::object o;
  o["key"] = e.key();
  o["server"] = e.server();
  o["ttl_remaining_ms"] = e.ttl_remaining_ms();
  o["origin"] = e.origin();
  return o;
}

}  // namespace tandem::ctl
