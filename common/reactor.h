// Which reactor Asio runs on in this build (epoll, or io_uring with
// -DTANDEM_IO_URING=ON: docs/performance.md, "The reactor"), and whether
// this host lets it start.
//
// The choice is made when the program is compiled (Asio's
// BOOST_ASIO_HAS_IO_URING and BOOST_ASIO_DISABLE_EPOLL), so a host that
// refuses io_uring cannot fall back to epoll at run time: the program checks
// at start and stops with a message that says what to change, instead of
// failing at its first socket with "io_uring_queue_init: Operation not
// permitted".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tandem {

/// "io_uring" or "epoll": the reactor this binary was built with.
std::string_view reactor_name();

/// What an operator reads when the kernel refuses io_uring: ERROR is the
/// errno io_uring_setup failed with, IO_URING_DISABLED the value of the
/// sysctl kernel.io_uring_disabled (none when the kernel has no such knob).
/// Says the likely cause and both ways out (allow io_uring, or an epoll build).
std::string io_uring_refused_advice(std::string_view program, int error, std::optional<int> io_uring_disabled);

/// Empty when this build's reactor starts on this host; else the message
/// for the operator (io_uring_refused_advice). Creates and closes one
/// io_context with a socket, as every worker will.
std::string reactor_problem(std::string_view program);

}  // namespace tandem
