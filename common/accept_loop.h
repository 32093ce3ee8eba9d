// The accept loop every listener shares (the proxy's data listeners and admin
// listener, the agent's control socket, remote control, admin HTTP, local
// channel and sync): one place for what to do when accept() fails, and for
// pausing at a connection limit.
//
// A failure that is not the acceptor closing (EMFILE, ENFILE, ENOBUFS: the
// process or the host ran out of something that comes back) is logged and
// retried after a pause, so a starved process neither spins on the error nor
// stops listening for good.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace tandem {

// What accept_loop does with a failed accept.
struct AcceptFailures {
  // Logged at warning as `EVENT error="..."`; empty: not logged.
  std::string event;
  // The wait before the next accept.
  std::chrono::milliseconds pause{100};
};

// How many connections one wake-up of the accept loop takes from the
// kernel's queue at most (HAProxy's tune.maxaccept is 64 too). Accepting
// one per wake-up put each accept behind every session's completion in the
// scheduler's queue: with 1000 clients connecting at once on a busy worker
// the queue drained one connection per pass, and the last clients waited
// over a second (bench/README.md, "1000 connections").
inline constexpr int kAcceptBatch = 64;

// A listener without a connection limit: always room, never a wait.
struct AlwaysRoom {
  bool available() const { return true; }
  boost::asio::awaitable<void> wait() { co_return; }
};

// Accepts on ACCEPTOR until it is closed or STOPPED() returns true, and
// hands every new socket to ON_ACCEPT(socket) (which must not block: it
// spawns the connection's coroutine). Runs on the acceptor's executor.
// After each completed async_accept it takes what else the kernel has
// queued, up to kAcceptBatch, with non-blocking accept() calls.
//
// ROOM bounds the connections: while ROOM.available() is false the loop
// does not accept but co_awaits ROOM.wait(), so new clients wait in the
// kernel's backlog (as with HAProxy's maxconn) instead of being refused.
// Takes up to kAcceptBatch - 1 more connections that are already queued,
// without waiting; stops at the first error (EAGAIN: the queue is empty;
// anything else is left to the next async_accept, which reports it).
template <typename Acceptor, typename OnAccept, typename Room>
void accept_queued(Acceptor& acceptor, OnAccept& on_accept, Room& room) {
  boost::system::error_code ec;
  if (!acceptor.non_blocking()) acceptor.non_blocking(true, ec);
  for (int n = 1; !ec && n < kAcceptBatch && room.available(); ++n) {
    auto socket = acceptor.accept(ec);
    if (!ec) on_accept(std::move(socket));
  }
}

template <typename Acceptor, typename Stopped, typename OnAccept, typename Room = AlwaysRoom>
boost::asio::awaitable<void> accept_loop(Acceptor& acceptor, Stopped stopped, OnAccept on_accept,
                                         AcceptFailures failures, Room room = {}) {
  namespace asio = boost::asio;
  constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
  while (!stopped()) {
    if (!room.available()) {
      co_await room.wait();
      continue;
    }
    auto [ec, socket] = co_await acceptor.async_accept(nothrow);
    if (!ec) {
      on_accept(std::move(socket));
      accept_queued(acceptor, on_accept, room);
      continue;
    }
    if (stopped() || ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (!failures.event.empty()) spdlog::warn("{} error=\"{}\"", failures.event, ec.message());
    asio::steady_timer pause(acceptor.get_executor(), failures.pause);
    co_await pause.async_wait(nothrow);
  }
}

}  // namespace tandem
