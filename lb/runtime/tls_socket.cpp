#include "lb/runtime/tls_socket.h"

#include <cerrno>
#include <cstring>
#include <new>

#include <openssl/err.h>

namespace tandem::lb {

namespace tls_io {

namespace {

// Gathered writes up to one TLS record's plaintext: a response head and a
// small body go out as one record and one send.
constexpr std::size_t kGatherBytes = 16384;

using Next = Attempt::Next;

// SSL_get_error needs the thread's error queue empty before each I/O call.
// It nearly always is (after_failure empties it), and ERR_clear_error
// walks all sixteen slots of the queue every time (three calls a request
// cost ~800 instructions, callgrind): look first.
void empty_error_queue() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

Attempt after_failure(SSL* ssl, int result) {
  const int why = SSL_get_error(ssl, result);
  switch (why) {
    case SSL_ERROR_WANT_READ:
      return {Next::wait_read, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {Next::wait_write, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {Next::done, asio::error::eof, 0};
    case SSL_ERROR_SYSCALL: {
      const int saved = errno;
      ERR_clear_error();
      // No error in the queue and no errno: the peer closed the socket
      // without close_notify (OpenSSL 1.1's way of saying so).
      if (saved == 0) return {Next::done, asio::ssl::error::stream_truncated, 0};
      return {Next::done, boost::system::error_code(saved, boost::system::system_category()), 0};
    }
    case SSL_ERROR_SSL: {
      const unsigned long code = ERR_get_error();
      ERR_clear_error();
      // OpenSSL 3 reports a close without close_notify as this error.
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Next::done, asio::ssl::error::stream_truncated, 0};
      }
      return {Next::done, boost::system::error_code(static_cast<int>(code), asio::error::get_ssl_category()), 0};
    }
    default:
      ERR_clear_error();
      return {Next::done, asio::error::fault, 0};
  }
}

Attempt handshake(SSL* ssl) {
  empty_error_queue();
  const int r = SSL_do_handshake(ssl);
  if (r == 1) return {};
  return after_failure(ssl, r);
}

Attempt read(SSL* ssl, asio::mutable_buffer into) {
  if (into.size() == 0) return {};
  empty_error_queue();
  std::size_t n = 0;
  const int r = SSL_read_ex(ssl, into.data(), into.size(), &n);
  if (r == 1) return {Next::done, {}, n};
  return after_failure(ssl, r);
}

Attempt write(SSL* ssl, const asio::const_buffer* buffers, std::size_t count) {
  if (count == 0) return {};
  const void* data = buffers[0].data();
  std::size_t size = buffers[0].size();
  if (count > 1) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += buffers[i].size();
    if (total <= kGatherBytes) {
      // Per thread, filled again on every try: a retry after WANT_WRITE
      // passes the same bytes (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets the
      // address differ).
      thread_local unsigned char gather[kGatherBytes];
      std::size_t at = 0;
      for (std::size_t i = 0; i < count; ++i) {
        std::memcpy(gather + at, buffers[i].data(), buffers[i].size());
        at += buffers[i].size();
      }
      data = gather;
      size = total;
    }
  }
  empty_error_queue();
  std::size_t n = 0;
  const int r = SSL_write_ex(ssl, data, size, &n);
  if (r == 1) return {Next::done, {}, n};
  return after_failure(ssl, r);
}

}  // namespace tls_io

TlsSocket::TlsSocket(tcp::socket socket, asio::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  if (!ssl_) throw std::bad_alloc();
  // OpenSSL reads and writes the descriptor itself: it must never block.
  boost::system::error_code ignored;  // a socket closed already fails its first read instead
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle()));
  SSL_set_mode(ssl_.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

}  // namespace tandem::lb
