// Which finished requests the access log keeps: one in N, counted (not
// random, so a test and an operator can predict it), and every one that
// access_record.h's always_logged() marks (5xx, abnormal ends) whatever N.
// One per worker thread; pure.
#pragma once

#include <cstdint>

namespace tandem::lb::observe {

class AccessSampler {
 public:
  // N 0 or 1: every request.
  explicit AccessSampler(std::uint32_t n = 1) { set(n); }
  void set(std::uint32_t n) { n_ = n == 0 ? 1 : n; }

  // True when this request goes into the log. ALWAYS: an error or abnormal
  // end; it does not move the 1-in-N count.
  bool keep(bool always) {
    if (always) return true;
    if (++seen_ < n_) return false;
    seen_ = 0;
    return true;
  }

 private:
  std::uint32_t n_ = 1;
  std::uint32_t seen_ = 0;
};

}  // namespace tandem::lb::observe
