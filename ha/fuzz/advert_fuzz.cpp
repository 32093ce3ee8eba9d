// libFuzzer target for the advert wire layer (ha/advert/advert_codec.h).
//
// Random bytes cannot carry a valid HMAC, so raw input alone would only ever
// reach the outer checks. The first input byte therefore picks a mode:
//   even: the rest is a datagram, verified as it came off the wire;
//   odd:  the rest is an Advert body, signed with the right key, so the body
//         parser, the field checks, the self/unknown-node checks and the
//         replay state are fuzzed too.
// One verifier lives across inputs, as in the agent, so sequence state
// builds up. Invariants checked on every input: exactly one counter moves,
// and an accepted advert is well formed, from a known peer, and fresh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "common/hmac.h"
#include "ha/advert/advert_codec.h"

namespace {

const std::string kKey = "fuzz-key-0123456789abcdef";

tandem::ha::AdvertVerifier& verifier() {
  static tandem::ha::AdvertVerifier v(kKey, "edge1", {"edge1", "edge2", "edge3"});
  return v;
}

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string datagram;
  if (data[0] & 1) {
    tandem::wire::SignedAdvert signed_advert;
    const tandem::Digest mac = tandem::hmac_sha256(kKey, rest);
    signed_advert.set_body(std::string(rest));
    signed_advert.set_hmac(reinterpret_cast<const char*>(mac.data()), mac.size());
    datagram = signed_advert.SerializeAsString();
  } else {
    datagram.assign(rest);
  }

  auto& v = verifier();
  const auto before = v.counters();
  const auto result = v.verify(datagram);
  const auto after = v.counters();
  check(after.accepted + after.dropped_total() == before.accepted + before.dropped_total() + 1);
  if (const auto* advert = std::get_if<tandem::wire::Advert>(&result)) {
    check(after.accepted == before.accepted + 1);
    check(tandem::ha::advert_problem(*advert).empty());
    check(advert->node() == "edge2" || advert->node() == "edge3");
    check(v.peer(advert->node(), advert->instance_id())->sequence == advert->sequence());
    // The same datagram again is a replay.
    check(std::get<tandem::ha::DropReason>(v.verify(datagram)) == tandem::ha::DropReason::kReplayed);
  } else {
    check(after.dropped(std::get<tandem::ha::DropReason>(result)) ==
          before.dropped(std::get<tandem::ha::DropReason>(result)) + 1);
  }
  return 0;
}
