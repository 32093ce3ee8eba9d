// The proxy's link to its agent (lb/agent_link/agent_link.h) at exit: the
// proxy drops the link in stop() and the control loop's handlers, the link's
// suspended coroutines among them, are destroyed later. Their frames must
// not write into the link by then (the send loop's timer pointer did: a
// write into freed memory at every stop of a proxy connected to its agent).
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>

#include "lb/agent_link/agent_link.h"

namespace tandem::lb {

BOOST_AUTO_TEST_SUITE(agent_link_exit)

BOOST_AUTO_TEST_CASE(frames_destroyed_after_the_link_leave_its_memory_alone) {
  using local = asio::local::stream_protocol;
  const std::string path = "/tmp/tandem-agent-link-test-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  // The link lives in storage the test owns, so what is written there after
  // its destructor ran can be seen (a heap block would be freed).
  alignas(AgentLink) unsigned char storage[sizeof(AgentLink)];
  std::optional<asio::io_context> io(std::in_place);
  std::optional<local::acceptor> agent(std::in_place, *io, local::endpoint(path));
  std::optional<local::socket> agent_side(std::in_place, *io);
  bool connected = false;
  agent->async_accept(*agent_side, [&](boost::system::error_code ec) { connected = !ec; });

  auto* link = new (storage) AgentLink(*io, path, std::chrono::milliseconds(20), [] { return wire::ProxyHeartbeat{}; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!connected && std::chrono::steady_clock::now() < deadline) io->run_one_for(std::chrono::milliseconds(10));
  BOOST_REQUIRE(connected);
  io->run_for(std::chrono::milliseconds(60));  // heartbeats sent; both loops wait
  BOOST_REQUIRE(agent_side->available() > 0);

  // As Proxy's stop() does: the link goes, its coroutines stay suspended.
  link->~AgentLink();
  std::memset(storage, 0xA5, sizeof storage);
  agent_side.reset();
  agent.reset();
  io.reset();  // destroys the suspended frames
  BOOST_TEST(std::all_of(std::begin(storage), std::end(storage), [](unsigned char b) { return b == 0xA5; }),
             "a coroutine frame wrote into the link after it was destroyed");
  ::unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
