// Boost's assertion handler for the fuzz targets (they are compiled with
// BOOST_ENABLE_ASSERT_HANDLER, see cmake/TandemFuzz.cmake): a failed
// BOOST_ASSERT is a finding, so it traps where libFuzzer sees it.
#include <cstdio>
#include <string_view>

namespace boost {

// Any failed Boost assertion is a finding, except one: Beast 1.81 asserts
// n >= 5 in parse_chunk_header when the bytes after a last chunk ("0\r\n")
// arrive one at a time; the code after it is right and release builds skip
// it (boostorg/beast#2861, fixed in Boost 1.86).
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::string_view(expr) == "n >= 5" && std::string_view(function).find("parse_chunk_header") !=
                                                 std::string_view::npos)
    return;
  std::fprintf(stderr, "%s:%ld: %s: assertion failed: %s\n", file, line, function, expr);
  __builtin_trap();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: assertion failed: %s (%s)\n", file, line, function, expr, msg);
  __builtin_trap();
}

}  // namespace boost
