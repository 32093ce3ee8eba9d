// Which certificate a TLS client gets, from the name it asked for (SNI,
// RFC 6066 §3). Pure: the shell (server_context.cpp) reads the names out of
// the certificates and asks this table from OpenSSL's servername callback.
//
// Matching follows RFC 6125 §6.4 as browsers and HAProxy do: names compare
// case-insensitively and without a trailing dot; an exact name wins over a
// wildcard; "*.example.com" covers exactly one more label ("a.example.com",
// not "example.com" nor "a.b.example.com"). Among equals the first one
// listed wins. No SNI, or a name nothing covers: the default (entry 0).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tandem::lb::tls {

class ServerNames {
 public:
  // Entry INDEX serves NAMES ("www.example.com", "*.example.com"). Names that
  // are empty or malformed wildcards ("*", "a*.b", "*.com" is allowed) are
  // ignored; add() returns how many were taken.
  std::size_t add(std::size_t index, const std::vector<std::string>& names);

  // The entry for SNI (as the client sent it); 0 when nothing matches.
  std::size_t choose(std::string_view sni) const;

  // True when some entry serves SNI (for a log line on a miss).
  bool covers(std::string_view sni) const;

 private:
  static std::string normalize(std::string_view name);
  const std::size_t* find(std::string_view sni) const;

  std::unordered_map<std::string, std::size_t> exact_;
  std::unordered_map<std::string, std::size_t> wildcard_;  // by the suffix after "*."
};

// The certificates of one listener grouped by the names they serve: entries
// with the same names (an ECDSA and an RSA certificate for one site) share
// a group, so one OpenSSL context holds both keys and OpenSSL gives each
// client the one its signature algorithms allow. Returns, for each entry,
// its group; groups are numbered in order of first appearance (the first
// entry's group is 0, the default).
std::vector<std::size_t> group_by_names(const std::vector<std::vector<std::string>>& names_per_entry);

}  // namespace tandem::lb::tls
