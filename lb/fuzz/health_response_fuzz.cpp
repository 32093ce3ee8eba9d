// libFuzzer target for the answers to HTTP health checks
// (lb/health/probe_response.h, read by lb/runtime/health_checker.cpp): any
// server on a pool's address can send anything. The first byte picks how
// many bytes each put() gets and the check's expect_status; the rest is the
// answer, then the close. Checked: a parse error or a verdict, never both
// missing; a body within the limit; the verdict "" exactly when the status
// passes.
// run: ./health_response_fuzz -max_len=70000 lb/fuzz/corpus/health_response_fuzz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "lb/health/probe_response.h"

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

// The server closed: as Beast's async_read reports it.
void close(tandem::lb::ProbeResponse::Parser& parser, boost::system::error_code& ec) {
  if (!parser.got_some()) {
    ec = boost::beast::http::error::end_of_stream;
    return;
  }
  parser.put_eof(ec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = (data[0] & 0x1f) == 0 ? SIZE_MAX : (data[0] & 0x1f);
  tandem::config::EffectiveHealthCheck check_config;
  check_config.expect_status = (data[0] & 0x20) ? 204 : 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  tandem::lb::ProbeResponse response;
  auto& parser = response.parser();
  boost::system::error_code ec;
  std::string_view pending;  // fed but not consumed
  for (int round = 0; !parser.is_done() && !ec; ++round) {
    check(round <= 2 * static_cast<int>(size) + 4);  // every put makes progress or asks for more
    if (in.empty() && pending.empty()) {
      close(parser, ec);
      break;
    }
    const auto take = std::min(step, in.size());
    pending = std::string_view(in.data() - pending.size(), pending.size() + take);
    in.remove_prefix(take);
    const auto used = parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
    pending.remove_prefix(used);
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      if (in.empty()) {  // nothing more will come
        close(parser, ec);
        break;
      }
    }
  }
  if (ec) return 0;  // the checker reports "response: <error>"
  check(parser.is_done());
  check(parser.get().body().size() <= tandem::lb::ProbeResponse::kBodyLimit);
  const unsigned status = parser.get().result_int();
  const auto verdict = response.verdict(check_config);
  const bool passes = check_config.expect_status ? status == 204 : (status >= 200 && status < 400);
  check(verdict.empty() == passes);
  return 0;
}
