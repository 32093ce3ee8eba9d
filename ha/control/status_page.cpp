#include "ha/control/status_page.h"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

namespace tandem::ha {

StatusPage::StatusPage(std::string cluster_name, std::vector<control::Target> targets, KeyRing keys,
                       std::string node)
    : work_(asio::make_work_guard(io_)), cluster_name_(std::move(cluster_name)), targets_(std::move(targets)) {
  options_.keys = std::move(keys);
  options_.timeout = kTimeout;
  options_.client = "ha-agent " + node + " status page";
  thread_ = std::thread([this] { io_.run(); });
}

StatusPage::~StatusPage() { stop(); }

void StatusPage::stop() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
}

void StatusPage::set_keys(KeyRing keys) {
  asio::post(io_, [this, keys = std::move(keys)]() mutable { options_.keys = std::move(keys); });
}

awaitable<std::optional<AdminReply>> StatusPage::handle(std::string path) {
  if (path == "/" || path == "/index.html") {
    AdminReply reply{200, "text/html; charset=utf-8", kStatusPageHtml};
    co_return reply;
  }
  if (path == "/cluster.json") {
    // co_await kept out of the braced initializer: GCC 12 destroys
    // temporaries twice there (a double free).
    // Built on the page thread; this coroutine resumes on the agent's loop.
    std::string body = co_await asio::co_spawn(io_, cluster_json(), asio::use_awaitable);
    AdminReply reply{200, "application/json", std::move(body)};
    co_return reply;
  }
  co_return std::nullopt;
}

awaitable<std::string> StatusPage::cluster_json() {
  const auto now = std::chrono::steady_clock::now();
  if (!last_json_.empty() && now - last_at_ < kReuseFor) co_return last_json_;
  wire::ControlRequest request;
  request.mutable_status()->set_with_proxy(true);
  std::vector<control::Call> calls;
  for (const auto& t : targets_) calls.push_back(control::Call{t, request});
  auto results = co_await control::call_each(std::move(calls), options_);
  const auto samples = control::samples_from(targets_, results, &options_.keys);
  const auto unix_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      std::chrono::system_clock::now().time_since_epoch())
                                                      .count());
  last_json_ = boost::json::serialize(control::build_cluster_view(cluster_name_, samples, rates_, unix_ms)) + "\n";
  last_at_ = std::chrono::steady_clock::now();
  co_return last_json_;
}

}  // namespace tandem::ha
