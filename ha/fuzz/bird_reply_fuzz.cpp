// libFuzzer target for BIRD's control-socket replies (ha/announce/bird_reply.h),
// which the agent reads off the routing daemon's socket. Invariants: a
// reply length never exceeds the input and ends on a newline; a parsed
// reply has at most kBirdMaxProtocols rows, each with a name, protocol and
// state; a refused reply says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ha/announce/bird_reply.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto len = tandem::ha::bird_reply_length(text)) {
    check(*len <= size && *len > 0 && text[*len - 1] == '\n');
  }
  std::string error;
  const auto rows = tandem::ha::parse_show_protocols(text, error);
  if (rows) {
    check(rows->size() <= tandem::ha::kBirdMaxProtocols);
    for (const auto& r : *rows) check(!r.name.empty() && !r.protocol.empty() && !r.state.empty());
  } else {
    check(!error.empty());
  }
  return 0;
}
