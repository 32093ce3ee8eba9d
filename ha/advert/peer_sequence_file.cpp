#include "ha/advert/peer_sequence_file.h"

#include <algorithm>
#include <charconv>

namespace tandem::ha {

namespace {

// The value of `KEY=value` in the space-separated WORDS, or "" if absent.
std::string_view field(const std::vector<std::string_view>& words, std::string_view key) {
  for (auto w : words)
    if (w.size() > key.size() && w.substr(0, key.size()) == key && w[key.size()] == '=') return w.substr(key.size() + 1);
  return {};
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

}  // namespace

std::string peer_sequence_path(const std::string& state_file) {
  return state_file.empty() ? std::string() : state_file + ".sequences";
}

std::string peer_sequences_text(const std::map<std::pair<std::string, std::string>, PeerSequence>& peers) {
  std::string out;
  for (const auto& [stream, peer] : peers) {
    if (peer.sequence == 0) continue;
    out += "node=" + stream.first + " instance=" + stream.second + " sequence=" + std::to_string(peer.sequence) + '\n';
  }
  return out;
}

PeerSequences parse_peer_sequences(std::string_view text, std::vector<std::string>& problems) {
  PeerSequences out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto words = split_words(line);
    if (words.empty()) continue;
    const auto node = field(words, "node");
    const auto instance = field(words, "instance");
    const auto seq_text = field(words, "sequence");
    std::uint64_t sequence = 0;
    const auto [ptr, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), sequence);
    if (node.empty() || instance.empty() || ec != std::errc() || ptr != seq_text.data() + seq_text.size() ||
        sequence == 0) {
      problems.push_back("line " + std::to_string(line_no) +
                         ": expected `node=NAME instance=NAME sequence=N` (N > 0), got `" + std::string(line) + "`");
      continue;
    }
    auto& slot = out[std::make_pair(std::string(node), std::string(instance))];
    slot = std::max(slot, sequence);
  }
  return out;
}

}  // namespace tandem::ha
