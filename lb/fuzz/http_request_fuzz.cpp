// libFuzzer target: arbitrary bytes through Beast's request parser with hard
// caps, then screen_request and the other lb/http pieces, as the runtime uses
// them. It must never crash, leak or break an invariant (checked with trap).
// Build: cmake/TandemFuzz.cmake (Boost's asserts stay on and trap, see
// common/fuzz/support/boost_assert_handler.cpp);
// run: ./http_request_fuzz -max_len=16384 lb/fuzz/corpus/http_request_fuzz
#include "lb/http/cookies.h"
#include "lb/http/error_response.h"
#include "lb/http/forwarded.h"
#include "lb/http/hop_by_hop.h"
#include "lb/http/request_screen.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#ifndef BOOST_ENABLE_ASSERT_HANDLER
#error "build the fuzz target with -DBOOST_ENABLE_ASSERT_HANDLER (cmake/TandemFuzz.cmake)"
#endif

namespace {

namespace bhttp = boost::beast::http;
namespace lbh = tandem::lb::http;

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

// Runs the per-request pieces on an accepted header.
void exercise(const bhttp::request_header<>& parsed, const lbh::Verdict& verdict) {
  auto req = parsed;
  if (verdict.ok()) {
    // An accepted request has one unambiguous framing.
    check(!(req.count(bhttp::field::content_length) > 0 &&
            req.count(bhttp::field::transfer_encoding) > 0));
    check(req.version() == 10 || req.version() == 11);
    // Agreeing Content-Length values fold to exactly one field (RFC 9110 §8.6);
    // a 100-continue expectation is never forwarded.
    lbh::RequestFacts facts;
    if (lbh::screen_request(req, lbh::Limits{.max_header_count = SIZE_MAX}, facts).ok()) {
      check(lbh::fold_content_length(req) == facts.fold_content_length);
      if (facts.fold_content_length) check(req.count(bhttp::field::content_length) == 1);
      check(lbh::drop_expect_continue(req) == facts.expect_continue);
      for (auto const& f : req) check(f.name() != bhttp::field::expect || !lbh::is_100_continue(f.value()));
    }
  }
  (void)lbh::connection_intent(req.version(), req);
  (void)lbh::strip_hop_by_hop(req);
  check(req.count(bhttp::field::connection) == 0);
  lbh::add_forwarding_headers(req, boost::asio::ip::make_address("2001:db8::7"), "http", "_lb");
  check(req.count("X-Forwarded-For") == 1 && req.count("Forwarded") == 1);
  (void)lbh::find_cookie(req, "SRV");
  lbh::strip_cookie(req, "SRV");
  check(!lbh::find_cookie(req, "SRV"));
  lbh::set_connection(req, true);

  bhttp::response_header<> res;
  res.version(req.version());
  res.result(200);
  for (auto const& f : parsed)  // the request's fields as a response's, for the response side
    res.insert(f.name_string(), f.value());
  auto const server = lbh::strip_hop_by_hop(res);
  (void)lbh::response_framing(req, res);
  (void)lbh::keep_client_alive(server, req, res);
  (void)lbh::keep_server_alive(server, req, res);
  (void)lbh::find_set_cookie(res, "SRV");
}

// Parses one request from the front of `in`; returns false when the
// connection would close. `step` feeds the parser a few bytes at a time.
bool one_request(std::string_view& in, std::size_t step, const lbh::Limits& limits) {
  bhttp::request_parser<bhttp::string_body> parser;
  lbh::apply_limits(parser, limits);
  parser.eager(true);
  std::string pending;
  bool screened = false;
  for (;;) {
    auto const take = std::min(step, in.size());
    pending.append(in.substr(0, take));
    in.remove_prefix(take);
    boost::system::error_code ec;
    while (!pending.empty() && !parser.is_done()) {
      auto const used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == bhttp::error::need_more) break;
      if (ec) {
        auto const v = lbh::classify_parse_error(ec, pending);
        check(v.has_value() && !v->ok());
        (void)lbh::error_response(v->status, {.keep_alive = false, .head_request = false});
        return false;
      }
      if (parser.is_header_done() && !screened) {
        screened = true;
        auto const verdict = lbh::screen_request(parser.get().base(), limits);
        exercise(parser.get().base(), verdict);
        if (!verdict.ok()) {
          check(!verdict.reason.empty());
          (void)lbh::error_response(verdict.status, {.keep_alive = false, .head_request = true});
          return false;
        }
      }
      if (used == 0) break;
    }
    if (parser.is_done()) break;
    if (in.empty()) {
      parser.put_eof(ec);
      if (ec) check(lbh::classify_parse_error(ec, pending).has_value());
      return false;
    }
  }
  if (!screened) {  // a header-only request completed in one put
    auto const verdict = lbh::screen_request(parser.get().base(), limits);
    exercise(parser.get().base(), verdict);
    if (!verdict.ok()) return false;
  }
  auto const& req = parser.get();
  if (req.count(bhttp::field::content_length) > 0 && !parser.chunked())
    check(parser.content_length() && req.body().size() == *parser.content_length());
  // Bytes fed but not consumed start the next request: they sit just before `in`.
  in = std::string_view(in.data() - pending.size(), in.size() + pending.size());
  return lbh::connection_intent(req.version(), req).keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks how many bytes each put() gets (1..32 or all at once).
  std::size_t const step = data[0] < 32 ? data[0] + 1u : SIZE_MAX;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  lbh::Limits limits;
  limits.max_header_bytes = 4096;
  limits.max_header_count = 32;
  limits.max_body_bytes = 8192;
  // Pipelined requests on one connection, as keep-alive would read them.
  for (int i = 0; i < 4 && !in.empty(); ++i)
    if (!one_request(in, step, limits)) break;
  return 0;
}
