#include "ha/announce/bird_reply.h"

#include <cctype>

namespace tandem::ha {

namespace {

bool is_code(std::string_view line) {
  if (line.size() < 5) return false;
  for (std::size_t i = 0; i < 4; ++i)
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
  return line[4] == ' ' || line[4] == '-';
}

// A last line (code then ' ') whose class ends a reply: 0xxx, 8xxx, 9xxx.
bool ends_reply(std::string_view line) {
  return is_code(line) && line[4] == ' ' && (line[0] == '0' || line[0] == '8' || line[0] == '9');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The next whitespace-separated word of S (S advances past it).
std::string_view next_word(std::string_view& s) {
  s = trim(s);
  std::size_t end = 0;
  while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
  const std::string_view word = s.substr(0, end);
  s.remove_prefix(end);
  return word;
}

bool looks_like_time(std::string_view w) {
  return w.size() >= 5 && std::isdigit(static_cast<unsigned char>(w[0])) &&
         std::isdigit(static_cast<unsigned char>(w[1])) && w[2] == ':';
}

// "uplink  BGP  ---  up  15:20:05.001  Established" as a row.
std::optional<BirdProtocol> parse_row(std::string_view text) {
  BirdProtocol row;
  row.name = next_word(text);
  row.protocol = next_word(text);
  row.table = next_word(text);
  row.state = next_word(text);
  std::string since(next_word(text));
  // A date-and-time format ("2026-12-07 15:20:05") takes two words.
  std::string_view rest = text;
  if (const std::string_view w = next_word(rest); looks_like_time(w) && since.find('-') != std::string::npos) {
    since += " ";
    since += w;
    text = rest;
  }
  row.since = std::move(since);
  row.info = trim(text);
  if (row.name.empty() || row.protocol.empty() || row.state.empty()) return std::nullopt;
  return row;
}

}  // namespace

std::optional<std::size_t> bird_reply_length(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    if (ends_reply(text.substr(pos, nl - pos))) return nl + 1;
    pos = nl + 1;
  }
  return std::nullopt;
}

std::optional<std::vector<BirdProtocol>> parse_show_protocols(std::string_view reply, std::string& error) {
  if (reply.size() > kBirdReplyMaxBytes) {
    error = "reply of " + std::to_string(reply.size()) + " bytes, more than the " +
            std::to_string(kBirdReplyMaxBytes) + " accepted";
    return std::nullopt;
  }
  std::vector<BirdProtocol> rows;
  std::string_view code;  // of the current line or the one a continuation continues
  bool ended = false;
  std::size_t pos = 0;
  while (pos < reply.size() && !ended) {
    std::size_t nl = reply.find('\n', pos);
    if (nl == std::string_view::npos) nl = reply.size();
    std::string_view line = reply.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view text;
    if (is_code(line)) {
      code = line.substr(0, 4);
      text = line.substr(5);
      ended = line[4] == ' ' && (code[0] == '0' || code[0] == '8' || code[0] == '9');
    } else if (!line.empty() && line[0] == ' ' && !code.empty()) {
      text = line.substr(1);
    } else if (line.empty()) {
      continue;
    } else {
      error = "malformed line from the routing daemon: '" + std::string(line.substr(0, 80)) + "'";
      return std::nullopt;
    }
    if (code[0] == '8' || code[0] == '9') {
      error = "the routing daemon answered " + std::string(code) + ": " + std::string(trim(text));
      return std::nullopt;
    }
    if (code == "1002") {
      if (rows.size() >= kBirdMaxProtocols) {
        error = "more than " + std::to_string(kBirdMaxProtocols) + " protocols";
        return std::nullopt;
      }
      auto row = parse_row(text);
      if (!row) {
        error = "malformed protocol row: '" + std::string(trim(text).substr(0, 80)) + "'";
        return std::nullopt;
      }
      rows.push_back(std::move(*row));
    }
  }
  if (!ended) {
    error = "the reply ended before its last line";
    return std::nullopt;
  }
  return rows;
}

}  // namespace tandem::ha
