// Short names for the Asio/Beast types the runtime uses everywhere.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace tandem::lb {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;

// Completion token for the data path: errors come back as values, never as
// exceptions (STYLE.md habit 6).
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

using Clock = std::chrono::steady_clock;

}  // namespace tandem::lb
