// Tests for lbctl's text rendering: ctl/table.h (columns, colour only on
// the text) and ctl/views.h (the servers and events tables, the status
// header and warnings), from hand-written views.
#include <boost/test/unit_test.hpp>

#include <boost/json/parse.hpp>

#include "ctl/table.h"
#include "ctl/views.h"

namespace tandem::ctl {
namespace {

boost::json::object view(const char* text) { return boost::json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(ctl_views)

BOOST_AUTO_TEST_CASE(tables_align_columns_and_paint_only_text) {
  Table t({"A", "LONGER"});
  t.add({Cell{"xyz", ""}, Cell{"1", sgr::red}});
  BOOST_TEST(t.render(false) == "A    LONGER\nxyz  1\n");
  BOOST_TEST(t.render(true) == "\033[1mA\033[0m    \033[1mLONGER\033[0m\nxyz  \033[31m1\033[0m\n");
  BOOST_TEST(Table({"X"}).empty());
}

BOOST_AUTO_TEST_CASE(servers_rows_and_errors) {
  const auto v = view(R"({"servers":[{"node":"edge1","pool":"web","server":"a","address":"10.0.0.1:80",
    "admin_state":"DRAIN","health":"DOWN","weight":2,"active":0,"requests_per_s":null,"requests":7,
    "failures":1,"ejected":false}],"errors":["edge2 unreachable: timeout"],"exit_code":2})");
  const auto text = render_servers(v, false);
  BOOST_TEST(text.find("!!! edge2 unreachable: timeout\n") == 0u);
  BOOST_TEST(text.find("edge1  web   a       10.0.0.1:80  DRAIN  DOWN    2       0       -      7         1         no") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(events_keep_the_last_few) {
  const auto none = render_events(boost::json::array{}, 5, false);
  BOOST_TEST(none == "no transitions\n");
  const auto events = boost::json::parse(R"([
    {"at_unix_ms":1000,"node":"edge1","instance":"www","from":"BACKUP","to":"MASTER","cause":"first"},
    {"at_unix_ms":2000,"node":"edge2","instance":"www","from":"MASTER","to":"BACKUP","cause":"second"}])")
                          .as_array();
  const auto text = render_events(events, 1, false);
  BOOST_TEST(text.find("second") != std::string::npos);
  BOOST_TEST(text.find("first") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_shows_health_and_warnings) {
  const auto v = view(R"({"cluster":"c","generated_unix_ms":0,"health":"degraded","exit_code":1,
    "warnings":["NO MASTER for instance www"],"nodes":[{"node":"edge1","reachable":false,"error":"x"}],
    "instances":[{"name":"www","masters":[],"vips":["198.18.0.100/24"],"vip_holders":[],"nodes":[]}]})");
  const auto text = render_status(v, false);
  BOOST_TEST(text.find("Cluster c   DEGRADED ") == 0u);
  BOOST_TEST(text.find("!!! NO MASTER for instance www !!!") != std::string::npos);
  BOOST_TEST(text.find("edge1  unreachable") != std::string::npos);
  BOOST_TEST(text.find("www       NONE    198.18.0.100/24  nobody") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ctl
