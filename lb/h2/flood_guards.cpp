#include "lb/h2/flood_guards.h"

namespace tandem::lb::h2 {

HeaderBlockGuard::Verdict HeaderBlockGuard::frame(FrameType type, std::uint8_t flags, std::size_t length) {
  if (type == FrameType::continuation) {
    // Outside a block nghttp2 answers with a connection error of its own.
    if (frames_ == 0) return Verdict::unexpected_continuation;
  } else if (type == FrameType::headers || type == FrameType::push_promise) {
    frames_ = 0;
    bytes_ = 0;
  } else {
    return Verdict::ok;  // other frames cannot interleave a block: nghttp2 refuses them
  }
  ++frames_;
  bytes_ += length;
  const bool ends = (flags & kFlagEndHeaders) != 0;
  Verdict verdict = Verdict::ok;
  if (frames_ > max_frames_) verdict = Verdict::too_many_frames;
  if (bytes_ > max_bytes_) verdict = Verdict::too_many_bytes;
  if (ends) {
    frames_ = 0;
    bytes_ = 0;
  }
  return verdict;
}

bool ControlFloodGuard::counts(FrameType type, std::uint8_t flags, std::size_t length) {
  switch (type) {
    case FrameType::ping:
    case FrameType::settings:
      return (flags & kFlagAck) == 0;  // an ACK answers us
    case FrameType::priority:
      return true;
    case FrameType::data:
      return length == 0 && (flags & kFlagEndStream) == 0;  // carries nothing and ends nothing
    default:
      return false;
  }
}

}  // namespace tandem::lb::h2
