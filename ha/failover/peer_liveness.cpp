#include "ha/failover/peer_liveness.h"

namespace tandem::ha {

void PeerLiveness::record(Probe probe, std::string_view detail) {
  ++probes_;
  switch (probe) {
    case Probe::kRefused:
      ++refused_since_connect_;
      seen_ += "refused ";
      break;
    case Probe::kConnected:
      ++connects_;
      refused_since_connect_ = 0;
      seen_ += "connected ";
      break;
    case Probe::kTimeout:
      seen_ += "timeout ";
      break;
    case Probe::kOtherError:
      seen_ += std::string(detail.empty() ? "error" : detail) + " ";
      break;
  }
}

bool PeerLiveness::more() const {
  return probes_ < kMaxProbes && refused_since_connect_ < kStopAfterRefusals && connects_ < 2;
}

bool PeerLiveness::confirmed_down() const { return refused_since_connect_ >= kConfirmRefusals && connects_ < 2; }

}  // namespace tandem::ha
