#include "config/server_set/change_query.h"

#include <charconv>
#include <set>

#include "config/server_set/server_set.h"

namespace tandem::config {

namespace {

std::string encode_address(std::string_view a) {
  std::string out;
  for (char c : a) {
    if (c == '[') {
      out += "%5B";
    } else if (c == ']') {
      out += "%5D";
    } else {
      out += c;
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes TEXT; false on a malformed escape.
bool decode(std::string_view text, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

template <typename T>
bool number(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string encode_changes(const std::vector<wire::ServerSetEntry>& entries) {
  std::string q;
  for (const auto& e : entries) {
    if (!q.empty()) q += '&';
    if (e.removed()) {
      q += "remove=" + e.name() + "," + std::to_string(e.revision());
    } else {
      q += "set=" + e.name() + "," + encode_address(e.address()) + "," + std::to_string(e.weight()) + "," +
           std::to_string(e.revision());
    }
  }
  return q;
}

ParsedChanges parse_changes(std::string_view query) {
  ParsedChanges out;
  auto fail = [&](std::string why) {
    out.entries.clear();
    out.error = std::move(why);
    return out;
  };
  if (query.empty()) return fail("no change given: use set=NAME,ADDRESS,WEIGHT,REVISION or remove=NAME,REVISION");
  std::set<std::string> names;
  for (const auto param : split(query, '&')) {
    if (out.entries.size() == kMaxChangesPerRequest)
      return fail("more than " + std::to_string(kMaxChangesPerRequest) + " changes in one request; split them");
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) return fail("parameter without a value; use set= or remove=");
    const auto key = param.substr(0, eq);
    std::string value;
    if (!decode(param.substr(eq + 1), value)) return fail("malformed percent-encoding in " + std::string(key) + "=");
    const auto fields = split(value, ',');
    wire::ServerSetEntry e;
    std::uint64_t revision = 0;
    if (key == "set") {
      std::uint32_t weight = 0;
      if (fields.size() != 4 || !number(fields[2], weight) || !number(fields[3], revision))
        return fail("set= takes NAME,ADDRESS,WEIGHT,REVISION");
      e.set_name(std::string(fields[0]));
      e.set_address(std::string(fields[1]));
      e.set_weight(weight);
    } else if (key == "remove") {
      if (fields.size() != 2 || !number(fields[1], revision)) return fail("remove= takes NAME,REVISION");
      e.set_name(std::string(fields[0]));
      e.set_removed(true);
    } else {
      return fail("unknown parameter '" + std::string(key.substr(0, 32)) + "'; use set= or remove=");
    }
    e.set_revision(revision);
    if (auto problem = entry_problem(e); !problem.empty()) return fail(std::move(problem));
    if (!names.insert(e.name()).second) return fail("server '" + e.name() + "' is changed twice in one request");
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace tandem::config
