// Tests for ha/agent/notify.h: the hook's environment and arguments, and a
// real (non-blocking) run through ha/io/child_process.h.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "ha/io/child_process.h"
#include "ha/agent/notify.h"

namespace tandem::ha {
namespace {

using namespace std::chrono_literals;

const NotifyEvent kEvent{"www", "BACKUP", "MASTER", "master_down: no advert from edge1 for 341 ms", "edge2"};

BOOST_AUTO_TEST_SUITE(agent_notify)

BOOST_AUTO_TEST_CASE(environment) {
  const auto env = notify_environment(kEvent);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"TANDEM_INSTANCE", "www"},
      {"TANDEM_OLD_STATE", "BACKUP"},
      {"TANDEM_NEW_STATE", "MASTER"},
      {"TANDEM_REASON", "master_down: no advert from edge1 for 341 ms"},
      {"TANDEM_NODE", "edge2"}};
  BOOST_TEST((env == expected));
}

BOOST_AUTO_TEST_CASE(argv) {
  const std::vector<std::string> expected{"/usr/local/bin/hook", "www", "BACKUP", "MASTER"};
  BOOST_TEST((notify_argv("/usr/local/bin/hook", kEvent) == expected));
}

BOOST_AUTO_TEST_CASE(child_sees_the_environment) {
  asio::io_context io;
  ChildResult got;
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", "test \"$TANDEM_NEW_STATE\" = MASTER && test \"$TANDEM_NODE\" = edge2 && exit 7"};
  spec.extra_env = notify_environment(kEvent);
  spec.timeout = 5s;
  run_child(io, spec, [&](const ChildResult& r) { got = r; });
  io.run();
  BOOST_TEST(got.started);
  BOOST_TEST(got.exit_code == 7);
  BOOST_TEST(!got.ok());
}

BOOST_AUTO_TEST_CASE(timeout_kills_by_pid) {
  asio::io_context io;
  ChildResult got;
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 30"};
  spec.timeout = 100ms;
  const auto start = std::chrono::steady_clock::now();
  run_child(io, spec, [&](const ChildResult& r) { got = r; });
  io.run();
  BOOST_TEST(got.timed_out);
  BOOST_TEST(got.signal == 9);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
}

BOOST_AUTO_TEST_CASE(spawn_failure_is_reported) {
  asio::io_context io;
  ChildResult got;
  got.started = true;
  ChildSpec spec;
  spec.argv = {"/nonexistent/tandem-hook"};
  run_child(io, spec, [&](const ChildResult& r) { got = r; });
  io.run();
  // posix_spawn reports a missing program either as an error or as exit 127.
  BOOST_TEST(!got.ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
