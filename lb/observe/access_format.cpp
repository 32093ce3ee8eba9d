#include "lb/observe/access_format.h"

#include <charconv>
#include <cstring>

#include "lb/observe/json_text.h"

namespace tandem::lb::observe {

namespace {

// The line is written through a pointer into space reserved for its worst
// case, then the string is cut to what was written: one size check per
// line instead of one per field (std::string's appends cost ~40
// instructions each, most of a line's cost when measured with callgrind).
struct Writer {
  char* p;

  template <std::size_t N>
  void lit(const char (&literal)[N]) {
    std::memcpy(p, literal, N - 1);
    p += N - 1;
  }
  void raw(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void uint(std::uint64_t v) { p = std::to_chars(p, p + 20, v).ptr; }
  void three_digits(unsigned v) {
    p[0] = static_cast<char>('0' + v / 100);
    p[1] = static_cast<char>('0' + v / 10 % 10);
    p[2] = static_cast<char>('0' + v % 10);
    p += 3;
  }
  // Microseconds as milliseconds with three decimals, or null when absent.
  void millis(Micros us) {
    if (us < 0) {
      lit("null");
      return;
    }
    const auto u = static_cast<std::uint64_t>(us);
    uint(u / 1000);
    *p++ = '.';
    three_digits(static_cast<unsigned>(u % 1000));
  }
  bool string(std::string_view text, std::size_t max = std::string_view::npos) {
    bool cut = false;
    p = write_json_string(p, text, max, cut);
    return cut;
  }
};

constexpr std::size_t kSniMax = 255;  // a DNS name is at most 253 bytes
constexpr std::size_t kMethodMax = 32;
constexpr std::size_t kProtocolMax = 16;
// Everything but the strings: field names, numbers, punctuation (about 330 bytes).
constexpr std::size_t kFixedBound = 640;

}  // namespace

const std::string& SecondText::at(std::time_t seconds) {
  if (seconds != cached_) {
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    text_.assign(buf, n);
    cached_ = seconds;
  }
  return text_;
}

void append_access_line(std::string& out, const AccessRecord& r, SecondText& seconds, const FormatLimits& limits) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<milliseconds>(r.time.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(since_epoch / 1000);
  const auto& second_text = seconds.at(secs);
  const std::size_t bound = kFixedBound + second_text.size() + json_string_bound(r.client_ip, 64) +
                            json_string_bound(r.listener, std::string_view::npos) +
                            json_string_bound(r.tls_version, std::string_view::npos) +
                            json_string_bound(r.sni, kSniMax) + json_string_bound(r.server, std::string_view::npos) +
                            json_string_bound(r.protocol, kProtocolMax) + json_string_bound(r.method, kMethodMax) + json_string_bound(r.path, limits.max_path_bytes);
  const auto old = out.size();
  out.resize(old + bound);
  Writer w{out.data() + old};
  w.lit("{\"time\":\"");
  w.raw(second_text);
  *w.p++ = '.';
  w.three_digits(static_cast<unsigned>(since_epoch % 1000));
  w.lit("Z\",\"kind\":");
  if (r.tcp) {
    w.lit("\"tcp\"");
  } else {
    w.lit("\"http\"");
  }
  w.lit(",\"client\":");
  w.string(r.client_ip, 64);
  w.lit(",\"client_port\":");
  w.uint(r.client_port);
  w.lit(",\"listener\":");
  w.string(r.listener);
  w.lit(",\"tls\":");
  w.string(r.tls_version);
  w.lit(",\"sni\":");
  w.string(r.sni, kSniMax);
  w.lit(",\"server\":");
  w.string(r.server);
  if (!r.tcp) {
    w.lit(",\"protocol\":");
    w.string(r.protocol, kProtocolMax);
    if (r.h2_stream != 0) {
      w.lit(",\"stream\":");
      w.uint(r.h2_stream);
    }
    w.lit(",\"method\":");
    w.string(r.method, kMethodMax);
    w.lit(",\"path\":");
    if (w.string(r.path, limits.max_path_bytes)) w.lit(",\"path_cut\":true");
  }
  w.lit(",\"status\":");
  w.uint(r.status);
  w.lit(",\"bytes_in\":");
  w.uint(r.bytes_in);
  w.lit(",\"bytes_out\":");
  w.uint(r.bytes_out);
  w.lit(",\"request_ms\":");
  w.millis(r.request);
  w.lit(",\"connect_ms\":");
  w.millis(r.connect);
  w.lit(",\"first_byte_ms\":");
  w.millis(r.first_byte);
  w.lit(",\"total_ms\":");
  w.millis(r.total);
  w.lit(",\"term\":\"");
  // Both letters come from Termination's fixed set; replaced anyway if not.
  for (char c : {r.termination.who, r.termination.phase}) *w.p++ = (c >= 0x21 && c < 0x7F && c != '"' && c != '\\') ? c : '?';
  w.lit("\"}\n");
  out.resize(static_cast<std::size_t>(w.p - out.data()));
}

}  // namespace tandem::lb::observe
