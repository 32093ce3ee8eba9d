#include "lb/tls/server_names.h"

#include <algorithm>
#include <map>
#include <set>

namespace tandem::lb::tls {

std::string ServerNames::normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::size_t ServerNames::add(std::size_t index, const std::vector<std::string>& names) {
  std::size_t taken = 0;
  for (const auto& raw : names) {
    auto name = normalize(raw);
    if (name.empty()) continue;
    if (name.starts_with("*.")) {
      auto suffix = name.substr(2);
      // Only a whole leftmost label may be a wildcard, and only one.
      if (suffix.empty() || suffix.find('*') != std::string::npos || suffix.front() == '.') continue;
      wildcard_.try_emplace(std::move(suffix), index);
    } else {
      if (name.find('*') != std::string::npos) continue;
      exact_.try_emplace(std::move(name), index);
    }
    ++taken;
  }
  return taken;
}

const std::size_t* ServerNames::find(std::string_view sni) const {
  const auto name = normalize(sni);
  if (name.empty()) return nullptr;
  if (auto it = exact_.find(name); it != exact_.end()) return &it->second;
  const auto dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return nullptr;  // "*.x" needs a label before the suffix
  if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) return &it->second;
  return nullptr;
}

std::size_t ServerNames::choose(std::string_view sni) const {
  const auto* index = find(sni);
  return index ? *index : 0;
}

bool ServerNames::covers(std::string_view sni) const { return find(sni) != nullptr; }

std::vector<std::size_t> group_by_names(const std::vector<std::vector<std::string>>& names_per_entry) {
  std::map<std::set<std::string>, std::size_t> groups;
  std::vector<std::size_t> out;
  out.reserve(names_per_entry.size());
  for (const auto& names : names_per_entry) {
    std::set<std::string> key;
    for (const auto& n : names) {
      std::string lower(n);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      key.insert(std::move(lower));
    }
    auto [it, fresh] = groups.try_emplace(std::move(key), groups.size());
    out.push_back(it->second);
  }
  return out;
}

}  // namespace tandem::lb::tls
