// Tests for ctl/forwarded.h: how lbctl words what a node answered to a
// request it forwarded to its lb-proxy (drain/disable/enable, stick).
#include <boost/test/unit_test.hpp>

#include "ctl/forwarded.h"

namespace tandem::ctl {
namespace {

control::CallResult unreachable() {
  control::CallResult r;
  r.node = "edge1";
  r.error = "no answer within 1000 ms";
  return r;
}

control::CallResult with_proxy(unsigned http_status, const std::string& body, const std::string& error = {}) {
  control::CallResult r;
  r.node = "edge1";
  wire::ControlResponse resp;
  resp.mutable_proxy()->set_http_status(http_status);
  resp.mutable_proxy()->set_body(body);
  resp.mutable_proxy()->set_error(error);
  r.response = resp;
  return r;
}

control::CallResult refused_by_agent(const std::string& error) {
  control::CallResult r;
  r.node = "edge1";
  wire::ControlResponse resp;
  resp.set_error(error);
  r.response = resp;
  return r;
}

control::CallResult table(std::initializer_list<std::pair<const char*, const char*>> entries) {
  auto r = with_proxy(200, "");
  auto* stick = r.response->mutable_proxy()->mutable_stick();
  stick->set_pool("web");
  for (const auto& [key, server] : entries) {
    auto* e = stick->add_entries();
    e->set_key(key);
    e->set_server(server);
    e->set_ttl_remaining_ms(900);
    e->set_origin("edge2");
  }
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ctl_forwarded)

BOOST_AUTO_TEST_CASE(server_state_outcomes) {
  auto o = server_state_outcome(with_proxy(200, "ok\n"), wire::SERVER_ADMIN_DRAIN);
  BOOST_TEST(o.ok);
  BOOST_TEST(o.text == "DRAIN");
  BOOST_TEST(server_state_outcome(with_proxy(200, "ok\n"), wire::SERVER_ADMIN_MAINTENANCE).text == "MAINTENANCE");
  BOOST_TEST(server_state_outcome(with_proxy(200, "ok\n"), wire::SERVER_ADMIN_READY).text == "READY");
  o = server_state_outcome(with_proxy(404, "no pool 'x'\n\n"), wire::SERVER_ADMIN_DRAIN);
  BOOST_TEST(!o.ok);
  BOOST_TEST(o.text == "HTTP 404: no pool 'x'");
  BOOST_TEST(server_state_outcome(with_proxy(0, "", "timeout"), wire::SERVER_ADMIN_DRAIN).text == "proxy unreachable: timeout");
  BOOST_TEST(server_state_outcome(unreachable(), wire::SERVER_ADMIN_DRAIN).text == "unreachable: no answer within 1000 ms");
  BOOST_TEST(server_state_outcome(refused_by_agent("node has no proxy_admin"), wire::SERVER_ADMIN_DRAIN).text ==
             "error: node has no proxy_admin");
  control::CallResult odd;
  odd.response.emplace();
  odd.response->mutable_status();
  BOOST_TEST(server_state_outcome(odd, wire::SERVER_ADMIN_DRAIN).text == "error: unexpected answer");
}

BOOST_AUTO_TEST_CASE(stick_entries_and_the_key_filter) {
  const auto all = stick_outcome(table({{"a", "s1"}, {"b", "s2"}}), std::nullopt);
  BOOST_TEST(all.error.empty());
  BOOST_REQUIRE(all.entries.size() == 2u);
  const auto& e = all.entries[0].as_object();
  BOOST_TEST(e.at("key").as_string() == "a");
  BOOST_TEST(e.at("server").as_string() == "s1");
  BOOST_TEST(e.at("ttl_remaining_ms").to_number<std::uint64_t>() == 900u);
  BOOST_TEST(e.at("origin").as_string() == "edge2");
  const auto one = stick_outcome(table({{"a", "s1"}, {"b", "s2"}}), std::string("b"));
  BOOST_REQUIRE(one.entries.size() == 1u);
  BOOST_TEST(one.entries[0].as_object().at("server").as_string() == "s2");
  BOOST_TEST(stick_outcome(table({{"a", "s1"}}), std::string("zz")).entries.empty());
}

BOOST_AUTO_TEST_CASE(stick_errors) {
  BOOST_TEST(stick_outcome(unreachable(), std::nullopt).error == "unreachable: no answer within 1000 ms");
  BOOST_TEST(stick_outcome(refused_by_agent("stick needs a pool name"), std::nullopt).error ==
             "stick needs a pool name");
  BOOST_TEST(stick_outcome(with_proxy(0, "", "lb-proxy admin 127.0.0.1:9100: timeout"), std::nullopt).error ==
             "lb-proxy admin 127.0.0.1:9100: timeout");
  BOOST_TEST(stick_outcome(with_proxy(404, "no pool"), std::nullopt).error == "proxy answered HTTP 404");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ctl
