// libFuzzer target for the access log's formatting of untrusted bytes
// (lb/observe/json_text.h, access_format.h): a request's method and path
// and a TLS server name come from clients. The input is METHOD '\0' PATH
// '\0' SNI; the first byte of the path bound comes from the input's length.
// Checked on every input: the line is one line ending in '\n', valid
// UTF-8, and parses back as one JSON object whose method and path are the
// input with invalid bytes replaced (U+FFFD), the path cut only when
// longer than the bound and marked so; the other fields are untouched.
// run: ./access_log_fuzz -max_len=4096 lb/fuzz/corpus/access_log_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "lb/observe/access_format.h"
#include "lb/observe/json_text.h"

namespace {

namespace obs = tandem::lb::observe;

void check(bool invariant) {
  if (!invariant) std::abort();
}

std::string_view take_until(std::string_view& in, char sep) {
  const auto at = in.find(sep);
  const auto out = in.substr(0, at);
  in.remove_prefix(at == std::string_view::npos ? in.size() : at + 1);
  return out;
}

// What append_json_string should keep of TEXT: valid sequences as they
// are, each invalid byte as U+FFFD (an independent walk of the same rule).
std::string expected(std::string_view text, std::size_t max, bool& cut) {
  std::string out;
  cut = false;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = obs::utf8_sequence_length(text.substr(i));
    const bool valid = n != 0;
    if (!valid) n = 1;
    if (i + n > max) {
      cut = true;
      break;
    }
    out += valid ? std::string(text.substr(i, n)) : std::string("\xEF\xBF\xBD");
    i += n;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  while (!s.empty()) {
    const auto n = obs::utf8_sequence_length(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto method = take_until(in, '\0');
  const auto path = take_until(in, '\0');
  const auto sni = in;
  const std::size_t max_path = 1 + size % 64;

  obs::AccessRecord r;
  r.client_ip = "198.18.0.9";
  r.client_port = 1234;
  r.listener = "web";
  r.method = method;
  r.path = path;
  r.sni = sni;
  r.status = 200;
  r.total = static_cast<obs::Micros>(size);
  std::string line;
  obs::SecondText seconds;
  obs::append_access_line(line, r, seconds, {.max_path_bytes = max_path});

  check(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1);
  check(valid_utf8(line));
  boost::system::error_code ec;
  const auto value = boost::json::parse(line, ec);
  check(!ec && value.is_object());
  const auto& o = value.as_object();
  bool cut = false;
  check(o.at("method").as_string() == expected(method, 32, cut));
  const auto want_path = expected(path, max_path, cut);
  check(o.at("path").as_string() == want_path);
  check(o.contains("path_cut") == cut);
  check(o.at("sni").as_string() == expected(sni, 255, cut));
  check(o.at("status").as_int64() == 200);
  check(o.at("listener").as_string() == "web");
  check(o.at("term").as_string() == "--");
  return 0;
}
