#include "common/control/auth.h"

#include <stdexcept>

#include <openssl/rand.h>

#include "common/hmac.h"

namespace tandem::control {

namespace {

constexpr std::string_view kRequestDomain{"tandem-control-request/1\0", 25};
constexpr std::string_view kResponseDomain{"tandem-control-response/1\0", 26};

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
  }
  return "unknown";
}

std::string random_nonce(std::size_t bytes) {
  std::string out(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::string request_signing_bytes(std::string_view request, std::uint64_t unix_ms, std::string_view nonce) {
  std::string out(kRequestDomain);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((unix_ms >> shift) & 0xff));
  out.push_back(static_cast<char>(nonce.size() & 0xff));
  out.append(nonce);
  out.append(request);
  return out;
}

std::string response_signing_bytes(std::string_view response, std::string_view nonce) {
  std::string out(kResponseDomain);
  out.push_back(static_cast<char>(nonce.size() & 0xff));
  out.append(nonce);
  out.append(response);
  return out;
}

wire::SignedRequest sign_request(std::string_view key, const wire::ControlRequest& request, std::uint64_t unix_ms,
                                 std::string nonce, std::string client) {
  wire::SignedRequest out;
  out.set_request(request.SerializeAsString());
  out.set_unix_ms(unix_ms);
  out.set_hmac(digest_bytes(hmac_sha256(key, request_signing_bytes(out.request(), unix_ms, nonce))));
  out.set_nonce(std::move(nonce));
  out.set_client(std::move(client));
  return out;
}

wire::SignedResponse sign_response(std::string_view key, const wire::ControlResponse& response,
                                   std::string_view nonce) {
  wire::SignedResponse out;
  out.set_response(response.SerializeAsString());
  out.set_hmac(digest_bytes(hmac_sha256(key, response_signing_bytes(out.response(), nonce))));
  return out;
}

std::optional<wire::ControlResponse> open_response(std::string_view key, const wire::SignedResponse& signed_response,
                                                   std::string_view nonce, std::string& error) {
  if (!signed_response.refused().empty()) {
    error = "refused: " + signed_response.refused();
    return std::nullopt;
  }
  if (!hmac_verify(key, response_signing_bytes(signed_response.response(), nonce), signed_response.hmac())) {
    error = "response signature does not verify (a different cluster key?)";
    return std::nullopt;
  }
  wire::ControlResponse response;
  if (!response.ParseFromString(signed_response.response())) {
    error = "malformed ControlResponse";
    return std::nullopt;
  }
  return response;
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
  if (!hmac_verify(key_, request_signing_bytes(signed_request.request(), signed_request.unix_ms(), nonce),
                   signed_request.hmac())) {
    out.refusal = Refusal::bad_signature;
    out.detail = "HMAC does not verify under the cluster key";
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
  out.accepted = Accepted{std::move(request), nonce};
  return out;
}

}  // namespace tandem::control
