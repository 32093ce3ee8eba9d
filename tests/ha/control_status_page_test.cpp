// Tests for ha/control/status_page.h: the cluster view is built on the
// page's own thread, and the caller (the agent's loop) is resumed on its own
// io_context with the answer.
#include <boost/test/unit_test.hpp>

#include <thread>

#include <boost/asio/co_spawn.hpp>

#include "ha/control/status_page.h"

using namespace tandem;
using namespace tandem::ha;

namespace {

// Runs PATH through PAGE on a fresh io_context (the "agent loop") and
// returns the reply and the thread the caller was resumed on.
std::pair<std::optional<AdminReply>, std::thread::id> ask(StatusPage& page, std::string path) {
  asio::io_context loop;
  std::optional<AdminReply> reply;
  std::thread::id resumed_on;
  asio::co_spawn(
      loop,
      [&]() -> awaitable<void> {
        reply = co_await page.handle(path);
        resumed_on = std::this_thread::get_id();
      },
      asio::detached);
  loop.run();
  return {reply, resumed_on};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(control_status_page)

BOOST_AUTO_TEST_CASE(cluster_json_resumes_the_caller_on_its_loop) {
  // Node edge2 listens nowhere: its call is refused at once on loopback.
  StatusPage page("lab", {control::Target{"edge2", "127.0.0.1", 1}}, KeyRing{"k", ""}, "edge1");
  const auto [reply, resumed_on] = ask(page, "/cluster.json");
  BOOST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->status == 200u);
  BOOST_TEST(reply->content_type == "application/json");
  BOOST_TEST(reply->body.find("\"cluster\":\"lab\"") != std::string::npos);
  BOOST_TEST(reply->body.find("edge2") != std::string::npos);
  BOOST_TEST((resumed_on == std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(the_page_and_unknown_paths) {
  StatusPage page("lab", {}, KeyRing{"k", ""}, "edge1");
  const auto [html, on1] = ask(page, "/");
  BOOST_REQUIRE(html.has_value());
  BOOST_TEST(html->content_type == "text/html; charset=utf-8");
  const auto [none, on2] = ask(page, "/metrics");
  BOOST_TEST(!none.has_value());  // passed on to the admin handler
}

BOOST_AUTO_TEST_CASE(a_stopped_page_still_serves_its_html) {
  StatusPage page("lab", {}, KeyRing{"k", ""}, "edge1");
  page.stop();
  page.stop();  // idempotent
  const auto [html, on] = ask(page, "/");
  BOOST_TEST(html.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
