// GET /metrics: the Prometheus text, rendered from a generation's live state.
// (GET /status and /stick: status_report.h, status_json.h.)
#pragma once

#include <string>

#include "lb/admin/process_facts.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

std::string render_metrics(const Generation& gen, const ProcessFacts& facts);

}  // namespace tandem::lb
