// When a request that failed at a server may be sent again. The one case:
// an idle pooled connection that the server had closed (or closes as we use
// it) fails before any response byte; the request is resent on a fresh
// connection to the same server, if the proxy still holds all of it (no
// body) and has not retried too often. Every other failure is final.
// Retryability is in the type: only a RetryPolicy makes a Retry, and only
// for such a failure.
#pragma once

#include <variant>

namespace tandem::lb {

// How one attempt at a server failed, after a connection was obtained.
struct AttemptFailure {
  enum class Stage {
    send,             // sending the request failed
    response_header,  // reading the response header failed
  };
  Stage stage = Stage::send;
  bool reused = false;            // the connection came from the idle pool
  bool response_started = false;  // response_header: some response byte had arrived
  bool timed_out = false;         // response_header: the server was too slow (it is alive)
};

// The request may go again, on a fresh connection to the same server.
class Retry {
  friend class RetryPolicy;
  Retry() = default;
};

// The request ends here; the caller answers the client with the failure.
struct GiveUp {};

// What a failed attempt leads to.
using AttemptOutcome = std::variant<Retry, GiveUp>;

// One per request.
class RetryPolicy {
 public:
  // Resends at most this many times per request.
  static constexpr int kMaxRetries = 3;

  // HAS_BODY: the request has a body, which was (partly) consumed from the
  // client by the first attempt and cannot be sent again.
  explicit RetryPolicy(bool has_body) : has_body_(has_body) {}

  // Whether a dead pooled connection can be retried at all: the upstream
  // pool may then skip its liveness probe (UpstreamPool::take).
  bool replayable() const { return !has_body_; }

  // Retry for a dead pooled connection while retries are left; GiveUp for
  // everything else. Counts the retries it grants.
  AttemptOutcome after(const AttemptFailure& failure) {
    const bool dead_idle_connection =
        failure.reused && (failure.stage == AttemptFailure::Stage::send ||
                           (!failure.response_started && !failure.timed_out));
    if (!dead_idle_connection || !replayable() || retries_ >= kMaxRetries) return GiveUp{};
    ++retries_;
    return Retry{};
  }

  // Retries granted so far.
  int retries() const { return retries_; }

 private:
  bool has_body_;
  int retries_ = 0;
};

}  // namespace tandem::lb
