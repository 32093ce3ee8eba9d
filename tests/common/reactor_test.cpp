#include "common/reactor.h"

#include <cerrno>

#include <boost/test/unit_test.hpp>

#if defined(TANDEM_IO_URING)
#include <liburing.h>
#endif

namespace {

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(reactor)

BOOST_AUTO_TEST_CASE(names_the_reactor_it_was_built_with) {
#if defined(TANDEM_IO_URING)
  BOOST_TEST(tandem::reactor_name() == "io_uring");
#else
  BOOST_TEST(tandem::reactor_name() == "epoll");
#endif
}

BOOST_AUTO_TEST_CASE(starts_on_this_host) {
  // The test machines allow io_uring (kernel.io_uring_disabled = 0).
  BOOST_TEST(tandem::reactor_problem("test").empty());
}

BOOST_AUTO_TEST_CASE(a_disabled_sysctl_is_named_with_both_ways_out) {
  const auto text = tandem::io_uring_refused_advice("lb-proxy", EPERM, 2);
  BOOST_TEST(has(text, "lb-proxy: "));
  BOOST_TEST(has(text, "Operation not permitted"));
  BOOST_TEST(has(text, "kernel.io_uring_disabled = 2"));
  BOOST_TEST(has(text, "sysctl -w kernel.io_uring_disabled=0"));
  BOOST_TEST(has(text, "-DTANDEM_IO_URING=OFF"));
  BOOST_TEST(!has(text, "seccomp filter refuses"));
}

BOOST_AUTO_TEST_CASE(a_group_restriction_is_named) {
  BOOST_TEST(has(tandem::io_uring_refused_advice("lb-proxy", EPERM, 1), "kernel.io_uring_group"));
}

BOOST_AUTO_TEST_CASE(a_refusal_with_the_sysctl_open_is_blamed_on_seccomp) {
  BOOST_TEST(has(tandem::io_uring_refused_advice("lb-proxy", EPERM, 0), "seccomp filter refuses it"));
  BOOST_TEST(has(tandem::io_uring_refused_advice("lb-proxy", EPERM, std::nullopt), "seccomp filter refuses it"));
}

BOOST_AUTO_TEST_CASE(a_kernel_without_io_uring_is_named) {
  const auto text = tandem::io_uring_refused_advice("ha-agent", ENOSYS, std::nullopt);
  BOOST_TEST(has(text, "ha-agent: "));
  BOOST_TEST(has(text, "CONFIG_IO_URING"));
  BOOST_TEST(has(text, "-DTANDEM_IO_URING=OFF"));
}

BOOST_AUTO_TEST_CASE(locked_memory_is_named) {
  BOOST_TEST(has(tandem::io_uring_refused_advice("lb-proxy", ENOMEM, 0), "RLIMIT_MEMLOCK"));
}

#if defined(TANDEM_IO_URING)
// Asio calls io_uring_queue_init(entries, ring, 0); the build's own
// definition (common/reactor.cpp) adds the flags that spare the worker an
// interrupt per completion (kernel 5.19 and later, as on the test machines).
BOOST_AUTO_TEST_CASE(rings_are_set_up_with_cooperative_task_work) {
  io_uring ring{};
  BOOST_REQUIRE_EQUAL(io_uring_queue_init(8, &ring, 0), 0);
  BOOST_TEST((ring.flags & IORING_SETUP_COOP_TASKRUN) != 0u);
  BOOST_TEST((ring.flags & IORING_SETUP_TASKRUN_FLAG) != 0u);
  io_uring_queue_exit(&ring);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
