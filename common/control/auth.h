// Authentication of the remote control endpoint (common/proto/control.proto,
// SignedRequest/SignedResponse): pure functions and a replay window, no I/O,
// the clock passed in.
//
// A request is signed over
//   "tandem-control-request/2\0" | unix_ms (8 bytes BE) | len(node) (1 byte) | node |
//   len(nonce) (1 byte) | nonce | request
// and a response over
//   "tandem-control-response/2\0" | len(node) (1 byte) | node | len(nonce) (1 byte) | nonce | response
// with HMAC-SHA256 under the cluster key (either key of a KeyRing during a
// rotation). The distinct prefixes keep a request from passing as a response
// (or as an advert, signed with the same key). NODE is the node the request
// is for: a server accepts only requests naming itself, so a request
// captured on its way to edge1 cannot be replayed to edge2 (each node keeps
// its own nonce window). The response names the node that answered and the
// request's nonce, so a recorded response can neither be replayed to a
// later client nor passed off as another node's answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/key_ring.h"
#include "common/proto/control.pb.h"

namespace tandem::control {

// How far a request's clock may be from the server's, either way.
inline constexpr std::uint64_t kFreshnessMs = 30'000;
// Nonce length the client sends; the server accepts 8..32 bytes.
inline constexpr std::size_t kNonceBytes = 16;

// Why a request was refused (each is counted by the server).
enum class Refusal { malformed, bad_nonce, bad_signature, stale, replayed, busy, wrong_node };
inline constexpr Refusal kAllRefusals[] = {Refusal::malformed, Refusal::bad_nonce, Refusal::bad_signature,
                                           Refusal::stale,     Refusal::replayed,  Refusal::busy,
                                           Refusal::wrong_node};
std::string_view to_string(Refusal r);

// NONCE_BYTES random bytes (OpenSSL RAND_bytes).
std::string random_nonce(std::size_t bytes = kNonceBytes);

// The bytes a request's HMAC covers (NODE: the node it is for).
std::string request_signing_bytes(std::string_view request, std::uint64_t unix_ms, std::string_view node,
                                  std::string_view nonce);
// The bytes a response's HMAC covers (NODE: the node that answers).
std::string response_signing_bytes(std::string_view response, std::string_view node, std::string_view nonce);

// REQUEST for NODE, serialized and signed with KEY at UNIX_MS with NONCE.
wire::SignedRequest sign_request(std::string_view key, const wire::ControlRequest& request, std::uint64_t unix_ms,
                                 std::string node, std::string nonce, std::string client = {});

// RESPONSE of NODE, serialized and signed with KEY for the request that carried NONCE.
wire::SignedResponse sign_response(std::string_view key, const wire::ControlResponse& response, std::string_view node,
                                   std::string_view nonce);

// A response opened by open_response.
struct OpenedResponse {
  wire::ControlResponse response;
  int key_index = 0;  // which key of the ring it verified under (KeyRing::verify)
};

// The ControlResponse in SIGNED when its HMAC (under either key of KEYS) is
// right for NODE and NONCE; nullopt with ERROR set otherwise (a refusal's
// text when the server refused).
std::optional<OpenedResponse> open_response(const KeyRing& keys, const wire::SignedResponse& signed_response,
                                            std::string_view node, std::string_view nonce, std::string& error);

// Remembers the nonces of accepted requests while they are fresh, so each is
// accepted once. Bounded: when MAX_ENTRIES fresh nonces are held, further
// requests are refused (busy) until some age out, rather than forgetting a
// nonce that could then be replayed.
class ReplayWindow {
 public:
  explicit ReplayWindow(std::size_t max_entries = 65536) : max_entries_(max_entries) {}

  // True (and remembered) when NONCE was not seen; forgets nonces whose
  // request time is more than kFreshnessMs before NOW_UNIX_MS.
  // nullopt: the window is full.
  std::optional<bool> admit(std::string_view nonce, std::uint64_t request_unix_ms, std::uint64_t now_unix_ms);

  std::size_t size() const { return seen_.size(); }

 private:
  void expire(std::uint64_t now_unix_ms);

  std::size_t max_entries_;
  std::unordered_set<std::string> seen_;
  // (forget-after time, nonce), in admission order. A nonce can be replayed
  // successfully only while its request time is fresh, so it is forgotten
  // after request time + kFreshnessMs (an entry behind a later-expiring one
  // is kept a little longer: conservative).
  std::deque<std::pair<std::uint64_t, std::string>> order_;
};

// Server side: checks a SignedRequest's signature, target node, freshness
// and nonce.
class RequestVerifier {
 public:
  // KEYS: the cluster key(s). SELF: this node's name; requests naming
  // another node are refused (wrong_node).
  RequestVerifier(KeyRing keys, std::string self, std::size_t max_nonces = 65536)
      : keys_(std::move(keys)), self_(std::move(self)), window_(max_nonces) {}

  struct Accepted {
    wire::ControlRequest request;
    std::string nonce;
    int key_index = 0;  // which key of the ring signed it
  };
  struct Outcome {
    std::optional<Accepted> accepted;  // set when accepted
    Refusal refusal = Refusal::malformed;
    std::string detail;  // for the log
  };

  // Verifies the SignedRequest serialized in PAYLOAD at NOW_UNIX_MS.
  Outcome verify(std::string_view payload, std::uint64_t now_unix_ms);

  const KeyRing& keys() const { return keys_; }
  void set_keys(KeyRing keys) { keys_ = std::move(keys); }
  const std::string& self() const { return self_; }

  // Refuses (stale) every request signed before UNIX_MS; the server passes
  // the time it started. Why a capture cannot be replayed after a restart:
  // the window that makes each nonce single-use lives in memory, so a new
  // server process has forgotten the nonces its previous run accepted, and
  // a request recorded up to kFreshnessMs before the restart would still be
  // fresh. Such a request was signed before this server started, which no
  // request meant for it can be (bar a client clock a few ms behind, whose
  // request, sent in the first moments after the start, is refused as stale
  // and can be sent again).
  void refuse_signed_before(std::uint64_t unix_ms) { not_before_unix_ms_ = unix_ms; }

 private:
  KeyRing keys_;
  std::string self_;
  ReplayWindow window_;
  std::uint64_t not_before_unix_ms_ = 0;
};

}  // namespace tandem::control
