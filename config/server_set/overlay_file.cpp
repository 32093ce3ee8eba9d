#include "config/server_set/overlay_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "common/atomic_file.h"
#include "config/server_set/server_set.h"

namespace tandem::config {

namespace {

class OverlayErrors : public google::protobuf::io::ErrorCollector {
 public:
  OverlayErrors(const std::string& filename, std::vector<Problem>& out) : filename_(filename), out_(out) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    out_.push_back({filename_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1),
                    message + " (an overlay file holds `pools { pool: \"NAME\" entries { ... } }`, "
                              "common/proto/server_set.proto)"});
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

 private:
  const std::string& filename_;
  std::vector<Problem>& out_;
};

}  // namespace

std::string overlay_path(const Node& node, const std::string& cluster_path) {
  if (!node.server_overlay_file().empty()) return node.server_overlay_file();
  return cluster_path + ".servers";
}

OverlayLoad parse_overlay_text(const std::string& text, const std::string& filename) {
  OverlayLoad out;
  wire::ServerOverlay overlay;
  google::protobuf::TextFormat::Parser parser;
  OverlayErrors errors(filename, out.problems);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &overlay)) {
    if (out.problems.empty()) out.problems.push_back({filename, "cannot parse the overlay file"});
    return out;
  }
  std::set<std::string> pools;
  for (const auto& p : overlay.pools()) {
    if (!pools.insert(p.pool()).second) out.problems.push_back({filename, "pool '" + p.pool() + "' appears twice"});
    std::set<std::string> names;
    for (const auto& e : p.entries()) {
      if (auto problem = entry_problem(e); !problem.empty())
        out.problems.push_back({filename, "pool '" + p.pool() + "': " + problem});
      if (!names.insert(e.name()).second)
        out.problems.push_back({filename, "pool '" + p.pool() + "': server '" + e.name() + "' appears twice"});
    }
  }
  if (out.problems.empty()) out.overlay = std::move(overlay);
  return out;
}

OverlayLoad load_overlay(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    OverlayLoad out;
    if (errno == ENOENT) {
      out.overlay.emplace();
    } else {
      out.problems.push_back({path, std::string("cannot read the overlay file: ") + std::strerror(errno)});
    }
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_overlay_text(ss.str(), path);
}

bool save_overlay(const std::string& path, const wire::ServerOverlay& overlay, std::string& error) {
  std::string text =
      "# Runtime server changes of this node (lbctl servers add|remove|weight), over the cluster file.\n"
      "# Written by lb-proxy; `lbctl export` writes the merged cluster file. docs/discovery.md\n";
  std::string body;
  google::protobuf::TextFormat::PrintToString(overlay, &body);
  text += body;
  // fsync before the rename: the proxy acknowledges the change to lbctl
  // once this returns.
  return write_file_atomically(path, text, error, Durability::fsync);
}

}  // namespace tandem::config
