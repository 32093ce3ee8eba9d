#include "ha/advert/sequence_keeper.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "ha/advert/peer_sequence_file.h"
#include "common/atomic_file.h"

namespace tandem::ha {

SequenceKeeper::SequenceKeeper(asio::io_context& io, std::string path, const AdvertVerifier& verifier)
    : path_(std::move(path)), verifier_(verifier), timer_(io) {}

void SequenceKeeper::load(AdvertVerifier& verifier) {
  if (path_.empty()) {
    spdlog::warn("advert_sequences_not_persisted reason=\"node has no state_file\" effect=\"after a restart only "
                 "ha.max_clock_skew_ms limits the replay of captured adverts\"");
    return;
  }
  std::ifstream in(path_);
  if (!in) {
    if (errno == ENOENT) {
      spdlog::info("advert_sequences_restored path={} streams=0 reason=\"no file yet (first start)\"", path_);
    } else {
      spdlog::warn("advert_sequences_unreadable path={} error=\"{}\" effect=\"only the clock bound guards "
                   "against replay until adverts arrive\"",
                   path_, std::strerror(errno));
    }
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> problems;
  const PeerSequences restored = parse_peer_sequences(text.str(), problems);
  for (const auto& p : problems) spdlog::warn("advert_sequences_line_skipped path={} problem=\"{}\"", path_, p);
  for (const auto& [stream, sequence] : restored) verifier.restore(stream.first, stream.second, sequence);
  spdlog::info("advert_sequences_restored path={} streams={}", path_, restored.size());
}

void SequenceKeeper::changed() {
  if (path_.empty() || stopped_) return;
  throttle_.changed();
  if (timer_armed_) return;
  const auto now = WriteThrottle::TimePoint::clock::now();
  const auto when = throttle_.next(now);
  if (!when) return;
  if (*when <= now) {
    write();
    return;
  }
  timer_armed_ = true;
  timer_.expires_at(*when);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    timer_armed_ = false;
    if (ec || stopped_) return;
    if (throttle_.due(WriteThrottle::TimePoint::clock::now())) write();
  });
}

void SequenceKeeper::flush() {
  if (path_.empty() || !throttle_.dirty()) return;
  write();
}

void SequenceKeeper::stop() {
  stopped_ = true;
  timer_.cancel();
}

void SequenceKeeper::write() {
  const auto now = WriteThrottle::TimePoint::clock::now();
  const std::string text = peer_sequences_text(verifier_.peers());
  throttle_.written(now);
  if (text == last_text_) return;
  std::string error;
  // No fsync: see the header for why losing the last interval is covered.
  if (write_file_atomically(path_, text, error)) {
    last_text_ = text;
  } else {
    spdlog::error("advert_sequences_write_failed path={} error=\"{}\"", path_, error);
  }
}

}  // namespace tandem::ha
