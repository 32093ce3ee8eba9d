// Unit tests for lb/observe/access_log_writer: lines reach the file, a
// reopen follows a rename (logrotate), a full queue drops and counts, a
// path that cannot be opened is refused with the reason.
#include "lb/observe/access_log_writer.h"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace tandem::lb::observe;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "tandem-observe-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

AccessLogSettings settings_for(const fs::path& p) {
  AccessLogSettings s;
  s.enabled = true;
  s.path = p.string();
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(observe_access_log_writer)

BOOST_AUTO_TEST_CASE(lines_reach_the_file_and_a_reopen_follows_a_rename) {
  TempDir dir;
  const auto log = dir.path / "access.log";
  AccessLogWriter w;
  std::string error;
  BOOST_REQUIRE(w.configure(settings_for(log), error));
  BOOST_TEST(w.enabled());
  w.submit("one\ntwo\n", 2);
  w.flush_and_wait();
  BOOST_TEST(read(log) == "one\ntwo\n");

  fs::rename(log, dir.path / "access.log.1");  // logrotate's move
  w.submit("three\n", 1);
  w.flush_and_wait();
  BOOST_TEST(read(dir.path / "access.log.1") == "one\ntwo\nthree\n");  // still the open file
  w.reopen();
  w.flush_and_wait();
  w.submit("four\n", 1);
  w.flush_and_wait();
  BOOST_TEST(read(log) == "four\n");
  const auto c = w.counters();
  BOOST_TEST(c.lines_written == 4u);
  BOOST_TEST(c.reopens == 1u);
  BOOST_TEST(c.lines_dropped == 0u);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_whole_buffers_and_counts_their_lines) {
  TempDir dir;
  auto s = settings_for(dir.path / "a.log");
  s.queue_bytes = 10;
  AccessLogWriter w;
  std::string error;
  BOOST_REQUIRE(w.configure(s, error));
  w.submit(std::string(11, 'x'), 3);  // larger than the whole queue
  w.flush_and_wait();
  BOOST_TEST(w.counters().lines_dropped == 3u);
  BOOST_TEST(w.counters().lines_written == 0u);
}

BOOST_AUTO_TEST_CASE(an_unopenable_path_is_refused_with_its_reason_and_the_old_file_stays) {
  TempDir dir;
  AccessLogWriter w;
  std::string error;
  BOOST_REQUIRE(w.configure(settings_for(dir.path / "ok.log"), error));
  BOOST_TEST(!w.configure(settings_for(dir.path / "missing" / "x.log"), error));
  BOOST_TEST(error.find("missing/x.log") != std::string::npos);
  BOOST_TEST(error.find("No such file or directory") != std::string::npos);
  w.submit("still\n", 1);
  w.flush_and_wait();
  BOOST_TEST(read(dir.path / "ok.log") == "still\n");
}

BOOST_AUTO_TEST_CASE(turned_off_it_reports_disabled) {
  AccessLogWriter w;
  std::string error;
  BOOST_TEST(w.configure(AccessLogSettings{}, error));
  BOOST_TEST(!w.enabled());
}

BOOST_AUTO_TEST_SUITE_END()
