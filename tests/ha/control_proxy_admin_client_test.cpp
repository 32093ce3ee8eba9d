// Tests for the pure part of ha/control/proxy_admin_client.h: what the
// proxy's raw admin answer means once the typed report was asked for.
#include <boost/test/unit_test.hpp>

#include "ha/control/proxy_admin_client.h"

namespace tandem::ha {
namespace {

wire::ProxyReply answered(unsigned status, std::string body) {
  wire::ProxyReply r;
  r.set_http_status(status);
  r.set_body(std::move(body));
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_proxy_admin_client)

BOOST_AUTO_TEST_CASE(a_status_report_is_decoded) {
  wire::ProxyStatusReport sent;
  sent.set_node("edge1");
  sent.add_pools()->set_name("web");
  const auto got = status_from_reply(answered(200, sent.SerializeAsString()));
  BOOST_REQUIRE(got.report.has_value());
  BOOST_TEST(got.report->node() == "edge1");
  BOOST_TEST(got.report->pools(0).name() == "web");
  BOOST_TEST(got.error.empty());
}

BOOST_AUTO_TEST_CASE(failures_say_why) {
  wire::ProxyReply unreachable;
  unreachable.set_error("lb-proxy admin 127.0.0.1:9100: Connection refused");
  auto got = status_from_reply(unreachable);
  BOOST_TEST(!got.report.has_value());
  BOOST_TEST(got.error == "lb-proxy admin 127.0.0.1:9100: Connection refused");
  got = status_from_reply(answered(403, "refused"));
  BOOST_TEST(got.error == "HTTP 403");
  got = status_from_reply(answered(200, "\xff\xff\xff not protobuf"));
  BOOST_TEST(!got.report.has_value());
  BOOST_TEST(got.error.find("not a ProxyStatusReport") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stick_table_is_decoded_into_the_reply) {
  wire::StickTableReport table;
  table.set_pool("web");
  table.add_entries()->set_key("k");
  const auto got = stick_from_reply(answered(200, table.SerializeAsString()));
  BOOST_TEST(got.http_status() == 200u);
  BOOST_TEST(got.body().empty());
  BOOST_TEST(got.stick().pool() == "web");
  BOOST_TEST(got.stick().entries(0).key() == "k");
  const auto refused = stick_from_reply(answered(404, "no pool 'x'\n"));
  BOOST_TEST(refused.http_status() == 404u);
  BOOST_TEST(refused.body() == "no pool 'x'\n");
  const auto garbled = stick_from_reply(answered(200, "\xff\xff\xff"));
  BOOST_TEST(garbled.http_status() == 0u);
  BOOST_TEST(garbled.error().find("not a StickTableReport") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
