// The agent's status page, on its admin listener (node.agent_admin):
//   GET /              a single read-only HTML page (inline CSS/JS, no
//                      external assets) that refreshes itself every second
//   GET /cluster.json  the whole cluster's view, as `lbctl status --json`
//                      (common/control/cluster_view.h), gathered from every
//                      node's remote control endpoint, this one included
// The gathering is asynchronous on the agent's io_context, with the same
// per-node deadline as lbctl; a view younger than kReuseFor is served again
// rather than fetched anew, so many viewers cost the cluster one refresh.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/control/cluster_view.h"
#include "common/control/remote_client.h"
#include "ha/control/admin_http.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// The page's HTML (ha/control/status_page_html.cpp).
extern const char* const kStatusPageHtml;

class StatusPage {
 public:
  static constexpr std::chrono::milliseconds kReuseFor{400};
  static constexpr std::chrono::milliseconds kTimeout{1000};

  StatusPage(std::string cluster_name, std::vector<control::Target> targets, KeyRing keys, std::string node);

  // New keys (a reload).
  void set_keys(KeyRing keys) { options_.keys = std::move(keys); }

  // The reply for PATH when it is the page's ("/", "/cluster.json").
  awaitable<std::optional<AdminReply>> handle(std::string path);

 private:
  awaitable<std::string> cluster_json();

  std::string cluster_name_;
  std::vector<control::Target> targets_;
  control::CallOptions options_;
  control::RateMemory rates_;
  std::string last_json_;
  std::chrono::steady_clock::time_point last_at_{};
};

}  // namespace tandem::ha
