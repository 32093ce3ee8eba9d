// Sending without suspending. A keep-alive request or a small response fits
// in the socket's send buffer, so one non-blocking sendmsg usually takes it
// all. Going through asio::async_write instead costs, per message, a
// composed operation, a cancellation handler (a malloc), an awaitable frame
// and a trip through the scheduler before the coroutine resumes. The relay
// sends with write_now() first and awaits async_write only for what is left.
//
// Threading: the socket's owner (a worker's io_context thread) only.
#pragma once

#include <cstddef>
#include <span>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"

namespace tandem::lb {

/// Sends what OUT takes now of BUFFERS, with one non-blocking send, and
/// advances BUFFERS past it (leading buffers sent whole are dropped). EC is
/// set on an error; a full send buffer is not one (BUFFERS just stays
/// non-empty). Returns the bytes sent. Puts OUT in non-blocking mode for
/// synchronous calls (once; Asio's own asynchronous operations do not care).
inline std::size_t write_now(tcp::socket& out, std::span<asio::const_buffer>& buffers,
                             boost::system::error_code& ec) {
  ec = {};
  if (!out.non_blocking()) {
    out.non_blocking(true, ec);
    if (ec) return 0;
  }
  const std::size_t sent = out.write_some(buffers, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  std::size_t left = sent;
  while (!buffers.empty() && left >= buffers.front().size()) {
    left -= buffers.front().size();
    buffers = buffers.subspan(1);
  }
  if (left > 0) buffers.front() += left;
  return sent;
}

/// Over TLS, one SSL_write without waiting (TlsSocket::write_some): a
/// response goes out as one record and one send, without an asynchronous
/// operation, a post and a coroutine resumption. When OpenSSL must wait for
/// the socket nothing counts as sent, and the caller's asynchronous write
/// gives OpenSSL the same bytes again, as it requires.
inline std::size_t write_now(TlsStream& out, std::span<asio::const_buffer>& buffers, boost::system::error_code& ec) {
  const std::size_t sent = out.write_some(buffers, ec);
  if (ec == asio::error::would_block) ec = {};
  std::size_t left = sent;
  while (!buffers.empty() && left >= buffers.front().size()) {
    left -= buffers.front().size();
    buffers = buffers.subspan(1);
  }
  if (left > 0) buffers.front() += left;
  return sent;
}

}  // namespace tandem::lb
