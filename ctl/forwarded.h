// What a node answered to a request lbctl had it forward to its lb-proxy
// (a server's state, a stick table), as lbctl reports it. Pure, so the
// wording is tested (tests/ctl/forwarded_test.cpp).
#pragma once

#include <optional>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/control/remote_client.h"
#include "common/proto/proxy_status.pb.h"

namespace tandem::ctl {

// drain / disable / enable on one node and pool.
struct ServerStateOutcome {
  bool ok = false;
  std::string text;  // "DRAIN" when applied; else why not ("HTTP 404: no pool 'x'")
};
// STATE: what was asked.
ServerStateOutcome server_state_outcome(const control::CallResult& result, wire::ServerAdminState state);

// One node's stick table.
struct StickOutcome {
  std::string error;           // set: no table
  boost::json::array entries;  // stick_entry_json of each entry kept
};
// KEY: keep only the entry with this key (stick get); nullopt: every entry.
StickOutcome stick_outcome(const control::CallResult& result, const std::optional<std::string>& key);

// {"key", "server", "ttl_remaining_ms", "origin"}: the proxy's GET /stick entry.
boost::json::object stick_entry_json(const wire::StickListing& entry);

}  // namespace tandem::ctl
