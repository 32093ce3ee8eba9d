// The overlay file: a node's runtime server changes (common/proto/server_set.proto,
// protobuf text format), next to the cluster file unless the node names
// another path (node.server_overlay_file). lb-proxy writes it whole on every
// change (a temporary file renamed over it, so a crash leaves the old or
// the new one) and reads it at start and on SIGHUP.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/proto/server_set.pb.h"
#include "config/loader.h"

namespace tandem::config {

// Where NODE keeps its overlay when the cluster file is at CLUSTER_PATH:
// node.server_overlay_file, else CLUSTER_PATH + ".servers".
std::string overlay_path(const Node& node, const std::string& cluster_path);

struct OverlayLoad {
  std::optional<wire::ServerOverlay> overlay;  // set when there are no problems (empty when no file)
  std::vector<Problem> problems;               // file:line:col, what is wrong
};

// Reads PATH; a missing file is an empty overlay. Each entry must pass
// entry_problem and a pool must not name a server twice.
OverlayLoad load_overlay(const std::string& path);

// Parses TEXT as an overlay file called FILENAME (for messages).
OverlayLoad parse_overlay_text(const std::string& text, const std::string& filename);

// Writes OVERLAY to PATH atomically; false with ERROR when it cannot.
bool save_overlay(const std::string& path, const wire::ServerOverlay& overlay, std::string& error);

}  // namespace tandem::config
