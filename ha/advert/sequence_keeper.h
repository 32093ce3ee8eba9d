// Keeps the advert replay guard's sequences on disk (the thin shell around
// ha/advert/peer_sequence_file.h and write_throttle.h): loads them into the
// verifier at start, rewrites the file at most once per interval while
// adverts are accepted, and once more when the agent stops.
//
// Why a write at most every kPersistInterval is enough (no fsync per advert):
// an agent that crashes loses at most the sequences accepted in the last
// interval before the crash, time C. After its restart those adverts, all
// sent before C, are the only captured ones the restored sequences do not
// refuse, and the clock bound (ha.max_clock_skew_ms, which is far longer
// than the interval) refuses each of them once it is older than the bound.
// So a capture can hold the restarted node down at most until C plus the
// bound, exactly as if nothing were persisted, and only with adverts from
// that last interval; every older capture, and every capture from before a
// clean stop (the file is written on stop), is refused at once. A lost or
// unwritable file leaves the clock bound alone in force.
//
// Not thread-safe; the agent is single-threaded.
#pragma once

#include <chrono>
#include <string>

#include "ha/advert/advert_codec.h"
#include "ha/advert/write_throttle.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// How often, at most, the sequences are rewritten while adverts flow.
inline constexpr std::chrono::milliseconds kPersistInterval{500};

class SequenceKeeper {
 public:
  // PATH "" = nothing is persisted (the node has no state file).
  SequenceKeeper(asio::io_context& io, std::string path, const AdvertVerifier& verifier);

  // Reads the file into VERIFIER; a missing file is a first start. Logs
  // what it restored and any damaged line.
  void load(AdvertVerifier& verifier);

  // An advert was accepted: write soon (at most once per interval).
  void changed();

  // Writes now if anything is unwritten (on stop).
  void flush();

  // Stops the timer; no more writes.
  void stop();

 private:
  void write();

  std::string path_;
  const AdvertVerifier& verifier_;
  WriteThrottle throttle_{kPersistInterval};
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool stopped_ = false;
  std::string last_text_;
};

}  // namespace tandem::ha
