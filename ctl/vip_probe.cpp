#include "ctl/vip_probe.h"

#include <algorithm>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem::ctl {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<bool> connect_once(tcp::endpoint ep, std::chrono::milliseconds timeout) {
  auto ex = co_await asio::this_coro::executor;
  tcp::socket socket(ex);
  asio::steady_timer deadline(ex, timeout);
  auto got = co_await (socket.async_connect(ep, use_nothrow) || deadline.async_wait(use_nothrow));
  if (got.index() != 0) co_return false;
  const bool ok = !std::get<0>(std::get<0>(got));
  boost::system::error_code ignored;
  socket.close(ignored);
  co_return ok;
}

}  // namespace

Gap gap_of(std::vector<Attempt> attempts) {
  std::sort(attempts.begin(), attempts.end(), [](const Attempt& a, const Attempt& b) { return a.start_ms < b.start_ms; });
  Gap g;
  g.attempts = attempts.size();
  double run_start = -1;  // start of the current run of failures; -1: none
  for (const auto& a : attempts) {
    if (!a.ok) {
      ++g.failed;
      if (run_start < 0) run_start = a.start_ms;
      continue;
    }
    if (run_start >= 0) {
      if (a.start_ms - run_start > g.gap_ms) {
        g.gap_ms = a.start_ms - run_start;
        g.gap_start_ms = run_start;
      }
      run_start = -1;
    }
  }
  if (run_start >= 0 && !attempts.empty()) {
    const double open = std::max(attempts.back().start_ms - run_start, 1.0);
    if (open > g.gap_ms) {
      g.gap_ms = open;
      g.gap_start_ms = run_start;
    }
  }
  return g;
}

bool VipProbe::reachable(const std::string& ip, std::uint16_t port, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(ip, ec);
  if (ec) return false;
  asio::io_context io;
  bool ok = false;
  asio::co_spawn(io, connect_once(tcp::endpoint(address, port), timeout), [&](std::exception_ptr e, bool r) {
    ok = !e && r;
  });
  io.run();
  return ok;
}

VipProbe::VipProbe(std::string ip, std::uint16_t port) : ip_(std::move(ip)), port_(port) {}

VipProbe::~VipProbe() {
  if (thread_.joinable()) stop();
}

void VipProbe::start() { thread_ = std::thread([this] { run(); }); }

std::vector<Attempt> VipProbe::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return attempts_;
}

void VipProbe::run() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(ip_, ec);
  if (ec) return;
  const tcp::endpoint ep(address, port_);
  asio::io_context io;
  const auto t0 = std::chrono::steady_clock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer tick(io);
        auto next = std::chrono::steady_clock::now();
        while (!stopping_) {
          const double start_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          asio::co_spawn(io, connect_once(ep, kConnectTimeout), [this, start_ms](std::exception_ptr e, bool ok) {
            std::lock_guard lock(mutex_);
            attempts_.push_back(Attempt{start_ms, !e && ok});
          });
          next += kInterval;
          tick.expires_at(next);
          co_await tick.async_wait(use_nothrow);
        }
      },
      asio::detached);
  io.run();  // returns once the loop ended and every attempt finished
}

}  // namespace tandem::ctl
