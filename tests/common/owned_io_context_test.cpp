// An owner empties its io_context of handlers before its other members go
// (common/owned_io_context.h): the frames of coroutines suspended at exit
// are destroyed while what they touch still lives.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/owned_io_context.h"

namespace tandem {
namespace {

namespace asio = boost::asio;
using Events = std::vector<std::string>;

// Appends its name to EVENTS when destroyed.
struct Trace {
  Events& events;
  std::string name;
  ~Trace() { events.push_back(name); }
};

// Shaped like Worker and Agent: the context first, then what its
// handlers' frames touch, then the I/O objects on it.
struct Owner {
  explicit Owner(Events& events, bool destroy_handlers_first)
      : member{events, "member destroyed"}, first(destroy_handlers_first) {}
  ~Owner() {
    if (first) io.destroy_handlers();
  }
  OwnedIoContext io;
  Trace member;
  asio::steady_timer timer{io};
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  bool first;
};

// Suspends on the owner's timer and acceptor (a session waiting for its
// client) until the frame is destroyed, which it records.
asio::awaitable<void> session(Owner& owner, Events& events) {
  Trace frame{events, "frame destroyed"};
  asio::ip::tcp::socket client(owner.io);
  owner.timer.expires_after(std::chrono::hours(1));
  owner.timer.async_wait([](boost::system::error_code) {});
  co_await owner.acceptor.async_accept(client, asio::as_tuple(asio::use_awaitable));
}

Events run_and_destroy(bool destroy_handlers_first) {
  Events events;
  {
    Owner owner(events, destroy_handlers_first);
    asio::co_spawn(owner.io, session(owner, events), asio::detached);
    owner.io.run_for(std::chrono::milliseconds(20));  // suspended in async_accept
    owner.io.stop();
    BOOST_TEST(events.empty());
  }
  return events;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(owned_io_context)

BOOST_AUTO_TEST_CASE(suspended_frames_end_before_the_owners_members) {
  const Events expected{"frame destroyed", "member destroyed"};
  BOOST_TEST(run_and_destroy(true) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_it_the_frames_outlive_the_members) {
  // What the io_context's own destructor does alone: the frame ends after
  // the members it may touch.
  const Events expected{"member destroyed", "frame destroyed"};
  BOOST_TEST(run_and_destroy(false) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(io_objects_and_late_handlers_are_fine_after_it) {
  OwnedIoContext io;
  auto timer = std::make_unique<asio::steady_timer>(io);
  auto held = std::make_shared<int>(0);
  const std::weak_ptr<int> watch = held;
  timer->expires_after(std::chrono::hours(1));
  timer->async_wait([held = std::move(held)](boost::system::error_code) {});
  io.destroy_handlers();
  BOOST_TEST(watch.expired());
  // A timer destroyed after it deregisters cleanly; a handler queued after
  // it is destroyed by the io_context's destructor, never run.
  timer.reset();
  bool ran = false;
  asio::steady_timer late(io);
  late.expires_after(std::chrono::hours(1));
  late.async_wait([&ran](boost::system::error_code) { ran = true; });
  io.destroy_handlers();  // twice is fine
  BOOST_TEST(!ran);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem
