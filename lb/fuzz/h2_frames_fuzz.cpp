// libFuzzer target for the HTTP/2 server codec (lb/h2/server_codec.h): the
// frames come from clients. The input follows the client preface and an
// empty SETTINGS, fed in pieces whose sizes the input's first byte picks.
// Every request the codec announces is answered (a body, no body, a reset
// or a body in two parts, chosen from its stream id), request bodies are
// handed back to flow control, and output() is drained after every piece,
// as the shell does. Checked on every input: a request notice carries a
// header block that ended; a closed notice carries a closed stream that
// owes nothing to flow control; an ended codec refuses more bytes.
// run: ./h2_frames_fuzz -max_len=16384 lb/fuzz/corpus/h2_frames_fuzz
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "lb/h2/server_codec.h"

namespace {

namespace h2 = tandem::lb::h2;

constexpr std::string_view kOpening("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0", 33);

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  h2::CodecSettings settings;
  settings.max_header_list_bytes = 4096;
  settings.max_concurrent_streams = 16;
  settings.max_resets_per_window = 20;
  settings.max_control_frames_per_window = 50;
  h2::ServerCodec codec(settings);
  const std::size_t piece = size ? 1 + data[0] % 64 : 1;
  std::string input(kOpening);
  input.append(reinterpret_cast<const char*>(data), size);
  const auto now = h2::SteadyTime{} + std::chrono::hours(1);
  std::vector<std::shared_ptr<h2::Stream>> live;
  std::string out;
  bool ended = false;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    const auto n = std::min(piece, input.size() - at);
    const bool ok = codec.receive(std::span(reinterpret_cast<const std::uint8_t*>(input.data() + at), n), now);
    if (ended) check(!ok);
    ended = ended || !ok;
    for (auto& notice : codec.take_notices()) {
      auto& s = *notice.stream;
      if (notice.kind == h2::Notice::Kind::closed) check(s.closed && s.body_unconsumed == 0);
      if (notice.kind == h2::Notice::Kind::request) {
        check(s.head_complete);
        switch (s.id % 4) {
          case 0: codec.respond(s, 200, {{"content-type", "text/plain"}}, true); codec.append_body(s, "ok"); codec.end_body(s); break;
          case 1: codec.respond(s, 204, {}, false); break;
          case 2: codec.reset(s, 0x2); break;
          default: codec.respond(s, 200, {}, true); codec.append_body(s, std::string(20000, 'x')); live.push_back(notice.stream); break;
        }
      }
      if (!s.body_in.empty()) {
        codec.consumed(s, s.body_in.size());
        s.body_in.clear();
      }
    }
    out.clear();
    codec.output(out, 1 << 20);
  }
  for (auto& s : live) codec.end_body(*s);
  out.clear();
  codec.output(out, 1 << 20);
  return 0;
}
