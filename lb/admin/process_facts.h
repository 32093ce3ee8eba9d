// Process-wide facts the admin views add to a generation's own state
// (gathered by the process root on the control thread, per request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "common/proto/server_set.pb.h"
#include "lb/observe/access_log_writer.h"

namespace tandem::lb {

struct ProcessFacts {
  std::string node;
  unsigned workers = 0;
  std::size_t open_connections = 0;
  std::uint64_t fd_limit = 0;     // RLIMIT_NOFILE's soft limit (lb/limits/fd_budget.h)
  std::uint64_t fds_needed = 0;   // what the listeners' max_connections need
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
  bool draining = false;
  std::map<std::string, std::uint64_t> admin_refused;  // admin requests refused, per reason (admin_policy.h)
  std::map<std::string, wire::ServerSetReport> server_sets;  // per pool (lb/server_set)
  bool access_log_enabled = false;
  observe::AccessLogCounters access_log;  // lines written, dropped (the disk was slower), write errors, reopens
};

}  // namespace tandem::lb
