#include "common/control/auth.h"

#include <stdexcept>

#include <openssl/rand.h>

#include "common/hmac.h"

namespace tandem::control {

namespace {

constexpr std::string_view kRequestDomain{"tandem-control-request/2\0", 25};
constexpr std::string_view kResponseDomain{"tandem-control-response/2\0", 26};

// One byte of length, then the bytes (node names and nonces are short; a
// longer one is cut, which only makes its signature fail).
void append_short(std::string& out, std::string_view field) {
  field = field.substr(0, 255);
  out.push_back(static_cast<char>(field.size()));
  out.append(field);
}

std::string digest_bytes(const Digest& d) { return std::string(reinterpret_cast<const char*>(d.data()), d.size()); }

}  // namespace

std::string_view to_string(Refusal r) {
  switch (r) {
    case Refusal::malformed: return "malformed";
    case Refusal::bad_nonce: return "bad_nonce";
    case Refusal::bad_signature: return "bad_signature";
    case Refusal::stale: return "stale";
    case Refusal::replayed: return "replayed";
    case Refusal::busy: return "busy";
    case Refusal::wrong_node: return "wrong_node";
  }
  return "unknown";
}

std::string random_nonce(std::size_t bytes) {
  std::string out(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::string request_signing_bytes(std::string_view request, std::uint64_t unix_ms, std::string_view node,
                                  std::string_view nonce) {
  std::string out(kRequestDomain);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((unix_ms >> shift) & 0xff));
  append_short(out, node);
  append_short(out, nonce);
  out.append(request);
  return out;
}

std::string response_signing_bytes(std::string_view response, std::string_view node, std::string_view nonce) {
  std::string out(kResponseDomain);
  append_short(out, node);
  append_short(out, nonce);
  out.append(response);
  return out;
}

wire::SignedRequest sign_request(std::string_view key, const wire::ControlRequest& request, std::uint64_t unix_ms,
                                 std::string node, std::string nonce, std::string client) {
  wire::SignedRequest out;
  out.set_request(request.SerializeAsString());
  out.set_unix_ms(unix_ms);
  out.set_hmac(digest_bytes(hmac_sha256(key, request_signing_bytes(out.request(), unix_ms, node, nonce))));
  out.set_node(std::move(node));
  out.set_nonce(std::move(nonce));
  out.set_client(std::move(client));
  return out;
}

wire::SignedResponse sign_response(std::string_view key, const wire::ControlResponse& response, std::string_view node,
                                   std::string_view nonce) {
  wire::SignedResponse out;
  out.set_response(response.SerializeAsString());
  out.set_hmac(digest_bytes(hmac_sha256(key, response_signing_bytes(out.response(), node, nonce))));
  return out;
}

std::optional<OpenedResponse> open_response(const KeyRing& keys, const wire::SignedResponse& signed_response,
                                            std::string_view node, std::string_view nonce, std::string& error) {
  if (!signed_response.refused().empty()) {
    error = "refused: " + signed_response.refused();
    return std::nullopt;
  }
  const auto key_index =
      keys.verify(response_signing_bytes(signed_response.response(), node, nonce), signed_response.hmac());
  if (!key_index) {
    error = "response signature does not verify for node " + std::string(node) +
            " (a different cluster key, or another node answering at its address?)";
    return std::nullopt;
  }
  OpenedResponse out;
  out.key_index = *key_index;
  if (!out.response.ParseFromString(signed_response.response())) {
    error = "malformed ControlResponse";
    return std::nullopt;
  }
  return out;
}

std::optional<bool> ReplayWindow::admit(std::string_view nonce, std::uint64_t request_unix_ms,
                                        std::uint64_t now_unix_ms) {
  expire(now_unix_ms);
  std::string key(nonce);
  if (seen_.contains(key)) return false;
  if (seen_.size() >= max_entries_) return std::nullopt;
  seen_.insert(key);
  order_.emplace_back(request_unix_ms + kFreshnessMs, std::move(key));
  return true;
}

void ReplayWindow::expire(std::uint64_t now_unix_ms) {
  while (!order_.empty() && order_.front().first < now_unix_ms) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
}

RequestVerifier::Outcome RequestVerifier::verify(std::string_view payload, std::uint64_t now_unix_ms) {
  Outcome out;
  wire::SignedRequest signed_request;
  if (!signed_request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    out.refusal = Refusal::malformed;
    out.detail = "not a SignedRequest";
    return out;
  }
  const auto& nonce = signed_request.nonce();
  if (nonce.size() < 8 || nonce.size() > 32) {
    out.refusal = Refusal::bad_nonce;
    out.detail = "nonce of " + std::to_string(nonce.size()) + " bytes";
    return out;
  }
  // The signature first: nothing unsigned reaches the clock or the window.
  const auto key_index = keys_.verify(
      request_signing_bytes(signed_request.request(), signed_request.unix_ms(), signed_request.node(), nonce),
      signed_request.hmac());
  if (!key_index) {
    out.refusal = Refusal::bad_signature;
    out.detail = "HMAC does not verify under the cluster key";
    return out;
  }
  // Signed for another node: a capture replayed here. Refused before the
  // window, so it costs the window nothing.
  if (signed_request.node() != self_) {
    out.refusal = Refusal::wrong_node;
    out.detail = "request is for node '" + signed_request.node().substr(0, 64) + "', this is " + self_;
    return out;
  }
  const std::uint64_t ts = signed_request.unix_ms();
  const std::uint64_t skew = ts > now_unix_ms ? ts - now_unix_ms : now_unix_ms - ts;
  if (skew > kFreshnessMs) {
    out.refusal = Refusal::stale;
    out.detail = "request clock " + std::string(ts > now_unix_ms ? "ahead" : "behind") + " by " +
                 std::to_string(skew) + " ms (limit " + std::to_string(kFreshnessMs) + "; check NTP)";
    return out;
  }
  if (ts < not_before_unix_ms_) {
    out.refusal = Refusal::stale;
    out.detail = "request signed " + std::to_string(not_before_unix_ms_ - ts) +
                 " ms before this server started: a recorded request replayed after a restart, or a client "
                 "clock behind (check NTP, then send it again)";
    return out;
  }
  const auto admitted = window_.admit(nonce, ts, now_unix_ms);
  if (!admitted) {
    out.refusal = Refusal::busy;
    out.detail = "replay window full";
    return out;
  }
  if (!*admitted) {
    out.refusal = Refusal::replayed;
    out.detail = "nonce already used";
    return out;
  }
  wire::ControlRequest request;
  if (!request.ParseFromString(signed_request.request())) {
    out.refusal = Refusal::malformed;
    out.detail = "signed, but not a ControlRequest";
    return out;
  }
  out.accepted = Accepted{std::move(request), nonce, *key_index};
  return out;
}

}  // namespace tandem::control
