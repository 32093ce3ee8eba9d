// What the admin endpoint shows: Prometheus metrics and JSON status, rendered
// from a generation's live state. Pure functions of that state.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "lb/runtime/generation.h"

namespace tandem::lb {

// Process-wide facts the views add to the generation's own.
struct ProcessFacts {
  std::string node;
  unsigned workers = 0;
  std::size_t open_connections = 0;
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
  bool draining = false;
  std::map<std::string, std::uint64_t> admin_refused;  // admin requests refused, per reason (admin_policy.h)
};

std::string render_metrics(const Generation& gen, const ProcessFacts& facts);
std::string render_status_json(const Generation& gen, const ProcessFacts& facts);
// Entries of POOL's stick table; empty string when the pool is unknown.
std::string render_stick_json(const Generation& gen, const std::string& pool);

}  // namespace tandem::lb
