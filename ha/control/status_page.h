// The agent's status page, on its admin listener (node.agent_admin):
//   GET /              a single read-only HTML page (inline CSS/JS, no
//                      external assets) that refreshes itself every second
//   GET /cluster.json  the whole cluster's view, as `lbctl status --json`
//                      (common/control/cluster_view.h), gathered from every
//                      node's remote control endpoint, this one included
// The gathering, parsing and rendering run on the page's own thread and
// io_context, off the agent's single-threaded loop that times adverts: the
// loop only hands the request over and is resumed with the answer. The
// per-node deadline is lbctl's; a view younger than kReuseFor is served
// again rather than fetched anew, so many viewers cost the cluster one
// refresh. Everything below the public functions lives on the page thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

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

  // Starts the page's thread.
  StatusPage(std::string cluster_name, std::vector<control::Target> targets, KeyRing keys, std::string node);
  // Stops and joins the page's thread.
  ~StatusPage();
  StatusPage(const StatusPage&) = delete;
  StatusPage& operator=(const StatusPage&) = delete;

  // New keys (a reload); takes effect on the page thread.
  void set_keys(KeyRing keys);

  // The reply for PATH when it is the page's ("/", "/cluster.json"). Called
  // on the agent's loop; the cluster view is built on the page thread.
  awaitable<std::optional<AdminReply>> handle(std::string path);

  // Stops the page's thread (idempotent): a pending /cluster.json is dropped.
  void stop();

 private:
  awaitable<std::string> cluster_json();

  asio::io_context io_;  // the page thread's
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;

  std::string cluster_name_;
  std::vector<control::Target> targets_;
  control::CallOptions options_;
  control::RateMemory rates_;
  std::string last_json_;
  std::chrono::steady_clock::time_point last_at_{};
};

}  // namespace tandem::ha
