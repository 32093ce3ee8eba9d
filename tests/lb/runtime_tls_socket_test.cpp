// Unit tests for lb/runtime/tls_socket: a real TLS 1.3 handshake over
// loopback between two TlsSockets, bytes both ways (gathered small writes,
// a write larger than the socket buffers, so OpenSSL asks to wait), and the
// two ways a peer ends: close_notify is eof, a bare close is
// stream_truncated, as with Asio's ssl::stream; a cancelled read completes.
#include "lb/runtime/tls_socket.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <optional>
#include <string>

#include "loopback_sockets.h"

using namespace tandem::lb;
using tandem::lb::testing::connected;

namespace {

// A server context with a fresh self-signed P-256 certificate, and a client
// context that checks nothing (the socket is under test, not verification).
struct Contexts {
  asio::ssl::context server{asio::ssl::context::tls_server};
  asio::ssl::context client{asio::ssl::context::tls_client};
  Contexts() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("tls-socket.test"), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(server.native_handle(), cert);
    SSL_CTX_use_PrivateKey(server.native_handle(), key);
    SSL_CTX_set_min_proto_version(server.native_handle(), TLS1_3_VERSION);
    // No tickets: a client that closes then has nothing unread, so its close is a FIN, not a reset.
    SSL_CTX_set_num_tickets(server.native_handle(), 0);
    SSL_CTX_set_verify(client.native_handle(), SSL_VERIFY_NONE, nullptr);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

struct Pair {
  asio::io_context io;
  Contexts contexts;
  std::optional<TlsSocket> server, client;
  Pair() {
    auto [a, b] = connected(io);
    server.emplace(std::move(a), contexts.server);
    client.emplace(std::move(b), contexts.client);
  }
  // Runs both handshakes to completion.
  void handshake() {
    boost::system::error_code server_ec = asio::error::would_block, client_ec = asio::error::would_block;
    server->async_handshake(asio::ssl::stream_base::server, [&](auto ec) { server_ec = ec; });
    client->async_handshake(asio::ssl::stream_base::client, [&](auto ec) { client_ec = ec; });
    io.run();
    io.restart();
    BOOST_TEST_REQUIRE(!server_ec, server_ec.message());
    BOOST_TEST_REQUIRE(!client_ec, client_ec.message());
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_tls_socket)

BOOST_AUTO_TEST_CASE(handshake_then_bytes_both_ways_gathered_and_large) {
  Pair p;
  p.handshake();
  BOOST_TEST(std::string(SSL_get_version(p.server->native_handle())) == "TLSv1.3");

  // Three small buffers in one write_some: all written at once (gathered).
  const std::string head = "HTTP/1.1 200 OK\r\n", fields = "Content-Length: 2\r\n\r\n", body = "ok";
  const std::array<asio::const_buffer, 3> parts{asio::buffer(head), asio::buffer(fields), asio::buffer(body)};
  std::size_t wrote = 0;
  p.server->async_write_some(parts, [&](auto ec, std::size_t n) {
    BOOST_TEST(!ec);
    wrote = n;
  });
  std::string got(head.size() + fields.size() + body.size(), '\0');
  asio::async_read(*p.client, asio::buffer(got), [](auto ec, std::size_t) { BOOST_TEST(!ec); });
  p.io.run();
  p.io.restart();
  BOOST_TEST(wrote == got.size());
  BOOST_TEST(got == head + fields + body);

  // 8 MiB: far more than the socket buffers take, so writes wait for room.
  const std::string big(8 << 20, 'x');
  std::string back(big.size(), '\0');
  asio::async_write(*p.client, asio::buffer(big), [](auto ec, std::size_t) { BOOST_TEST(!ec); });
  asio::async_read(*p.server, asio::buffer(back), [](auto ec, std::size_t) { BOOST_TEST(!ec); });
  p.io.run();
  BOOST_TEST(back == big);
}

BOOST_AUTO_TEST_CASE(close_notify_is_eof_and_a_bare_close_is_truncation) {
  {
    Pair p;
    p.handshake();
    SSL_shutdown(p.client->native_handle());  // sends close_notify (the socket is non-blocking, room is there)
    boost::system::error_code got;
    char byte;
    p.server->async_read_some(asio::buffer(&byte, 1), [&](auto ec, std::size_t) { got = ec; });
    p.io.run();
    BOOST_TEST(got == asio::error::eof, got.message());
  }
  {
    Pair p;
    p.handshake();
    p.client->next_layer().close();  // no close_notify
    boost::system::error_code got;
    char byte;
    p.server->async_read_some(asio::buffer(&byte, 1), [&](auto ec, std::size_t) { got = ec; });
    p.io.run();
    BOOST_TEST(got == asio::ssl::error::stream_truncated, got.message());
  }
}

BOOST_AUTO_TEST_CASE(a_read_with_nothing_to_read_waits_and_is_cancelled_by_the_other_side_of_or) {
  using namespace asio::experimental::awaitable_operators;
  Pair p;
  p.handshake();
  bool timed_out = false, read_done = false;
  auto wait = [&]() -> awaitable<void> {
    char byte;
    asio::steady_timer limit(p.io, std::chrono::milliseconds(50));
    auto read = p.server->async_read_some(asio::buffer(&byte, 1), use_nothrow);
    auto outcome = co_await (std::move(read) || limit.async_wait(use_nothrow));
    timed_out = outcome.index() == 1;
    read_done = true;
  };
  asio::co_spawn(p.io, wait(), asio::detached);
  p.io.run();
  BOOST_TEST(read_done);
  BOOST_TEST(timed_out);
  // The connection still works after the cancelled read.
  p.io.restart();
  const std::string msg = "after";
  std::string got(msg.size(), '\0');
  asio::async_write(*p.client, asio::buffer(msg), [](auto ec, std::size_t) { BOOST_TEST(!ec); });
  asio::async_read(*p.server, asio::buffer(got), [](auto ec, std::size_t) { BOOST_TEST(!ec); });
  p.io.run();
  BOOST_TEST(got == msg);
}

BOOST_AUTO_TEST_SUITE_END()
