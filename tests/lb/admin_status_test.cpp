// Tests for the proxy's typed self-report (lb/admin/status_report.h), its
// JSON rendering (lb/admin/status_json.h) and the admin routes that serve
// both (lb/admin/admin_server.h, route_admin_request).
#include <boost/test/unit_test.hpp>

#include <chrono>

#include <boost/json/parse.hpp>

#include "common/control/proxy_status.h"
#include "config/loader.h"
#include "lb/admin/admin_server.h"
#include "lb/admin/status_json.h"
#include "lb/admin/status_report.h"

namespace tandem::lb {
namespace {

constexpr std::string_view kCluster = R"(
name: "test"
nodes { name: "edge1" address: "127.0.0.1" proxy_admin: "127.0.0.1:9100" }
listeners { name: "web" bind: "127.0.0.1:8080" mode: HTTP pool: "app" }
listeners { name: "raw" bind: "127.0.0.1:8081" mode: TCP pool: "api" }
pools {
  name: "app"
  servers { name: "app1" address: "127.0.0.1:9001" }
  servers { name: "app2" address: "127.0.0.1:9002" weight: 3 state: DRAIN }
  stickiness { kind: LEARN_COOKIE cookie: "SRV" max_entries: 16 }
}
pools {
  name: "api"
  algorithm: LEAST_CONNECTIONS
  servers { name: "api1" address: "127.0.0.1:9101" }
}
)";

std::shared_ptr<Generation> generation() {
  const auto loaded = config::parse_cluster_text(kCluster, "test.conf");
  BOOST_REQUIRE(loaded.cluster);
  return build_generation(*loaded.cluster, "edge1", nullptr, 4);
}

const ProcessFacts kFacts{.node = "edge1", .workers = 2, .open_connections = 9};

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_status)

BOOST_AUTO_TEST_CASE(the_report_types_every_state) {
  auto gen = generation();
  const auto now = std::chrono::steady_clock::now();
  gen->pool("app")->set_healthy(0, false, now, "test");
  const auto r = status_report(*gen, kFacts, now);
  BOOST_TEST(r.node() == "edge1");
  BOOST_TEST(r.cluster() == "test");
  BOOST_TEST(r.generation() == 4u);
  BOOST_TEST(r.workers() == 2u);
  BOOST_TEST(r.open_connections() == 9u);
  BOOST_REQUIRE(r.listeners_size() == 2);
  BOOST_TEST(r.listeners(0).mode() == wire::LISTENER_MODE_HTTP);
  BOOST_TEST(r.listeners(1).mode() == wire::LISTENER_MODE_TCP);
  BOOST_REQUIRE(r.pools_size() == 2);
  const auto& app = r.pools(0);
  BOOST_TEST(app.name() == "app");
  BOOST_REQUIRE(app.servers_size() == 2);
  BOOST_TEST(app.servers(0).health() == wire::SERVER_HEALTH_DOWN);
  BOOST_TEST(app.servers(0).admin_state() == wire::SERVER_ADMIN_READY);
  BOOST_TEST(app.servers(1).health() == wire::SERVER_HEALTH_UP);
  BOOST_TEST(app.servers(1).admin_state() == wire::SERVER_ADMIN_DRAIN);
  BOOST_TEST(app.servers(1).weight() == 3u);
  BOOST_TEST(!app.servers(1).takes_new());
  BOOST_TEST(app.has_stick_entries());
  BOOST_TEST(!r.pools(1).has_stick_entries());  // no stickiness: absent, not 0
  BOOST_TEST(r.pools(1).algorithm() == "least_connections");
}

