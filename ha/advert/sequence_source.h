// Advert sequence numbers that stay fresh across restarts.
//
// The scheme: a sequence is the sender's CLOCK_REALTIME in microseconds,
// bumped by one whenever the clock has not advanced (or stepped back) since
// the previous advert: next() = max(previous + 1, now_us). So within one run
// the sequence strictly increases whatever the clock does, and after a
// restart the first sequence (the clock at that moment) is larger than any
// sequence the previous run sent, because that run could not get ahead of
// its clock by more than the adverts it sent while the clock stood still.
// A receiver (AdvertVerifier) therefore needs no handshake: it only requires
// each sender's sequence to strictly increase, and any captured advert, from
// this run or an earlier one, is older than what it has already seen.
//
// What this needs from the operator: a node's realtime clock must not step
// back across an agent restart by more than the time the agent was down,
// and the nodes' clocks must agree within ha.max_clock_skew_ms (keep
// NTP/chrony running). Receivers compare each sequence with their own clock
// and drop adverts further off than that bound (clock_skew, counted), which
// is what keeps a capture from being replayed later, even to a receiver
// that has just restarted (advert_codec.h). If the clock steps back, peers
// drop that node's adverts as replayed (counted) until its clock catches
// up; they never accept stale ones.
//
// One SequenceSource per agent, shared by all its instances, is enough:
// each instance's adverts then also carry increasing sequences.
//
// Not thread-safe; the agent is single-threaded.
#pragma once

#include <cstdint>
#include <functional>

namespace tandem::ha {

// Microseconds since the Unix epoch.
using RealtimeClock = std::function<std::uint64_t()>;

// CLOCK_REALTIME in microseconds.
std::uint64_t realtime_now_us();

// Hands out strictly increasing sequence numbers, anchored to the realtime
// clock (see the scheme above).
class SequenceSource {
 public:
  // CLOCK defaults to realtime_now_us; tests inject a fake one.
  explicit SequenceSource(RealtimeClock clock = realtime_now_us);

  // The sequence for the next advert: max(previous + 1, clock()); never 0.
  std::uint64_t next();

  // The last sequence handed out (0 before the first).
  std::uint64_t last() const { return last_; }

 private:
  RealtimeClock clock_;
  std::uint64_t last_ = 0;
};

// A random, non-zero identifier for this agent run (the advert's boot_id),
// from std::random_device.
std::uint64_t new_boot_id();

}  // namespace tandem::ha
