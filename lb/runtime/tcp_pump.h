// One direction of an L4 session: FROM's bytes to TO until FROM ends, then a
// half-close of TO. It holds no buffer while it waits: it awaits
// readability, reads into the worker thread's one scratch buffer, sends at
// once what the socket takes (write_now), and copies to the heap only what
// the peer's window cannot take yet, freed once sent. So an idle or
// slow-moving connection costs its sockets and coroutine frames, not two
// 16 KiB buffers (bench/mem_bench.py --mode tcp: 17 KiB per connection
// before, see bench/README.md for the figures).
//
// Waiting for readability costs one epoll_ctl per wait in Asio 1.81's epoll
// reactor (a non-speculative operation re-arms the descriptor); reading
// straight away costs a failed recv instead. Same syscall count, measured
// with bench/instructions_ab.py --mode tcp.
//
// Threading: the sockets' worker thread only; FROM and TO must be in
// non-blocking mode (the synchronous read and write must never block).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/write_now.h"

namespace tandem::lb {

// The bytes one read may take: what is read is sent (or copied out) before
// the coroutine next suspends, so every pump on a thread shares this buffer.
inline std::span<char> pump_scratch() {
  static thread_local std::array<char, 16384> scratch;
  return scratch;
}

// Copies FROM to TO as described above. READ_COUNT and WRITE_COUNT add the
// bytes moved; LAST_ACTIVITY is set whenever bytes arrive.
inline awaitable<void> pump_bytes(tcp::socket& from, tcp::socket& to, std::atomic<std::uint64_t>& read_count,
                                  std::atomic<std::uint64_t>& write_count, Clock::time_point& last_activity) {
  for (;;) {
    auto [wait_ec] = co_await from.async_wait(tcp::socket::wait_read, use_nothrow);
    if (wait_ec) break;
    const auto scratch = pump_scratch();
    boost::system::error_code rec;
    const std::size_t n = from.read_some(asio::buffer(scratch.data(), scratch.size()), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) continue;  // a spurious wake
    if (n > 0) {
      last_activity = Clock::now();
      read_count.fetch_add(n, std::memory_order_relaxed);
      std::array<asio::const_buffer, 1> out{asio::buffer(scratch.data(), n)};
      std::span<asio::const_buffer> pending(out);
      boost::system::error_code wec;
      write_count.fetch_add(write_now(to, pending, wec), std::memory_order_relaxed);
      if (!wec && !pending.empty()) {
        // TO's window is full: keep the rest (the scratch buffer is the
        // next pump's once this one suspends) and stop reading until sent.
        const std::size_t rest = pending.front().size();
        auto held = std::make_unique<char[]>(rest);
        std::memcpy(held.get(), pending.front().data(), rest);
        auto [rest_ec, written] = co_await asio::async_write(to, asio::buffer(held.get(), rest), use_nothrow);
        write_count.fetch_add(written, std::memory_order_relaxed);
        wec = rest_ec;
      }
      if (wec) break;
    }
    if (rec) break;  // end of stream or an error
  }
  boost::system::error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace tandem::lb
