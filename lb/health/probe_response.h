// The answer to an HTTP health check: how it is parsed and what it says.
// Pure, so the health checker's I/O (lb/runtime/health_checker.cpp) and the
// fuzz target (lb/fuzz/health_response_fuzz.cpp) share the same code.
#pragma once

#include <cstddef>
#include <string>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "config/defaults.h"

namespace tandem::lb {

class ProbeResponse {
 public:
  using Parser = boost::beast::http::response_parser<boost::beast::http::string_body>;

  // The body is read so the connection ends cleanly, but never past this.
  static constexpr std::size_t kBodyLimit = 64 * 1024;

  ProbeResponse() { parser_.body_limit(kBodyLimit); }

  // Feed it the server's bytes (Beast's async_read, or put() and put_eof()).
  Parser& parser() { return parser_; }

  // Once the parser is done: "" when the status passes CHECK (its
  // expect_status, else any 2xx or 3xx), else "status N".
  std::string verdict(const config::EffectiveHealthCheck& check) const;

 private:
  Parser parser_;
};

}  // namespace tandem::lb
