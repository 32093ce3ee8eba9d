// A connection to a server: a plain TCP socket, or TLS over one (a pool
// with a `tls` block, lb/tls/upstream_context.h). One type for the idle
// pool, the connect phase and the HTTP/2 streams, which read and write it
// through async_read_some/async_write_some whatever it is; the HTTP/1.1
// session takes the plain socket or the TLS stream out of it and runs its
// relay templated on the exact type (the plain path keeps its fast paths).
// Threading: its owner's io_context thread only.
#pragma once

#include <memory>

#include <boost/asio/async_result.hpp>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/client_stream.h"  // TlsStream

namespace tandem::lb {

class ServerStream {
 public:
  using executor_type = asio::any_io_executor;

  explicit ServerStream(const executor_type& executor) : socket_(executor) {}
  explicit ServerStream(tcp::socket socket) : socket_(std::move(socket)) {}
  explicit ServerStream(std::unique_ptr<TlsStream> tls) : socket_(tls->get_executor()), tls_(std::move(tls)) {}
  ServerStream(ServerStream&&) noexcept = default;
  ServerStream& operator=(ServerStream&&) noexcept = default;

  bool is_tls() const { return tls_ != nullptr; }
  // The TCP socket underneath (for closing, peeking, addresses).
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  bool is_open() const { return tls_ ? tls_->next_layer().is_open() : socket_.is_open(); }
  void close() {
    boost::system::error_code ignored;
    socket().close(ignored);
  }
  executor_type get_executor() { return socket_.get_executor(); }

  // The plain socket, or the TLS stream, moved out.
  tcp::socket take_socket() { return std::move(socket_); }
  std::unique_ptr<TlsStream> take_tls() { return std::move(tls_); }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) tls_->async_read_some(b, std::move(handler));
          else socket_.async_read_some(b, std::move(handler));
        },
        token, buffers);
  }

  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) tls_->async_write_some(b, std::move(handler));
          else socket_.async_write_some(b, std::move(handler));
        },
        token, buffers);
  }

 private:
  tcp::socket socket_;               // plain: the connection; TLS: unused (closed)
  std::unique_ptr<TlsStream> tls_;   // TLS: the stream, which owns the socket
};

}  // namespace tandem::lb
