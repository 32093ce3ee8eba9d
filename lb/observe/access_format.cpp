#include "lb/observe/access_format.h"

#include <charconv>

#include "lb/observe/json_text.h"

namespace tandem::lb::observe {

namespace {

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

// Microseconds as milliseconds with three decimals, or null when absent.
void append_millis(std::string& out, Micros us) {
  if (us < 0) {
    out.append("null", 4);
    return;
  }
  const auto u = static_cast<std::uint64_t>(us);
  append_uint(out, u / 1000);
  const unsigned frac = static_cast<unsigned>(u % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

// A field's separator and name, `,"name":`, appended as one literal.
template <std::size_t N>
void key(std::string& out, const char (&literal)[N]) {
  out.append(literal, N - 1);
}

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
  const auto ms = static_cast<unsigned>(since_epoch % 1000);
  key(out, "{\"time\":\"");
  out += seconds.at(secs);
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  out.append("Z\"", 2);
  key(out, ",\"kind\":");
  if (r.tcp) {
    key(out, "\"tcp\"");
  } else {
    key(out, "\"http\"");
  }
  key(out, ",\"client\":");
  append_json_string(out, r.client_ip);
  key(out, ",\"client_port\":");
  append_uint(out, r.client_port);
  key(out, ",\"listener\":");
  append_json_string(out, r.listener);
  key(out, ",\"tls\":");
  append_json_string(out, r.tls_version);
  key(out, ",\"sni\":");
  append_json_string(out, r.sni, 255);  // a DNS name is at most 253 bytes
  key(out, ",\"server\":");
  append_json_string(out, r.server);
  if (!r.tcp) {
    key(out, ",\"method\":");
    append_json_string(out, r.method, 32);
    key(out, ",\"path\":");
    if (append_json_string(out, r.path, limits.max_path_bytes)) {
      key(out, ",\"path_cut\":true");
    }
  }
  key(out, ",\"status\":");
  append_uint(out, r.status);
  key(out, ",\"bytes_in\":");
  append_uint(out, r.bytes_in);
  key(out, ",\"bytes_out\":");
  append_uint(out, r.bytes_out);
  key(out, ",\"request_ms\":");
  append_millis(out, r.request);
  key(out, ",\"connect_ms\":");
  append_millis(out, r.connect);
  key(out, ",\"first_byte_ms\":");
  append_millis(out, r.first_byte);
  key(out, ",\"total_ms\":");
  append_millis(out, r.total);
  key(out, ",\"term\":");
  out += '"';
  // Both letters come from Termination's fixed set; escape anyway.
  for (char c : {r.termination.who, r.termination.phase}) out += (c >= 0x21 && c < 0x7F && c != '"' && c != '\\') ? c : '?';
  out.append("\"}\n", 3);
}

}  // namespace tandem::lb::observe
