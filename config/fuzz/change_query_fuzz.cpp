// libFuzzer target for the server-set change query of the proxy's admin
// listener (POST /pools/POOL/servers?set=...&remove=..., config/server_set/
// change_query.h) and for the overlay file beside the cluster file: what
// parses must be entries that pass entry_problem, at most
// kMaxChangesPerRequest, each name once; encoding them again and parsing
// gives the same entries; merging them in any order gives one overlay.
// run: ./change_query_fuzz -max_len=4096 config/fuzz/corpus/change_query_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "config/server_set/change_query.h"
#include "config/server_set/overlay_file.h"
#include "config/server_set/server_set.h"

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  using namespace tandem::config;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto parsed = parse_changes(input);
  check(parsed.error.empty() != parsed.entries.empty());
  check(parsed.entries.size() <= kMaxChangesPerRequest);
  for (const auto& e : parsed.entries) check(entry_problem(e).empty());
  if (!parsed.entries.empty()) {
    const auto again = parse_changes(encode_changes(parsed.entries));
    check(again.error.empty() && again.entries.size() == parsed.entries.size());
    for (std::size_t i = 0; i < again.entries.size(); ++i)
      check(again.entries[i].SerializeAsString() == parsed.entries[i].SerializeAsString());
    tandem::wire::PoolOverlay forward, backward;
    merge_entries(forward, parsed.entries);
    merge_entries(backward, {parsed.entries.rbegin(), parsed.entries.rend()});
    check(forward.SerializeAsString() == backward.SerializeAsString());
    Pool base;
    base.set_name("p");
    (void)set_digest(effective_servers(base, &forward));
  }

  const auto overlay = parse_overlay_text(std::string(input), "fuzz.servers");
  check(overlay.overlay.has_value() == overlay.problems.empty());
  if (overlay.overlay) {
    Cluster cluster;
    auto* pool = cluster.add_pools();
    pool->set_name("web");
    (void)apply_overlay(cluster, *overlay.overlay);
  }
  return 0;
}
