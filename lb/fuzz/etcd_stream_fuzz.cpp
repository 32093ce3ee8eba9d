// libFuzzer target for what etcd's JSON gateway sends (lb/discovery/
// etcd_wire.h, etcd_set.h, read by lb/runtime/etcd_watcher.cpp): anything
// listening on an etcd endpoint can send anything. The first byte picks how
// many bytes each feed() of the watch stream gets; the input up to the first
// '\n' is also tried as a range answer, then the whole input is the watch
// stream, cut into lines, each parsed and applied to one EtcdSet.
// Checked: lines never exceed the cap; a set once non-empty stays
// non-empty (etcd never empties a pool), is sorted by name with unique
// names, each server valid (weight 1..256, an address); the revision never
// goes down except through a range; base64 round-trips.
// run: ./etcd_stream_fuzz -max_len=65536 lb/fuzz/corpus/etcd_stream_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lb/discovery/etcd_set.h"
#include "lb/discovery/etcd_wire.h"

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

void check_set(const tandem::lb::EtcdSet& set, bool had_servers) {
  const auto& s = set.set();
  if (had_servers) check(!s.empty());
  for (std::size_t i = 0; i < s.size(); ++i) {
    check(s[i].weight >= 1 && s[i].weight <= 256);
    check(!s[i].address.empty());
    if (i > 0) check(s[i - 1].name < s[i].name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto round = tandem::lb::base64_decode(tandem::lb::base64_encode(input));
  check(round && *round == input);
  if (const auto decoded = tandem::lb::base64_decode(input)) check(tandem::lb::base64_encode(*decoded) == input);

  tandem::lb::EtcdSet set("/p/");
  std::string error;
  if (const auto range = tandem::lb::parse_range(input.substr(0, input.find('\n')), error)) {
    check(range->revision > 0);
    set.on_range(*range);
    if (!range->more) check(set.revision() == range->revision);
  }
  bool had_servers = !set.set().empty();
  check_set(set, had_servers);

  tandem::lb::EtcdStreamLines cut;
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    if (!cut.feed(input.substr(at, piece), lines)) break;
    check(cut.buffered() <= tandem::lb::kMaxEtcdLineBytes);
    for (const auto& line : lines) {
      check(!line.empty() && line.find('\n') == std::string::npos);
      const auto message = tandem::lb::parse_watch_message(line, error);
      if (!message) continue;
      const auto before = set.revision();
      const auto step = set.on_watch(*message);
      check(set.revision() >= before);
      if (step.rerange) check(!step.changed);
      had_servers = had_servers || !set.set().empty();
      check_set(set, had_servers);
    }
    lines.clear();
  }
  return 0;
}
