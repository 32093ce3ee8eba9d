// libFuzzer target for the remote control endpoint (common/control/auth.h)
// and what its answers feed (common/control/cluster_view.h: lbctl status
// and the status page, from the lb-proxy's typed report a node embeds).
//   byte 0 bit 0 clear: the server side, RequestVerifier::verify on each
//     frame (FrameDecoder splits the rest into frames);
//   bit 0 set: the client side, a frame as lbctl reads it (SignedResponse,
//     open_response), then the cluster views built from it.
//   bit 1 set: each frame that parses as a ControlRequest/ControlResponse is
//     first signed with the right key (sign_request/sign_response), so the
//     checks past the signature are fuzzed too.
// Checked: unsigned input is never accepted or opened; a signed, fresh
// request is accepted once with its request intact and then refused as a
// replay; a signed response opens to itself; the views always build and
// serialize.
// run: ./control_fuzz -max_len=16384 common/fuzz/corpus/control_fuzz
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>

#include <google/protobuf/stubs/logging.h>

#include "common/control/auth.h"
#include "common/control/cluster_view.h"
#include "common/framing.h"

namespace {

namespace control = tandem::control;
namespace wire = tandem::wire;

const std::string kKey = "fuzz-key-0123456789abcdef";
const std::string kNode = "edge1";  // the node the requests are for and that answers
constexpr std::uint64_t kNow = 1'800'000'000'000;  // ms since the epoch

void check(bool invariant) {
  if (!invariant) std::abort();
}

void server_side(const std::string& payload, bool sign, control::RequestVerifier& verifier) {
  if (!sign) {
    const auto outcome = verifier.verify(payload, kNow);
    check(!outcome.accepted);  // no valid HMAC without the key
    check(!outcome.detail.empty());
    return;
  }
  wire::ControlRequest request;
  if (payload.empty() || !request.ParseFromString(payload.substr(1))) return;
  // The first byte: the request's clock skew (-64..63 s) and nonce length (4..35).
  const auto b = static_cast<unsigned char>(payload[0]);
  const std::int64_t skew_ms = (static_cast<std::int64_t>(b & 0x7f) - 64) * 1000;
  std::string nonce(4 + (b >> 3), '\0');
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<char>(payload.size() + i * 7);
  const auto signed_request =
      control::sign_request(kKey, request, static_cast<std::uint64_t>(static_cast<std::int64_t>(kNow) + skew_ms),
                            kNode, nonce, "fuzz");
  const auto bytes = signed_request.SerializeAsString();
  const auto outcome = verifier.verify(bytes, kNow);
  const bool fresh = skew_ms >= -30'000 && skew_ms <= 30'000;
  const bool nonce_ok = nonce.size() >= 8 && nonce.size() <= 32;
  if (outcome.accepted) {
    check(fresh && nonce_ok);
    check(outcome.accepted->nonce == nonce);
    check(outcome.accepted->request.SerializeAsString() == request.SerializeAsString());
    const auto again = verifier.verify(bytes, kNow);
    check(!again.accepted && again.refusal == control::Refusal::replayed);
  } else {
    check(!fresh || !nonce_ok || outcome.refusal == control::Refusal::replayed ||
          outcome.refusal == control::Refusal::busy);
  }
}

// What lbctl status --watch keeps between refreshes: rates need two samples.
struct Watch {
  control::RateMemory rates;
  std::chrono::steady_clock::time_point at{std::chrono::hours(1)};
};

void views(const wire::ControlResponse& response, Watch& watch) {
  if (!response.has_status()) return;
  watch.at += std::chrono::seconds(1);
  auto& rates = watch.rates;
  control::NodeSample sample;
  sample.node = response.status().node();
  sample.address = "198.18.0.11";
  sample.status = response.status();
  sample.at = watch.at;
  sample.latency_ms = 3;
  control::NodeSample unreachable;
  unreachable.node = "edge3";
  unreachable.error = "no answer within 1000 ms";
  const std::vector<control::NodeSample> samples{sample, unreachable};
  (void)boost::json::serialize(control::build_cluster_view("fuzz", samples, rates, kNow));
  (void)boost::json::serialize(control::build_servers_view(samples, "", rates));
  (void)boost::json::serialize(control::build_servers_view(samples, "app", rates));
  (void)boost::json::serialize(control::merged_transitions(samples));
}

void client_side(const std::string& payload, bool sign, Watch& watch) {
  const std::string nonce = "0123456789abcdef";
  std::string frame = payload;
  wire::ControlResponse sent;
  if (sign) {
    if (!sent.ParseFromString(payload)) return;
    frame = control::sign_response(kKey, sent, kNode, nonce).SerializeAsString();
  }
  // As the client's exchange reads it.
  wire::SignedResponse signed_response;
  if (!signed_response.ParseFromString(frame)) {
    check(!sign);
    return;
  }
  std::string error;
  const auto opened = control::open_response(tandem::KeyRing{kKey, {}}, signed_response, kNode, nonce, error);
  check(opened.has_value() == sign);
  check(opened.has_value() || !error.empty());
  if (!opened) return;
  check(opened->response.SerializeAsString() == sent.SerializeAsString());
  views(opened->response, watch);
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it; at
// thousands of inputs a second that logging is most of the run.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool client = data[0] & 1;
  const bool sign = data[0] & 2;
  tandem::FrameDecoder decoder(64 * 1024);  // the server's cap (RemoteControl::kMaxRequestBytes)
  decoder.feed(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  control::RequestVerifier verifier(tandem::KeyRing{kKey, {}}, kNode, 4);  // a small window, so "busy" is reached
  Watch watch;
  std::string payload;
  while (decoder.next(payload) == tandem::FrameDecoder::Status::frame) {
    if (client) {
      client_side(payload, sign, watch);
    } else {
      server_side(payload, sign, verifier);
    }
  }
  return 0;
}
