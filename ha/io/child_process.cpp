#include "ha/io/child_process.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

extern char** environ;

namespace tandem::ha {

std::string ChildResult::describe() const {
  if (!started) return "spawn failed: " + error;
  if (timed_out) return "killed after timeout";
  if (signal) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(exit_code);
}

namespace {

struct Running {
  Running(asio::io_context& io, int pidfd) : fd(io, pidfd), timer(io) {}
  asio::posix::stream_descriptor fd;
  asio::steady_timer timer;
  ChildResult result;
  std::function<void(const ChildResult&)> done;
};

// Environment: the agent's own, with EXTRA replacing same-named entries.
std::vector<std::string> build_env(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    bool replaced = false;
    for (const auto& [k, v] : extra) replaced = replaced || entry.rfind(k + "=", 0) == 0;
    if (!replaced) env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

void finish(const std::shared_ptr<Running>& run) {
  int status = 0;
  const pid_t got = ::waitpid(run->result.pid, &status, WNOHANG);
  if (got == 0) {
    // Spurious wake-up: wait again.
    run->fd.async_wait(asio::posix::stream_descriptor::wait_read,
                       [run](const boost::system::error_code&) { finish(run); });
    return;
  }
  run->timer.cancel();
  if (got > 0) {
    if (WIFEXITED(status)) run->result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) run->result.signal = WTERMSIG(status);
  }
  boost::system::error_code ignored;
  run->fd.close(ignored);
  auto done = std::move(run->done);
  if (done) done(run->result);
}

}  // namespace

void run_child(asio::io_context& io, ChildSpec spec, std::function<void(const ChildResult&)> done) {
  ChildResult failed;
  auto fail = [&](std::string error) {
    failed.error = std::move(error);
    asio::post(io, [done = std::move(done), failed]() { done(failed); });
  };
  if (spec.argv.empty()) return fail("nothing to run");

  std::vector<std::string> env = build_env(spec.extra_env);
  std::vector<char*> argv_c, env_c;
  for (auto& a : spec.argv) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  for (auto& e : env) env_c.push_back(e.data());
  env_c.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (spec.quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  // Own process group, so a timeout kills the shell and what it started;
  // default signal dispositions and an empty mask in the child.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, spec.argv[0].c_str(), &actions, &attr, argv_c.data(), env_c.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail(spec.argv[0] + ": " + std::strerror(rc));

  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    // No pidfd (very old kernel): kill and reap rather than leave it unwatched.
    const std::string error = std::string("pidfd_open: ") + std::strerror(errno);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return fail(error);
  }
  auto run = std::make_shared<Running>(io, pidfd);
  run->result.started = true;
  run->result.pid = pid;
  run->done = std::move(done);
  run->fd.async_wait(asio::posix::stream_descriptor::wait_read,
                     [run](const boost::system::error_code&) { finish(run); });
  run->timer.expires_after(spec.timeout);
  run->timer.async_wait([run](const boost::system::error_code& ec) {
    if (ec || !run->done) return;
    run->result.timed_out = true;
    // By PID: the group we created (pgid = pid), then the child itself. The
    // child is not reaped yet, so its PID cannot have been reused.
    ::kill(-run->result.pid, SIGKILL);
    ::kill(run->result.pid, SIGKILL);
  });
}

}  // namespace tandem::ha
