// Semantic checks of a parsed cluster file: names, references, addresses,
// ranges. Pure: no I/O, so `--check-config` and SIGHUP reloads run exactly
// the checks a start-up runs.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/text_format.h>

#include "config/loader.h"
#include "config/proto/cluster.pb.h"

namespace tandem::config {

// Returns every problem found. LOCATIONS (may be null) maps fields back to
// file positions so each problem names file:line:col.
std::vector<Problem> validate(const Cluster& cluster, const std::string& filename,
                              const google::protobuf::TextFormat::ParseInfoTree* locations);

}  // namespace tandem::config
