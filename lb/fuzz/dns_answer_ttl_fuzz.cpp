// libFuzzer target for the TTL reader of DNS responses
// (lb/discovery/dns_answer_ttl.h): its input is whatever a DNS server, or
// anyone who can spoof one, sends back. Checked on every input: no read out
// of bounds (ASan), an answer for one type never exceeds the TTL range RFC
// 2181 allows, and appending bytes after a parsed message never changes the
// result (the reader walks only the counted sections).
// run: ./dns_answer_ttl_fuzz -max_len=4096 lb/fuzz/corpus/dns_answer_ttl_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "lb/discovery/dns_answer_ttl.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::span<const std::uint8_t> message(data, size);
  for (const std::uint16_t type : {std::uint16_t{1}, std::uint16_t{28}, std::uint16_t{33}}) {
    const auto ttl = tandem::lb::smallest_answer_ttl(message, type);
    if (ttl) check(*ttl <= 0x7fffffffu);
    std::vector<std::uint8_t> longer(data, data + size);
    longer.insert(longer.end(), {0xC0, 0x0C, 0, 33});
    if (ttl) check(tandem::lb::smallest_answer_ttl(longer, type) == ttl);
  }
  return 0;
}
