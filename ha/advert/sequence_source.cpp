#include "ha/advert/sequence_source.h"

#include <algorithm>
#include <ctime>
#include <random>

namespace tandem::ha {

std::uint64_t realtime_now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec < 0) return 0;
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

SequenceSource::SequenceSource(RealtimeClock clock) : clock_(std::move(clock)) {}

std::uint64_t SequenceSource::next() {
  last_ = std::max(last_ + 1, clock_());
  return last_;
}

std::uint64_t new_boot_id() {
  std::random_device rd;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return id;
}

}  // namespace tandem::ha
