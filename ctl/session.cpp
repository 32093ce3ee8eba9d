#include "ctl/session.h"

#include <unistd.h>

#include <ctime>
#include <thread>

#include "common/hmac.h"
#include "common/key_ring.h"
#include "config/control_endpoints.h"
#include "config/loader.h"

namespace tandem::ctl {

std::optional<Session> Session::open(const Options& options, std::string& error) {
  auto loaded = config::load_cluster_file(options.config);
  if (!loaded.cluster) {
    error = config::format_problems(loaded.problems);
    if (!error.empty() && error.back() == '\n') error.pop_back();
    return std::nullopt;
  }
  Session s;
  s.options_ = options;
  s.cluster_ = std::move(*loaded.cluster);
  s.targets_ = config::control_targets(s.cluster_);
  const std::string key_path = options.key.empty() ? s.cluster_.ha().key_file() : options.key;
  if (key_path.empty()) {
    error = "no key: the cluster file has no ha.key_file; pass --key FILE";
    return std::nullopt;
  }
  // The cluster file's key and, during a rotation, its next key (both
  // accepted in answers; the status view names nodes still on the other).
  const std::string next_path = options.key.empty() ? s.cluster_.ha().next_key_file() : std::string();
  if (!read_key_ring(key_path, next_path, s.call_options_.keys, error)) return std::nullopt;
  s.call_options_.timeout = options.timeout;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  s.call_options_.client = std::string("lbctl@") + host;
  s.color_ = options.color == ColorMode::always ||
             (options.color == ColorMode::automatic && !options.json && ::isatty(STDOUT_FILENO) != 0 &&
              std::getenv("NO_COLOR") == nullptr);
  return s;
}

std::vector<control::NodeSample> Session::sample(bool with_proxy) const {
  wire::ControlRequest request;
  request.mutable_status()->set_with_proxy(with_proxy);
  return control::samples_from(targets_, call_all(request), &call_options_.keys);
}

std::vector<control::CallResult> Session::call_all(const wire::ControlRequest& request) const {
  return control::call_all_blocking(targets_, request, call_options_);
}

std::vector<control::CallResult> Session::call_each(std::vector<control::Call> calls) const {
  return control::call_each_blocking(std::move(calls), call_options_);
}

const control::Target* Session::target(const std::string& node) const {
  for (const auto& t : targets_)
    if (t.node == node) return &t;
  return nullptr;
}

std::vector<control::NodeSample> sample_for_rates(
    const Session& session, std::chrono::milliseconds interval,
    const std::function<void(const std::vector<control::NodeSample>&)>& first) {
  auto samples = session.sample();
  if (interval.count() > 0) {
    first(samples);
    std::this_thread::sleep_for(interval);
    samples = session.sample();
  }
  return samples;
}

std::uint64_t unix_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string clock_text(std::uint64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(unix_ms % 1000));
  return buf;
}

}  // namespace tandem::ctl
