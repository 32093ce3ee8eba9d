// The access log's line format: one JSON object per line (JSON Lines).
// JSON rather than logfmt because its escaping is specified (RFC 8259), so
// a path full of quotes, spaces or invalid UTF-8 still parses, and every log
// shipper (Vector, Fluent Bit, Loki, jq) reads it without a custom parser;
// logfmt has no standard for quotes or non-ASCII bytes. Field names and
// their meaning: docs/observability.md. Pure: the caller passes the
// record; the formatter only appends text.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>

#include "lb/observe/access_record.h"

namespace tandem::lb::observe {

// The "2026-12-07T15:04:05" part of a timestamp, rendered once per second
// (gmtime_r costs more than the rest of a line). One per worker thread.
class SecondText {
 public:
  // The text for SECONDS since the epoch.
  const std::string& at(std::time_t seconds);

 private:
  std::time_t cached_ = -1;
  std::string text_;
};

struct FormatLimits {
  std::size_t max_path_bytes = 1024;
};

// Appends R as one JSON line (ending in '\n') to OUT.
void append_access_line(std::string& out, const AccessRecord& r, SecondText& seconds, const FormatLimits& limits);

}  // namespace tandem::lb::observe
