// The server side of one HTTP/2 connection, over nghttp2: bytes in, frames
// out, and streams the shell (lb/runtime/h2_session.h) serves. No sockets:
// receive() takes what the client sent, output() gives what to send, so the
// fuzzer (lb/fuzz/h2_frames_fuzz.cpp) drives it like a client would. The
// flood guards (flood_guards.h) see every frame header; crossing one ends
// the connection with GOAWAY ENHANCE_YOUR_CALM.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lb/h2/flood_guards.h"
#include "lb/h2/request_head.h"

#include <nghttp2/nghttp2.h>

namespace tandem::lb::h2 {

// The connection's limits (config::EffectiveHttp2 and the listener's http_limits).
struct CodecSettings {
  std::uint32_t max_concurrent_streams = 100;
  std::uint32_t initial_window_bytes = 65535;
  std::uint32_t connection_window_bytes = 1u << 20;
  std::uint32_t max_header_list_bytes = 16384;
  std::uint32_t max_header_count = 100;
  std::uint32_t max_header_frames = 16;
  std::chrono::milliseconds flood_window{10000};
  std::uint32_t max_resets_per_window = 200;
  std::uint32_t max_control_frames_per_window = 1000;
};

// Why the codec ended the connection.
enum class Ending {
  none,
  protocol_error,    // nghttp2 refused the bytes (bad preface, bad frame, bad HPACK)
  reset_flood,       // ResetFloodGuard
  header_flood,      // HeaderBlockGuard
  control_flood,     // ControlFloodGuard, or nghttp2's bound on queued ACKs
  peer_goaway,       // the client said goodbye (GOAWAY)
};
const char* ending_name(Ending e);

// One request stream, shared by the codec (until the stream closes) and the
// shell (until it has served it).
struct Stream {
  std::int32_t id = 0;
  RequestHead head;
  bool head_complete = false;     // END_HEADERS of the request's header block
  bool request_complete = false;  // END_STREAM: the whole body is in body_in
  std::string body_in;            // request body received and not yet taken
  std::uint64_t body_received = 0;
  std::uint64_t body_unconsumed = 0;  // received, not yet handed back to flow control
  bool closed = false;            // reset, or finished: the shell stops
  std::uint32_t close_code = 0;   // RFC 9113 §7 error code when reset
  bool reset_by_client = false;
  // The response.
  bool responded = false;
  std::string body_out;           // response body not yet framed, from body_out_at
  std::size_t body_out_at = 0;
  bool body_out_end = false;
  bool deferred = false;          // nghttp2 waits for body_out
  // The shell's state for this stream while it serves it (lb/runtime/
  // h2_session's), found from a notice without a lookup; opaque here.
  void* shell = nullptr;

  std::size_t body_out_backlog() const { return body_out.size() - body_out_at; }
};

// What happened to a stream during receive(), for the shell.
struct Notice {
  enum class Kind { request, body, closed } kind;
  std::shared_ptr<Stream> stream;
};

class ServerCodec {
 public:
  explicit ServerCodec(const CodecSettings& settings);
  ~ServerCodec();
  ServerCodec(const ServerCodec&) = delete;
  ServerCodec& operator=(const ServerCodec&) = delete;

  // Feeds BYTES the client sent (the client preface included) at NOW. False
  // when the connection must end (ending() says why); a GOAWAY may be queued.
  bool receive(std::span<const std::uint8_t> bytes, SteadyTime now);
  // What receive() found since the last call.
  std::vector<Notice> take_notices() { return std::exchange(notices_, {}); }

  // Appends frames to send to OUT, up to about MAX bytes; returns how many.
  std::size_t output(std::string& out, std::size_t max);
  // Whether the connection is still wanted (false after GOAWAY both ways or
  // a fatal error, once output() has drained).
  bool alive() const;
  Ending ending() const { return ending_; }
  // Streams open (requests being served).
  std::size_t open_streams() const { return streams_.size(); }

  // The response to STREAM: STATUS and FIELDS (lower-case names, allowed
  // over HTTP/2; nghttp2 copies them); a body follows through
  // append_body()/end_body() unless HAS_BODY is false.
  void respond(Stream& stream, unsigned status, std::span<const FieldView> fields, bool has_body);
  void respond(Stream& stream, unsigned status, std::initializer_list<FieldView> fields, bool has_body) {
    respond(stream, status, std::span<const FieldView>(fields.begin(), fields.size()), has_body);
  }
  void append_body(Stream& stream, std::string_view bytes);
  void end_body(Stream& stream);
  // Resets STREAM with CODE (RFC 9113 §7), e.g. INTERNAL_ERROR when the
  // server's response broke after its header went out.
  void reset(Stream& stream, std::uint32_t code);
  // N request-body bytes of STREAM were forwarded: the client may send more.
  void consumed(Stream& stream, std::size_t n);
  // A graceful GOAWAY (drain): no new streams, open ones finish.
  void shutdown();
  // The count of streams the client reset (for counters).
  std::uint64_t client_resets() const { return client_resets_; }

 private:
  friend struct Callbacks;
  void end(Ending why, std::uint32_t code);
  void stream_closed(std::int32_t id, std::uint32_t code);
  void resume(Stream& stream);

  CodecSettings settings_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  std::vector<Notice> notices_;
  std::vector<nghttp2_nv> nva_;  // respond()'s, kept for its capacity
  ResetFloodGuard resets_;
  HeaderBlockGuard header_blocks_;
  ControlFloodGuard control_;
  SteadyTime now_{};
  Ending ending_ = Ending::none;
  std::uint64_t client_resets_ = 0;
};

}  // namespace tandem::lb::h2
