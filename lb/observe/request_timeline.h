// When a request (or TCP connection) reached each phase, on the steady
// clock, and what that makes of the access log's timings and the latency
// histograms. Filled by the session as the phases pass; a phase never
// reached stays unset and is written as null. Pure.
#pragma once

#include <chrono>

#include "lb/observe/access_record.h"
#include "lb/observe/latency_histogram.h"

namespace tandem::lb::observe {

struct RequestTimeline {
  using Clock = std::chrono::steady_clock;
  using Time = Clock::time_point;

  Time start;          // the accept (a connection's first request) or the request's first bytes
  Time header;         // the request header was complete
  Time connect_begin;  // the first attempt to get a server connection
  Time connected;      // a server connection was had (the last attempt's)
  Time first_byte;     // the response header arrived

  // Since start, in microseconds; kAbsent when T was not reached.
  Micros since_start(Time t) const {
    if (t == Time{}) return kAbsent;
    return std::chrono::duration_cast<std::chrono::microseconds>(t - start).count();
  }

  // Writes the four timings of R for a request that ended at END.
  void fill(AccessRecord& r, Time end) const {
    r.request = since_start(header);
    r.connect = connected == Time{} || connect_begin == Time{}
                    ? kAbsent
                    : std::chrono::duration_cast<std::chrono::microseconds>(connected - connect_begin).count();
    r.first_byte = since_start(first_byte);
    r.total = since_start(end);
  }

  // Observes the phases reached into H (a listener's or a server's).
  void observe_into(PhaseHistograms& h, Time end) const {
    h.duration.observe(end - start);
    if (connected != Time{} && connect_begin != Time{}) h.connect.observe(connected - connect_begin);
    if (first_byte != Time{}) h.first_byte.observe(first_byte - start);
  }
};

}  // namespace tandem::lb::observe
