// Unit tests for lb/observe: the access log line (access_format), the
// sampler, the termination letters and the timeline's timings.
#include "lb/observe/access_format.h"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

#include "lb/observe/access_sampler.h"
#include "lb/observe/request_timeline.h"
#include "lb/observe/termination.h"

using namespace tandem::lb::observe;
using namespace std::chrono_literals;
using tandem::lb::ResponseFault;
using tandem::lb::UpstreamFailure;

namespace {

AccessRecord http_record() {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point(1796655845123ms);  // 2026-12-07T15:04:05.123Z
  r.client_ip = "198.18.0.9";
  r.client_port = 40000;
  r.listener = "web";
  r.server = "app1";
  r.method = "GET";
  r.path = "/index.html?q=1";
  r.status = 200;
  r.bytes_in = 78;
  r.bytes_out = 5;
  r.request = 12;
  r.connect = 250;
  r.first_byte = 1500;
  r.total = 2001;
  return r;
}

boost::json::object parse_line(const std::string& line) {
  BOOST_REQUIRE(!line.empty());
  BOOST_REQUIRE_EQUAL(line.back(), '\n');
  BOOST_REQUIRE_EQUAL(line.find('\n'), line.size() - 1);  // one line
  return boost::json::parse(line).as_object();
}

std::string format(const AccessRecord& r, std::size_t max_path = 1024) {
  std::string out;
  SecondText seconds;
  append_access_line(out, r, seconds, {.max_path_bytes = max_path});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(observe_access_format)

BOOST_AUTO_TEST_CASE(an_http_line_has_every_field) {
  const auto line = format(http_record());
  const auto o = parse_line(line);
  BOOST_TEST(o.at("time").as_string() == "2026-12-07T15:04:05.123Z");
  BOOST_TEST(o.at("kind").as_string() == "http");
  BOOST_TEST(o.at("client").as_string() == "198.18.0.9");
  BOOST_TEST(o.at("client_port").as_int64() == 40000);
  BOOST_TEST(o.at("listener").as_string() == "web");
  BOOST_TEST(o.at("tls").as_string() == "");
  BOOST_TEST(o.at("sni").as_string() == "");
  BOOST_TEST(o.at("server").as_string() == "app1");
  BOOST_TEST(o.at("method").as_string() == "GET");
  BOOST_TEST(o.at("path").as_string() == "/index.html?q=1");
  BOOST_TEST(!o.contains("path_cut"));
  BOOST_TEST(o.at("status").as_int64() == 200);
  BOOST_TEST(o.at("bytes_in").as_int64() == 78);
  BOOST_TEST(o.at("bytes_out").as_int64() == 5);
  BOOST_TEST(o.at("request_ms").as_double() == 0.012);
  BOOST_TEST(o.at("connect_ms").as_double() == 0.25);
  BOOST_TEST(o.at("first_byte_ms").as_double() == 1.5);
  BOOST_TEST(o.at("total_ms").as_double() == 2.001);
  BOOST_TEST(o.at("term").as_string() == "--");
  BOOST_TEST(!o.contains("stream"));  // HTTP/1.x
}

BOOST_AUTO_TEST_CASE(a_tls_h2_stream_line_names_version_sni_protocol_and_stream) {
  auto r = http_record();
  r.tls_version = "TLSv1.3";
  r.sni = "a.test";
  r.protocol = "HTTP/2";
  r.h2_stream = 4294967295u;  // the widest id fits the line's bound
  const auto o = parse_line(format(r));
  BOOST_TEST(o.at("tls").as_string() == "TLSv1.3");
  BOOST_TEST(o.at("sni").as_string() == "a.test");
  BOOST_TEST(o.at("protocol").as_string() == "HTTP/2");
  BOOST_TEST(o.at("stream").as_int64() == 4294967295);
}

BOOST_AUTO_TEST_CASE(absent_timings_are_null_and_tcp_has_no_method_or_path) {
  auto r = http_record();
  r.tcp = true;
  r.status = 0;
  r.server = "";
  r.connect = kAbsent;
  r.first_byte = kAbsent;
  r.termination = termination_for(UpstreamFailure::no_server);
  const auto o = parse_line(format(r));
  BOOST_TEST(o.at("kind").as_string() == "tcp");
  BOOST_TEST(!o.contains("method"));
  BOOST_TEST(!o.contains("path"));
  BOOST_TEST(o.at("connect_ms").is_null());
  BOOST_TEST(o.at("first_byte_ms").is_null());
  BOOST_TEST(o.at("term").as_string() == "PC");
}

BOOST_AUTO_TEST_CASE(hostile_bytes_stay_inside_their_field) {
  auto r = http_record();
  r.path = "/\"},\"status\":999,\"x\":\"\n{\"forged\":1}\xFF";
  r.method = "G\"ET";
  const auto line = format(r);
  const auto o = parse_line(line);  // still one line, one object
  BOOST_TEST(o.at("status").as_int64() == 200);
  BOOST_TEST(!o.contains("forged"));
  BOOST_TEST(o.at("path").as_string() == "/\"},\"status\":999,\"x\":\"\n{\"forged\":1}\xEF\xBF\xBD");
  BOOST_TEST(o.at("method").as_string() == "G\"ET");
}

BOOST_AUTO_TEST_CASE(a_long_path_is_cut_and_marked) {
  auto r = http_record();
  const std::string long_path = "/" + std::string(5000, 'a');
  r.path = long_path;
  const auto o = parse_line(format(r, 100));
  BOOST_TEST(o.at("path").as_string().size() == 100u);
  BOOST_TEST(o.at("path_cut").as_bool());
}

BOOST_AUTO_TEST_CASE(the_second_text_is_cached_per_second) {
  SecondText s;
  BOOST_TEST(s.at(0) == "1970-01-01T00:00:00");
  BOOST_TEST(s.at(86399) == "1970-01-01T23:59:59");
  BOOST_TEST(s.at(86399) == "1970-01-01T23:59:59");
}

BOOST_AUTO_TEST_CASE(sampling_keeps_one_in_n_and_every_error) {
  AccessSampler sampler(4);
  int kept = 0;
  for (int i = 0; i < 400; ++i) kept += sampler.keep(false);
  BOOST_TEST(kept == 100);
  for (int i = 0; i < 10; ++i) BOOST_TEST(sampler.keep(true));
  AccessSampler all(0);
  for (int i = 0; i < 10; ++i) BOOST_TEST(all.keep(false));
}

BOOST_AUTO_TEST_CASE(errors_and_abnormal_ends_are_always_logged) {
  AccessRecord r;
  r.status = 200;
  BOOST_TEST(!always_logged(r));
  r.status = 404;
  BOOST_TEST(!always_logged(r));  // 4xx are sampled: a scanner cannot defeat sampling
  r.status = 502;
  BOOST_TEST(always_logged(r));
  r.status = 200;
  r.termination = {'C', 'D'};
  BOOST_TEST(always_logged(r));
}

BOOST_AUTO_TEST_CASE(termination_letters) {
  BOOST_TEST((termination_for(UpstreamFailure::none) == kNormal));
  BOOST_TEST((termination_for(UpstreamFailure::queue_full) == Termination{'P', 'Q'}));
  BOOST_TEST((termination_for(UpstreamFailure::queue_timeout) == Termination{'s', 'Q'}));
  BOOST_TEST((termination_for(UpstreamFailure::connect_failed) == Termination{'S', 'C'}));
  BOOST_TEST((termination_for(ResponseFault::timeout) == Termination{'s', 'H'}));
  BOOST_TEST((termination_for(ResponseFault::closed) == Termination{'S', 'H'}));
  // The request body: reading it failed (the client), writing it failed (the server).
  BOOST_TEST((termination_in_body(true, true, false) == Termination{'C', 'D'}));
  BOOST_TEST((termination_in_body(true, false, false) == Termination{'S', 'D'}));
  // The response body: reading it failed (the server), writing it failed (the client).
  BOOST_TEST((termination_in_body(false, true, true) == Termination{'s', 'D'}));
  BOOST_TEST((termination_in_body(false, false, false) == Termination{'C', 'D'}));
}

BOOST_AUTO_TEST_CASE(the_timeline_fills_the_reached_phases_only) {
  using T = RequestTimeline::Time;
  RequestTimeline t;
  t.start = T(10s);
  t.header = T(10s + 1ms);
  t.connect_begin = T(10s + 2ms);
  t.connected = T(10s + 5ms);
  AccessRecord r;
  t.fill(r, T(10s + 7ms));
  BOOST_TEST(r.request == 1000);
  BOOST_TEST(r.connect == 3000);
  BOOST_TEST(r.first_byte == kAbsent);
  BOOST_TEST(r.total == 7000);

  PhaseHistograms h;
  t.observe_into(h, T(10s + 7ms));
  BOOST_TEST(h.duration.snapshot().count() == 1u);
  BOOST_TEST(h.connect.snapshot().count() == 1u);
  BOOST_TEST(h.first_byte.snapshot().count() == 0u);
}

BOOST_AUTO_TEST_CASE(histogram_buckets_sum_over_shards) {
  LatencyHistogram h;
  set_histogram_shard(0);
  h.observe(400us);   // le 0.0005
  h.observe(500us);   // le 0.0005 (the bound is inclusive)
  set_histogram_shard(3);
  h.observe(2ms);     // le 0.0025
  h.observe(61s);     // +Inf
  set_histogram_shard(0);
  const auto s = h.snapshot();
  BOOST_TEST(s.buckets[0] == 2u);
  BOOST_TEST(s.buckets[2] == 1u);
  BOOST_TEST(s.buckets.back() == 1u);
  BOOST_TEST(s.count() == 4u);
  BOOST_TEST(s.sum_seconds == 61.0029, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
