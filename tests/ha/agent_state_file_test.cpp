// Tests for ha/agent/state_file.h: the always-current state file.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "ha/agent/state_file.h"

namespace tandem::ha {
namespace {

BOOST_AUTO_TEST_SUITE(agent_state_file)

BOOST_AUTO_TEST_CASE(one_line_per_instance_then_agent_line) {
  std::vector<StateFileRow> rows{{"www", State::kMaster, 200, "edge1", 1700000000123},
                                 {"db", State::kBackup, 150, "", 1700000000456}};
  BOOST_TEST(state_file_text(rows, true) ==
             "instance=www state=MASTER priority=200 master=edge1 since=1700000000123\n"
             "instance=db state=BACKUP priority=150 master=- since=1700000000456\n"
             "agent=running\n");
  BOOST_TEST(state_file_text({}, false) == "agent=stopped\n");
}

BOOST_AUTO_TEST_CASE(written_atomically) {
  const auto dir = std::filesystem::temp_directory_path() / ("tandem-state-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "state").string();
  std::string error;
  BOOST_TEST(write_file_atomically(path, "a\n", error));
  BOOST_TEST(write_file_atomically(path, "agent=stopped\n", error));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str() == "agent=stopped\n");
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
  BOOST_TEST(!write_file_atomically((dir / "missing" / "state").string(), "x", error));
  BOOST_TEST(!error.empty());
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
