// Server-set changes in the query of an admin request, so that a change is
// a signed POST with no body (lb/admin/admin_policy.h):
//   POST /pools/POOL/servers?set=NAME,ADDRESS,WEIGHT,REVISION&remove=NAME,REVISION
// ADDRESS is percent-encoded where it holds [ ] (IPv6). The ha-agent
// encodes what lbctl sends; lb-proxy parses it (outside bytes: fuzzed by
// config/fuzz/change_query_fuzz.cpp). Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/proto/server_set.pb.h"

namespace tandem::config {

// Entries per request: lbctl splits larger changes (and the admin
// listener's 8 KiB header limit bounds the query anyway).
inline constexpr std::size_t kMaxChangesPerRequest = 64;

// The query (without '?') for ENTRIES.
std::string encode_changes(const std::vector<wire::ServerSetEntry>& entries);

struct ParsedChanges {
  std::vector<wire::ServerSetEntry> entries;  // each passed entry_problem
  std::string error;                          // set: nothing is to be applied
};

// Parses QUERY (after '?'): every parameter must be a well-formed set= or
// remove=, 1..kMaxChangesPerRequest of them, each a valid entry, and no
// name twice.
ParsedChanges parse_changes(std::string_view query);

}  // namespace tandem::config
