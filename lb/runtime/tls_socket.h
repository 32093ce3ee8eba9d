// A TLS connection over a TCP socket where OpenSSL reads and writes the
// socket itself (SSL_set_fd), as HAProxy and nginx run it. It replaces
// Asio's ssl::stream, whose engine keeps, for the connection's whole life,
// two 17 KiB buffers of its own and a BIO pair of two more (68 KiB of the
// 75 KiB an idle TLS connection cost: bench/mem_bench.py --mode tls), and
// copies every record through them once more. Here an idle connection holds
// the SSL object alone: SSL_MODE_RELEASE_BUFFERS frees OpenSSL's record
// buffers between records.
//
// It is an Asio AsyncReadStream and AsyncWriteStream with the parts of
// ssl::stream the proxy uses (async_handshake, next_layer, lowest_layer,
// native_handle), so the sessions' templates take it unchanged. Each
// operation tries OpenSSL first and waits for the readiness OpenSSL asks
// for (SSL_ERROR_WANT_READ/WRITE), then tries again; an operation that
// completes at once completes through a post, never inside its initiation.
// Cancellation (a per-operation slot, the awaitable operators) reaches the
// readiness wait. Errors are those ssl::stream gives: asio::error::eof for a
// close_notify, asio::ssl::error::stream_truncated for a close without one,
// OpenSSL's errors in asio::error::get_ssl_category().
// Threading: the owner's io_context thread only, one read and one write at a
// time at most (as with any Asio stream).
#pragma once

#include <span>

#include <cstddef>
#include <memory>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <openssl/ssl.h>

#include "lb/runtime/asio_aliases.h"

namespace tandem::lb {

namespace tls_io {

// One try at an OpenSSL call: done (with BYTES or EC), or wait for WAIT.
struct Attempt {
  enum class Next { done, wait_read, wait_write } next = Next::done;
  boost::system::error_code ec;
  std::size_t bytes = 0;
};

// What an OpenSSL call's RESULT means (SSL_get_error and the error queue).
Attempt after_failure(SSL* ssl, int result);

Attempt handshake(SSL* ssl);
Attempt read(SSL* ssl, asio::mutable_buffer into);
// SSL_write of BUFFERS: one buffer as it is; several that fit one TLS
// record gathered into a per-thread scratch first (one record, one send,
// where ssl::stream sent the head and the body apart).
Attempt write(SSL* ssl, const asio::const_buffer* buffers, std::size_t count);

}  // namespace tls_io

class TlsSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  using lowest_layer_type = tcp::socket::lowest_layer_type;

  // Takes SOCKET (connected) and a new SSL object of CONTEXT over its
  // descriptor; the handshake type is set by async_handshake.
  TlsSocket(tcp::socket socket, asio::ssl::context& context);
  TlsSocket(TlsSocket&&) noexcept = default;
  TlsSocket& operator=(TlsSocket&&) noexcept = default;

  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& next_layer() { return socket_; }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  SSL* native_handle() { return ssl_.get(); }

  // True when OpenSSL holds bytes already read from the socket (a record,
  // or part of one): a readiness wait could then wait for nothing.
  bool has_buffered() const { return SSL_has_pending(ssl_.get()) == 1; }

  // One read without waiting: the bytes OpenSSL can give now, or
  // asio::error::would_block when it needs more from the socket first
  // (a parked session's read after a readiness wait). WANT_WRITE (a
  // KeyUpdate answer pending) is asio::error::try_again: use
  // async_read_some, which waits for writability.
  std::size_t read_some(asio::mutable_buffer into, boost::system::error_code& ec) {
    const auto a = tls_io::read(ssl_.get(), into);
    ec = a.next == tls_io::Attempt::Next::wait_read    ? asio::error::would_block
         : a.next == tls_io::Attempt::Next::wait_write ? asio::error::try_again
                                                       : a.ec;
    return a.bytes;
  }

  // One write without waiting: SSL_write of BUFFERS (as async_write_some
  // would gather them: one record when they fit), or asio::error::would_block
  // when OpenSSL must wait for the socket first; then the same bytes must be
  // given again (async_write_some does), as OpenSSL has taken part of them.
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE a success writes them all.
  std::size_t write_some(std::span<const asio::const_buffer> buffers, boost::system::error_code& ec) {
    WriteStep step;
    for (const auto& b : buffers) {
      if (b.size() == 0) continue;
      if (step.count == WriteStep::kMax) break;
      step.buffers[step.count++] = b;
    }
    const auto a = step(ssl_.get());
    ec = a.next == tls_io::Attempt::Next::done ? a.ec : boost::system::error_code(asio::error::would_block);
    return a.bytes;
  }

  template <typename Token>
  auto async_handshake(asio::ssl::stream_base::handshake_type type, Token&& token) {
    if (type == asio::ssl::stream_base::server) {
      SSL_set_accept_state(ssl_.get());
    } else {
      SSL_set_connect_state(ssl_.get());
    }
    return asio::async_compose<Token, void(boost::system::error_code)>(
        Op<HandshakeStep, true>{this, {}}, token, socket_);
  }

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    asio::mutable_buffer into;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
      if (asio::mutable_buffer b(*it); b.size() != 0) {
        into = b;
        break;
      }
    }
    return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<ReadStep, false>{this, {into}}, token, socket_);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    WriteStep step;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && step.count < WriteStep::kMax; ++it) {
      if (asio::const_buffer b(*it); b.size() != 0) step.buffers[step.count++] = b;
    }
    return asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<WriteStep, false>{this, step}, token, socket_);
  }

 private:
  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  struct HandshakeStep {
    tls_io::Attempt operator()(SSL* ssl) const { return tls_io::handshake(ssl); }
  };
  struct ReadStep {
    asio::mutable_buffer into;
    tls_io::Attempt operator()(SSL* ssl) const { return tls_io::read(ssl, into); }
  };
  struct WriteStep {
    static constexpr std::size_t kMax = 8;  // write_some may write fewer than were given
    asio::const_buffer buffers[kMax];
    std::size_t count = 0;
    tls_io::Attempt operator()(SSL* ssl) const { return tls_io::write(ssl, buffers, count); }
  };

  // Try STEP; wait for what OpenSSL wants and try again; complete through a
  // post when the first try already settles it.
  template <typename Step, bool kNoBytes>
  struct Op {
    TlsSocket* self;
    Step step;
    enum class State { first, waiting, posted } state = State::first;
    tls_io::Attempt last{};

    template <typename Self>
    void operator()(Self& s, boost::system::error_code ec = {}) {
      if (state != State::posted) {
        if (ec) {  // the readiness wait failed or was cancelled
          last = {tls_io::Attempt::Next::done, ec, 0};
        } else {
          last = step(self->ssl_.get());
          if (last.next != tls_io::Attempt::Next::done) {
            state = State::waiting;
            self->socket_.async_wait(last.next == tls_io::Attempt::Next::wait_read ? tcp::socket::wait_read
                                                                                   : tcp::socket::wait_write,
                                     std::move(s));
            return;
          }
          if (state == State::first) {
            state = State::posted;
            asio::post(self->socket_.get_executor(), std::move(s));
            return;
          }
        }
      }
      if constexpr (kNoBytes) {
        s.complete(last.ec);
      } else {
        s.complete(last.ec, last.bytes);
      }
    }
  };

  tcp::socket socket_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace tandem::lb
