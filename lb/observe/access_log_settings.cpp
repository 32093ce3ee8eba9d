#include "lb/observe/access_log_settings.h"

namespace tandem::lb::observe {

AccessLogSettings access_log_settings(const config::Cluster& cluster) {
  AccessLogSettings s;
  if (!cluster.has_access_log()) return s;
  const auto& c = cluster.access_log();
  s.enabled = !c.path().empty();
  s.path = c.path();
  s.sample = c.sample() ? c.sample() : 1;
  s.max_path_bytes = c.max_path_bytes() ? c.max_path_bytes() : 1024;
  s.buffer_bytes = (c.buffer_kb() ? c.buffer_kb() : 64) * 1024;
  s.flush_ms = c.flush_ms() ? c.flush_ms() : 500;
  s.queue_bytes = static_cast<std::uint64_t>(c.queue_kb() ? c.queue_kb() : 8192) * 1024;
  return s;
}

}  // namespace tandem::lb::observe