BOOST_AUTO_TEST_CASE(the_json_keeps_its_keys_and_spellings) {
  wire::ProxyStatusReport r;
  r.set_node("edge1");
  r.set_cluster("c");
  r.set_workers(2);
  r.set_generation(3);
  r.set_open_connections(1);
  auto* l = r.add_listeners();
  l->set_name("web");
  l->set_bind("0.0.0.0:80");
  l->set_mode(wire::LISTENER_MODE_HTTP);
  l->set_pool("app");
  l->set_active(2);
  l->set_requests(10);
  l->set_max_connections(100);
  auto* p = r.add_pools();
  p->set_name("app");
  p->set_algorithm("ROUND_ROBIN");
  p->set_servers_up(0);
  auto* s = p->add_servers();
  s->set_name("a");
  s->set_address("10.0.0.1:80");
  s->set_weight(1);
  s->set_admin_state(wire::SERVER_ADMIN_MAINTENANCE);
  s->set_health(wire::SERVER_HEALTH_UP);
  s->set_requests(5);
  p->set_stick_entries(0);
  BOOST_TEST(status_json(r) ==
             R"({"node":"edge1","cluster":"c","workers":2,"generation":3,"draining":false,"open_connections":1,)"
             R"("fd_limit":0,"fds_needed":0,)"
             R"("listeners":[{"name":"web","bind":"0.0.0.0:80","mode":"HTTP","pool":"app","active":2,"requests":10,)"
             R"("max_connections":100}],"pools":[{"name":"app","algorithm":"ROUND_ROBIN","servers_up":0,)"
             R"("panic":false,"servers":[{"name":"a","address":"10.0.0.1:80","weight":1,"admin_state":"MAINTENANCE",)"
             R"("health":"UP","ejected":false,"takes_new":false,"active":0,"requests":5,"failures":0,"ejections":0}],)"
             R"("stick_entries":0,"server_set":{"version":0,"digest":""}}]})"
             "\n");
  wire::StickTableReport t;
  t.set_pool("app");
  auto* e = t.add_entries();
  e->set_key("k1");
  e->set_server("a");
  e->set_ttl_remaining_ms(1500);
  e->set_origin("edge2");
  BOOST_TEST(stick_json(t) ==
             R"({"pool":"app","entries":[{"key":"k1","server":"a","ttl_remaining_ms":1500,"origin":"edge2"}]})"
             "\n");
}

BOOST_AUTO_TEST_CASE(status_is_json_by_default_and_typed_when_asked) {
  auto gen = generation();
  const auto as_json = route_admin_request("GET", "/status", *gen, kFacts);
  BOOST_TEST(as_json.status == 200u);
  BOOST_TEST(as_json.content_type == "application/json");
  const auto v = boost::json::parse(as_json.body).as_object();
  BOOST_TEST(v.at("node").as_string() == "edge1");
  BOOST_TEST(v.at("pools").as_array().at(0).as_object().at("servers").as_array().at(1).as_object().at(
                 "admin_state").as_string() == "DRAIN");

  const auto typed = route_admin_request("GET", "/status", *gen, kFacts, control::kProtobufMediaType);
  BOOST_TEST(typed.status == 200u);
  BOOST_TEST(typed.content_type == std::string(control::kProtobufMediaType));
  wire::ProxyStatusReport r;
  BOOST_REQUIRE(r.ParseFromString(typed.body));
  BOOST_TEST(r.node() == "edge1");
  BOOST_TEST(r.pools(0).servers(1).admin_state() == wire::SERVER_ADMIN_DRAIN);
}

BOOST_AUTO_TEST_CASE(stick_tables_typed_and_unknown_pools) {
  auto gen = generation();
  gen->pool("app")->stick_table()->put("cookie-1", "app2", std::chrono::steady_clock::now());
  const auto typed = route_admin_request("GET", "/stick?pool=app", *gen, kFacts, control::kProtobufMediaType);
  BOOST_TEST(typed.status == 200u);
  wire::StickTableReport t;
  BOOST_REQUIRE(t.ParseFromString(typed.body));
  BOOST_TEST(t.pool() == "app");
  BOOST_REQUIRE(t.entries_size() == 1);
  BOOST_TEST(t.entries(0).key() == "cookie-1");
  BOOST_TEST(t.entries(0).server() == "app2");
  const auto none = route_admin_request("GET", "/stick?pool=api", *gen, kFacts);
  BOOST_TEST(none.status == 200u);
  BOOST_TEST(none.body == "{\"pool\":\"api\",\"entries\":[]}\n");
  const auto unknown = route_admin_request("GET", "/stick?pool=nope", *gen, kFacts, control::kProtobufMediaType);
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST(unknown.body == "no pool 'nope'\n");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
