// The HTTP/2 flood policies, one class per known attack. Each sees frame
// headers (type, flags, length) and the time, and says whether the
// connection has crossed its line; the codec (server_codec.h) then ends the
// connection with GOAWAY ENHANCE_YOUR_CALM, as nghttp2, HAProxy and nginx do.
// Pure: no nghttp2, no sockets.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lb/h2/window_count.h"

namespace tandem::lb::h2 {

// Frame types of RFC 9113 §6.
enum class FrameType : std::uint8_t {
  data = 0x0,
  headers = 0x1,
  priority = 0x2,
  rst_stream = 0x3,
  settings = 0x4,
  push_promise = 0x5,
  ping = 0x6,
  goaway = 0x7,
  window_update = 0x8,
  continuation = 0x9,
};

inline constexpr std::uint8_t kFlagEndStream = 0x1;
inline constexpr std::uint8_t kFlagAck = 0x1;
inline constexpr std::uint8_t kFlagEndHeaders = 0x4;

// Rapid reset (CVE-2023-44487): a client opens streams and resets them at
// once, so the concurrent-stream limit never bites while the server starts
// work for each. Counts the client's RST_STREAM frames over a window.
class ResetFloodGuard {
 public:
  ResetFloodGuard(std::uint32_t max_resets, std::chrono::milliseconds window) : resets_(max_resets, window) {}

  // The client reset a stream at NOW; true when it has done so too often.
  bool reset(SteadyTime now) { return resets_.add(now); }

 private:
  WindowCount resets_;
};

// CONTINUATION flood (CVE-2024-27316 and its kin): a header block that never
// ends, in endless CONTINUATION frames, each small or decoding to nothing,
// holds memory or CPU until END_HEADERS. Bounds the frames and the encoded
// bytes of one header block; the decoded list is bounded separately
// (max_header_list_bytes, answered with a 431).
class HeaderBlockGuard {
 public:
  enum class Verdict { ok, too_many_frames, too_many_bytes, unexpected_continuation };

  HeaderBlockGuard(std::uint32_t max_frames, std::size_t max_bytes) : max_frames_(max_frames), max_bytes_(max_bytes) {}

  // A frame header arrived: TYPE, FLAGS and payload LENGTH.
  Verdict frame(FrameType type, std::uint8_t flags, std::size_t length);

  bool in_block() const { return frames_ != 0; }

 private:
  std::uint32_t max_frames_;
  std::size_t max_bytes_;
  std::uint32_t frames_ = 0;  // of the open header block; 0: none open
  std::size_t bytes_ = 0;
};

// SETTINGS and PING floods (CVE-2019-9512, -9515), and their cousins
// (empty DATA, PRIORITY: CVE-2019-9518, -9513): frames that cost the server
// work or an answer and carry no request. Counts them over a window; a
// client that browses sends a handful. WINDOW_UPDATE is not counted: a
// client downloading sends one per chunk it read, in proportion to what we
// sent (and nghttp2 bounds the ACKs it queues, max_outbound_ack).
class ControlFloodGuard {
 public:
  ControlFloodGuard(std::uint32_t max_frames, std::chrono::milliseconds window) : frames_(max_frames, window) {}

  // Whether a frame of TYPE with FLAGS and LENGTH is one the guard counts.
  static bool counts(FrameType type, std::uint8_t flags, std::size_t length);

  // A frame arrived at NOW; true when the client has sent too many that count.
  bool frame(FrameType type, std::uint8_t flags, std::size_t length, SteadyTime now) {
    return counts(type, flags, length) && frames_.add(now);
  }

 private:
  WindowCount frames_;
};

}  // namespace tandem::lb::h2
