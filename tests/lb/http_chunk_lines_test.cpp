// Unit tests for lb/http/chunk_lines: a bare LF ending a chunk-size line, the
// last chunk or a trailer line is found (RFC 9112 §7.1; we reject it).
#include "lb/http/chunk_lines.h"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

using tandem::lb::http::chunk_lines_have_bare_lf;
using tandem::lb::http::chunk_lines_too_long;
using tandem::lb::http::kMaxChunkLineBytes;
using tandem::lb::http::kMaxChunkTrailerBytes;

BOOST_AUTO_TEST_SUITE(http_chunk_lines)

BOOST_AUTO_TEST_CASE(crlf_lines_pass) {
  BOOST_TEST(!chunk_lines_have_bare_lf(""));
  BOOST_TEST(!chunk_lines_have_bare_lf("5"));
  BOOST_TEST(!chunk_lines_have_bare_lf("5\r"));
  BOOST_TEST(!chunk_lines_have_bare_lf("\r\n5"));               // the CRLF closing the previous chunk
  BOOST_TEST(!chunk_lines_have_bare_lf("\r\n5;ext=1\r"));
  BOOST_TEST(!chunk_lines_have_bare_lf("0\r\nX-Trailer: 1\r\n"));  // trailer still coming
  BOOST_TEST(!chunk_lines_have_bare_lf("0\r\n\r"));
}

BOOST_AUTO_TEST_CASE(a_bare_lf_is_found) {
  BOOST_TEST(chunk_lines_have_bare_lf("\n"));
  BOOST_TEST(chunk_lines_have_bare_lf("5\nhello"));            // chunk-size line
  BOOST_TEST(chunk_lines_have_bare_lf("\r\n5\nhello"));        // after the previous chunk's CRLF
  BOOST_TEST(chunk_lines_have_bare_lf("5;ext=1\n"));           // after an extension
  BOOST_TEST(chunk_lines_have_bare_lf("0\n\n"));               // last chunk
  BOOST_TEST(chunk_lines_have_bare_lf("0\r\n\n"));             // end of the trailer section
  BOOST_TEST(chunk_lines_have_bare_lf("0\r\nX-Trailer: 1\n"));  // trailer line
  BOOST_TEST(chunk_lines_have_bare_lf("0\r\nX-Trailer: 1\r\n\n"));
  static_assert(chunk_lines_have_bare_lf("0\n"));
  static_assert(!chunk_lines_have_bare_lf("0\r\n"));
}

// A chunk line or trailer line with no end in sight is bounded (Beast is not):
// the relay answers 400 instead of reading on until the idle timeout.
BOOST_AUTO_TEST_CASE(long_lines_are_bounded) {
  const std::string at_limit(kMaxChunkLineBytes, 'a');
  BOOST_TEST(!chunk_lines_too_long(""));
  BOOST_TEST(!chunk_lines_too_long("5;ext=" + at_limit.substr(6)));       // unended, at the bound
  BOOST_TEST(chunk_lines_too_long("5;ext=" + at_limit.substr(5)));        // one past it
  BOOST_TEST(chunk_lines_too_long("\r\n" + std::string(kMaxChunkLineBytes + 1, '0')));  // leading zeros
  BOOST_TEST(!chunk_lines_too_long("0\r\nX-T: " + at_limit.substr(5) + "\r\n"));  // trailer line at the bound
  BOOST_TEST(chunk_lines_too_long("0\r\nX-T: " + at_limit + "\r\n"));
  // Many short trailer lines: bounded in all.
  std::string trailers = "0\r\n";
  while (trailers.size() <= kMaxChunkTrailerBytes) trailers += "X-T: 1\r\n";
  BOOST_TEST(chunk_lines_too_long(trailers));
  BOOST_TEST(!chunk_lines_too_long(trailers.substr(0, kMaxChunkTrailerBytes)));
}

BOOST_AUTO_TEST_SUITE_END()
