#include "common/reactor.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#if defined(TANDEM_IO_URING)
#include <liburing.h>
#endif

namespace tandem {

std::string_view reactor_name() {
#if defined(BOOST_ASIO_HAS_IO_URING) && defined(BOOST_ASIO_DISABLE_EPOLL)
  return "io_uring";
#else
  return "epoll";
#endif
}

std::string io_uring_refused_advice(std::string_view program, int error, std::optional<int> io_uring_disabled) {
  std::string text(program);
  text += ": this build runs every socket through io_uring (built with -DTANDEM_IO_URING=ON), and the kernel ";
  text += "refused to set up an io_uring: ";
  text += std::strerror(error);
  text += ".\n";
  if (error == ENOSYS) {
    text += "The kernel has no io_uring (built without CONFIG_IO_URING, or older than 5.10), or a seccomp filter ";
    text += "answers ENOSYS for it.\n";
  } else if (error == EPERM || error == EACCES) {
    if (io_uring_disabled && *io_uring_disabled == 2) {
      text += "io_uring is switched off for every process: sysctl kernel.io_uring_disabled = 2.\n";
    } else if (io_uring_disabled && *io_uring_disabled == 1) {
      text += "io_uring is allowed only to root and to the group in kernel.io_uring_group: sysctl ";
      text += "kernel.io_uring_disabled = 1.\n";
    } else {
      text += "A seccomp filter refuses it: container runtimes' default profiles do (Docker, Podman, ";
      text += "containerd), and so does systemd's SystemCallFilter=~@aio (which holds the io_uring calls).\n";
    }
  } else if (error == ENOMEM) {
    text += "The ring's memory could not be locked: on kernels before 5.12 it counts against RLIMIT_MEMLOCK ";
    text += "(systemd LimitMEMLOCK=, ulimit -l).\n";
  }
  text += "Either allow io_uring (sysctl -w kernel.io_uring_disabled=0; a seccomp profile that permits ";
  text += "io_uring_setup, io_uring_enter and io_uring_register), or run a build configured with ";
  text += "-DTANDEM_IO_URING=OFF, which uses epoll.";
  return text;
}

namespace {

std::optional<int> read_io_uring_disabled() {
  std::ifstream in("/proc/sys/kernel/io_uring_disabled");
  int value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

}  // namespace

std::string reactor_problem(std::string_view program) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);  // the socket service sets up the reactor (io_uring_queue_init)
  } catch (const boost::system::system_error& e) {
    if (reactor_name() != "io_uring") return std::string(program) + ": cannot start Asio's reactor: " + e.what();
    return io_uring_refused_advice(program, e.code().value(), read_io_uring_disabled());
  }
  return {};
}

}  // namespace tandem

#if defined(TANDEM_IO_URING)
// Asio 1.81 sets up each io_context's ring with io_uring_queue_init(16384,
// ring, 0): no setup flags. Without IORING_SETUP_COOP_TASKRUN the kernel
// interrupts the worker with an inter-processor interrupt for every
// completion that arrives from another CPU (a socket woken by the peer's
// send), to run the completion's task work at once: perf showed 9% of the
// worker's time in reschedule IPIs at 50 connections. With it, the task work
// waits for the worker's next system call; TASKRUN_FLAG marks the ring so
// that liburing's peek enters the kernel when work waits. Defined here, this
// function is the one Asio's calls bind to at link time (the executable's
// own definition comes before liburing's). A kernel older than 5.19 refuses
// the flags: the ring is then set up as Asio would.
extern "C" int io_uring_queue_init(unsigned entries, struct io_uring* ring, unsigned flags) {
  io_uring_params params{};
  params.flags = flags | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  const int result = io_uring_queue_init_params(entries, ring, &params);
  if (result != -EINVAL) return result;
  params = io_uring_params{};
  params.flags = flags;
  return io_uring_queue_init_params(entries, ring, &params);
}
#endif
