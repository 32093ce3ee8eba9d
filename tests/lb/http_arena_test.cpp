// The Arena behind the runtime's header fields: alignment, growth past a
// block, reuse of blocks through the thread's spare list, and Beast's fields
// working on it (the proxy edits fields in place: insert, set, erase).
#include "lb/http/arena.h"
#include "lb/http/arena_fields.h"
#include "lb/http/field_list.h"
#include "lb/http/hop_by_hop.h"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <thread>
#include <tuple>

namespace bhttp = boost::beast::http;
using tandem::lb::http::Arena;
using tandem::lb::http::ArenaAllocator;
using tandem::lb::http::ArenaFields;

BOOST_AUTO_TEST_SUITE(http_arena)

BOOST_AUTO_TEST_CASE(allocations_are_aligned_and_disjoint) {
  Arena arena;
  auto* a = static_cast<char*>(arena.allocate(3, 1));
  auto* b = static_cast<char*>(arena.allocate(8, 8));
  auto* c = static_cast<char*>(arena.allocate(16, 16));
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(b) % 8 == 0u);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(c) % 16 == 0u);
  BOOST_TEST((b >= a + 3));
  BOOST_TEST((c >= b + 8));
  BOOST_TEST(arena.reserved() == Arena::kBlockSize);
}

BOOST_AUTO_TEST_CASE(grows_past_a_block_and_gives_oversized_their_own) {
  Arena arena;
  for (int i = 0; i < 100; ++i) arena.allocate(100, 8);  // 10,000 bytes: three blocks
  BOOST_TEST(arena.reserved() == 3 * Arena::kBlockSize);
  auto* big = static_cast<char*>(arena.allocate(3 * Arena::kBlockSize, 8));
  big[3 * Arena::kBlockSize - 1] = 'x';  // all of it is ours
  BOOST_TEST(arena.reserved() == 6 * Arena::kBlockSize);
  arena.reset();
  BOOST_TEST(arena.reserved() == 0u);
}

BOOST_AUTO_TEST_CASE(the_last_allocation_can_be_given_back) {
  Arena arena;
  void* a = arena.allocate(64, 8);
  arena.deallocate(a, 64);
  BOOST_TEST(arena.allocate(64, 8) == a);
  void* b = arena.allocate(64, 8);
  arena.deallocate(a, 64);  // not the last: kept until reset
  BOOST_TEST(arena.allocate(8, 8) != a);
  BOOST_TEST(b != a);
}

BOOST_AUTO_TEST_CASE(blocks_are_reused_through_the_thread_spare_list) {
  // A fresh thread: its spare list starts empty.
  std::thread([] {
    BOOST_TEST(Arena::spare_blocks() == 0u);
    void* first = nullptr;
    {
      Arena arena;
      first = arena.allocate(10, 8);
    }
    BOOST_TEST(Arena::spare_blocks() == 1u);
    {
      Arena arena;
      BOOST_TEST(arena.allocate(10, 8) == first);  // the same block, no malloc
      BOOST_TEST(Arena::spare_blocks() == 0u);
      arena.allocate(2 * Arena::kBlockSize, 8);  // oversized: freed, not kept
    }
    BOOST_TEST(Arena::spare_blocks() == 1u);
    {
      // The list is bounded.
      Arena arenas[Arena::kMaxSpares + 5];
      for (auto& a : arenas) a.allocate(10, 8);
    }
    BOOST_TEST(Arena::spare_blocks() == Arena::kMaxSpares);
  }).join();
}

BOOST_AUTO_TEST_CASE(beast_fields_parse_and_edit_in_an_arena) {
  Arena arena;
  bhttp::parser<false, bhttp::string_body, ArenaAllocator<char>> parser(
      std::piecewise_construct, std::make_tuple(), std::make_tuple(ArenaAllocator<char>(arena)));
  const std::string wire =
      "HTTP/1.1 200 Fine\r\nServer: t\r\nConnection: keep-alive, X-Private\r\nX-Private: 1\r\n"
      "Content-Length: 2\r\n\r\nok";
  boost::system::error_code ec;
  parser.eager(true);
  parser.put(boost::asio::buffer(wire), ec);
  BOOST_REQUIRE(!ec);
  BOOST_REQUIRE(parser.is_done());
  auto& res = parser.get();
  BOOST_TEST(arena.reserved() > 0u);
  const auto intent = tandem::lb::http::strip_hop_by_hop(res);
  BOOST_TEST(intent.keep_alive);
  res.set("X-Tandem-Node", "n1");
  res.insert(bhttp::field::set_cookie, std::string(300, 'c'));  // longer than the field it may follow
  std::string names;
  for (const auto& f : res) names += std::string(f.name_string()) + ";";
  BOOST_TEST(names == "Server;Content-Length;X-Tandem-Node;Set-Cookie;");
  BOOST_TEST(res.reason() == "Fine");
  BOOST_TEST(res.body() == "ok");
  BOOST_TEST(res[bhttp::field::set_cookie].size() == 300u);
}

BOOST_AUTO_TEST_SUITE_END()
