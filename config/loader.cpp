#include "config/loader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "config/validator.h"

namespace tandem::config {

namespace {

// Collects the text-format parser's errors with 1-based positions.
class SyntaxErrors : public google::protobuf::io::ErrorCollector {
 public:
  SyntaxErrors(const std::string& filename, std::vector<Problem>& out) : filename_(filename), out_(out) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    // protobuf reports an unknown key at its end; point at its start instead.
    const std::string marker = "has no field named \"";
    if (const auto at = message.find(marker); at != std::string::npos) {
      const auto name_end = message.find('"', at + marker.size());
      if (name_end != std::string::npos) {
        column = std::max<int>(0, column - static_cast<int>(name_end - at - marker.size()));
      }
    }
    out_.push_back({position(line, column), explain(message)});
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    out_.push_back({position(line, column), "warning: " + message});
  }

 private:
  std::string position(int line, int column) const {
    if (line < 0) return filename_;
    return filename_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1);
  }
  // protobuf's own wording names message types; say what it means for the file.
  static std::string explain(const std::string& message) {
    if (message.find("has no field named") != std::string::npos) {
      return message + " (see config/proto/cluster.proto for the keys each section takes)";
    }
    return message;
  }

  const std::string& filename_;
  std::vector<Problem>& out_;
};

}  // namespace

std::string format_problems(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out += p.where + ": error: " + p.message + "\n";
  }
  return out;
}

LoadResult parse_cluster_text(std::string_view text, const std::string& filename) {
  LoadResult result;
  Cluster cluster;
  google::protobuf::TextFormat::Parser parser;
  SyntaxErrors errors(filename, result.problems);
  parser.RecordErrorsTo(&errors);
  auto locations = std::make_shared<google::protobuf::TextFormat::ParseInfoTree>();
  parser.WriteLocationsTo(locations.get());
  // A key given twice is a mistake in a hand-written file, not an override.
  parser.AllowPartialMessage(false);
  const bool parsed = parser.ParseFromString(std::string(text), &cluster);
  if (!parsed) {
    if (result.problems.empty()) result.problems.push_back({filename, "cannot parse configuration"});
    return result;
  }
  result.problems = validate(cluster, filename, locations.get());
  if (result.problems.empty()) {
    result.cluster = std::move(cluster);
    result.locations = std::move(locations);
    result.filename = filename;
  }
  return result;
}

LoadResult load_cluster_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    LoadResult result;
    result.problems.push_back({path, "cannot open configuration file (check the path given to --config)"});
    return result;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_cluster_text(ss.str(), path);
}

const Node* find_node(const Cluster& cluster, std::string_view name) {
  for (const auto& node : cluster.nodes()) {
    if (node.name() == name) return &node;
  }
  return nullptr;
}

LoadResult load_for_node(const std::string& path, const std::string& node) {
  LoadResult result = load_cluster_file(path);
  if (result.cluster && !find_node(*result.cluster, node)) {
    std::string known;
    for (const auto& n : result.cluster->nodes()) known += (known.empty() ? "" : ", ") + n.name();
    result.problems.push_back({path, "node '" + node + "' is not in this file (its nodes: " + known +
                                         "); pass one of them with --node"});
    result.cluster.reset();
  }
  return result;
}

}  // namespace tandem::config
