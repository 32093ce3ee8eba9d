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
  // Per process: two proxies given the same path never rename each other's file.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace tandem::config
