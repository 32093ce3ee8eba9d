#include "ha/sync/peer_connection.h"

#include <random>

#include <boost/asio/write.hpp>
#include <openssl/rand.h>

#include "common/framing.h"

namespace tandem::ha::sync {

namespace {

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string random_nonce() {
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) != 1) {
    std::random_device rd;
    for (auto& c : nonce) c = static_cast<char>(rd());
  }
  return nonce;
}

}  // namespace

bool closed_by_peer(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

PeerConnection::PeerConnection(asio::io_context& io, const StickSyncSettings& s, std::string expected)
    : socket(io), auth(s.key, s.cluster, s.node, random_nonce(), true), dialer(true),
      expected_peer(std::move(expected)), started(Clock::now()), last_rx(started), last_tx(started) {
  auth.accept_also(s.next_key);
}

PeerConnection::PeerConnection(tcp::socket accepted, const StickSyncSettings& s)
    : socket(std::move(accepted)), auth(s.key, s.cluster, s.node, random_nonce(), false), dialer(false),
      started(Clock::now()), last_rx(started), last_tx(started) {
  auth.accept_also(s.next_key);
}

void PeerConnection::queue(const wire::SyncMessage& message) {
  pending += encode_frame_bytes(auth.seal(message));
  last_tx = Clock::now();
}

void PeerConnection::queue_frame(const std::string& payload) { pending += encode_frame_bytes(payload); }

void PeerConnection::flush() {
  if (writing || closed || pending.empty()) return;
  writing = true;
  auto data = std::make_shared<std::string>(std::move(pending));
  pending.clear();
  asio::async_write(socket, asio::buffer(*data),
                    [self = shared_from_this(), data](const boost::system::error_code& ec, std::size_t) {
                      self->writing = false;
                      if (ec) {
                        self->lost_by_peer = closed_by_peer(ec);
                        self->close(ec.message());
                        return;
                      }
                      self->flush();
                    });
}

void PeerConnection::close(const std::string& why) {
  if (closed) return;
  closed = true;
  close_why = why;
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace tandem::ha::sync
