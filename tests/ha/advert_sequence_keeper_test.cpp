// Tests for ha/advert/sequence_keeper.h: the replay guard's sequences survive
// a restart of the agent (a new verifier and keeper on the same file).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <variant>

#include "ha/advert/advert_codec.h"
#include "ha/advert/sequence_keeper.h"

namespace tandem::ha {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";

std::string advert(std::uint64_t sequence) {
  wire::Advert a;
  a.set_node("edge1");
  a.set_instance_id("www");
  a.set_priority(200);
  a.set_state(wire::ADVERT_STATE_MASTER);
  a.set_advert_interval_ms(100);
  a.set_sequence(sequence);
  a.set_boot_id(9);
  return encode_advert(a, kKey);
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tandem-seq-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(dir); }
  ~TempDir() { std::filesystem::remove_all(dir); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_sequence_keeper)

BOOST_AUTO_TEST_CASE(restarted_agent_refuses_what_the_previous_run_saw) {
  TempDir tmp;
  const std::string path = (tmp.dir / "state.sequences").string();
  {
    asio::io_context io;
    AdvertVerifier first(kKey, "edge3", {"edge1", "edge3"});
    SequenceKeeper keeper(io, path, first);
    keeper.load(first);  // no file yet: a first start
    BOOST_REQUIRE(std::holds_alternative<wire::Advert>(first.verify(advert(100))));
    keeper.changed();  // the first write is due at once
    BOOST_TEST(read(path) == "node=edge1 instance=www sequence=100\n");
    BOOST_REQUIRE(std::holds_alternative<wire::Advert>(first.verify(advert(200))));
    keeper.changed();  // within the interval: not yet written
    BOOST_TEST(read(path) == "node=edge1 instance=www sequence=100\n");
    keeper.flush();  // on stop
    BOOST_TEST(read(path) == "node=edge1 instance=www sequence=200\n");
    keeper.stop();
  }
  // The next run: a capture of adverts up to 200 is refused as replayed.
  asio::io_context io;
  AdvertVerifier second(kKey, "edge3", {"edge1", "edge3"});
  SequenceKeeper keeper(io, path, second);
  keeper.load(second);
  for (std::uint64_t seq : {150u, 200u}) {
    const auto r = second.verify(advert(seq));
    BOOST_REQUIRE(std::holds_alternative<DropReason>(r));
    BOOST_TEST(to_string(std::get<DropReason>(r)) == "replayed");
  }
  BOOST_TEST(std::holds_alternative<wire::Advert>(second.verify(advert(201))));
}

BOOST_AUTO_TEST_CASE(pending_write_happens_when_the_interval_ends) {
  TempDir tmp;
  const std::string path = (tmp.dir / "state.sequences").string();
  asio::io_context io;
  AdvertVerifier v(kKey, "edge3", {"edge1", "edge3"});
  SequenceKeeper keeper(io, path, v);
  BOOST_REQUIRE(std::holds_alternative<wire::Advert>(v.verify(advert(100))));
  keeper.changed();
  BOOST_REQUIRE(std::holds_alternative<wire::Advert>(v.verify(advert(300))));
  keeper.changed();
  BOOST_TEST(read(path) == "node=edge1 instance=www sequence=100\n");
  // The write timer is the only work: run() returns once it has fired
  // (after kPersistInterval) and written. (run() counts the timer's handler,
  // and on the io_uring reactor also Asio's own ring submissions.)
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(io.run() >= 1u);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= kPersistInterval - std::chrono::milliseconds(5)));
  BOOST_TEST(read(path) == "node=edge1 instance=www sequence=300\n");
}

BOOST_AUTO_TEST_CASE(no_state_file_persists_nothing) {
  asio::io_context io;
  AdvertVerifier v(kKey, "edge3", {"edge1", "edge3"});
  SequenceKeeper keeper(io, "", v);
  keeper.load(v);
  BOOST_REQUIRE(std::holds_alternative<wire::Advert>(v.verify(advert(100))));
  keeper.changed();
  keeper.flush();
  BOOST_TEST(io.poll() == 0u);  // no timer was armed
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
