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

/// Drops the first SENT bytes from BUFFERS: the whole buffers sent, and the
/// sent part of the next.
inline void drop_sent(std::span<asio::const_buffer>& buffers, std::size_t sent) {
  while (!buffers.empty() && sent >= buffers.front().size()) {
    sent -= buffers.front().size();
    buffers = buffers.subspan(1);
  }
  if (sent > 0) buffers.front() += sent;
}

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
  drop_sent(buffers, sent);
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
  drop_sent(buffers, sent);
  return sent;
}

}  // namespace tandem::lb
