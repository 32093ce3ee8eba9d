// libFuzzer target for the PROXY protocol parser (lb/proxy_protocol/header.h):
// its input is the first bytes of a connection from a trusted balancer (or
// from anyone who reached a trusted address). Checked on every input: a
// complete header never claims more bytes than it was given nor more than the
// cap; the contract the shell relies on (lb/runtime/proxy_accept.cpp) holds:
// the header's bytes alone parse to the same header, and one byte fewer is
// need_more, so consuming on need_more never eats payload; and addresses
// re-encoded with both encoders parse back equal.
// run: ./proxy_protocol_fuzz -max_len=4096 lb/fuzz/corpus/proxy_protocol_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "lb/proxy_protocol/header.h"

namespace {

namespace pp = tandem::lb::proxy_protocol;

void check(bool ok) {
  if (!ok) std::abort();
}

pp::Result parse_string(const std::string& s) {
  return pp::parse(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto r = pp::parse(bytes);
  if (r.status == pp::Status::invalid) {
    check(!r.error.empty());
    return 0;
  }
  if (r.status == pp::Status::need_more) {
    check(size < pp::kMaxHeader);
    return 0;
  }
  const auto& h = r.header;
  check(h.length > 0 && h.length <= size && h.length <= pp::kMaxHeader);
  check(h.version == 1 || h.version == 2);
  check(h.source.has_value() == h.destination.has_value());
  check(!(h.local && h.source));
  const auto alone = pp::parse(bytes.first(h.length));
  check(alone.status == pp::Status::complete && alone.header.length == h.length);
  check(alone.header.source == h.source && alone.header.destination == h.destination);
  check(pp::parse(bytes.first(h.length - 1)).status == pp::Status::need_more);
  if (h.source) {
    for (const auto& encoded : {pp::encode_v1(*h.source, *h.destination), pp::encode_v2(*h.source, *h.destination)}) {
      const auto back = parse_string(encoded);
      check(back.status == pp::Status::complete && back.header.length == encoded.size());
      check(back.header.source->port == h.source->port && back.header.destination->port == h.destination->port);
      if (h.source->address.is_v4() == h.destination->address.is_v4()) {
        check(*back.header.source == *h.source && *back.header.destination == *h.destination);
      }
    }
  }
  return 0;
}
