// Running a child program without ever blocking the agent's loop: spawned
// with posix_spawn in its own process group, watched through a pidfd
// (readable when it exits), killed with SIGKILL (its whole group, by PID)
// when it outlives its timeout. Used by notify hooks and track scripts.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// What to run.
struct ChildSpec {
  std::vector<std::string> argv;                            // argv[0] is the program path
  std::vector<std::pair<std::string, std::string>> extra_env;  // added to the agent's environment
  std::chrono::milliseconds timeout{1000};
  bool quiet = false;                                       // stdout and stderr to /dev/null
};

// How it ended.
struct ChildResult {
  bool started = false;   // false: spawn failed (see error)
  int exit_code = -1;     // exit status when it exited normally
  int signal = 0;         // the signal that ended it, if any
  bool timed_out = false; // killed by us after the timeout
  int pid = 0;
  std::string error;

  // Ran and exited 0.
  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  // "exit 0", "exit 3", "killed by signal 9 after timeout", "spawn failed: ...".
  std::string describe() const;
};

// Starts SPEC; DONE is called exactly once on IO's thread (also for a spawn
// failure, from a posted handler). The child is reaped in every case.
void run_child(asio::io_context& io, ChildSpec spec, std::function<void(const ChildResult&)> done);

}  // namespace tandem::ha
