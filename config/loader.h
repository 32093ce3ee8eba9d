// Loading the cluster file: protobuf text format, then semantic validation.
//
// Every problem is reported with file:line:col, all of them at once (like
// HAProxy's config check), and nothing starts while any remains.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/text_format.h>

#include "config/proto/cluster.pb.h"

namespace tandem::config {

// One thing wrong with a configuration.
struct Problem {
  std::string where;    // "cluster.conf:12:5", or "cluster.conf" when no position applies
  std::string message;  // what is wrong and, where it helps, what to write instead
};

// Formats problems one per line: "cluster.conf:12:5: error: pool 'web' ...".
std::string format_problems(const std::vector<Problem>& problems);

struct LoadResult {
  std::optional<Cluster> cluster;  // set only when there are no problems
  std::vector<Problem> problems;
  // Where each field of CLUSTER was written (set with it), for checks made
  // after loading (config/host_checks.h), and the file name they cite.
  std::shared_ptr<const google::protobuf::TextFormat::ParseInfoTree> locations;
  std::string filename;
};

// Parses and validates TEXT; FILENAME is only used in messages.
LoadResult parse_cluster_text(std::string_view text, const std::string& filename);

// Reads PATH, then as parse_cluster_text.
LoadResult load_cluster_file(const std::string& path);

// Loads PATH and checks that NODE names one of its nodes. The returned
// cluster is only set if both hold.
LoadResult load_for_node(const std::string& path, const std::string& node);

// The node called NAME, or nullptr.
const Node* find_node(const Cluster& cluster, std::string_view name);

}  // namespace tandem::config
