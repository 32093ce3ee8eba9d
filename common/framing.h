// Length-delimited protobuf messages over a byte stream.
//
// A frame is a 4-byte big-endian payload length followed by the payload (a
// serialized protobuf message). The local channel (proxy <-> agent) and peer
// sync use it. The decoder is a pure byte machine with a hard size cap, so a
// hostile peer can neither make us allocate without bound nor desynchronise us.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <google/protobuf/message_lite.h>

namespace tandem {

// Frames larger than this are refused by default (a full stick-table snapshot
// is sent as many frames, never one huge one).
inline constexpr std::size_t kDefaultMaxFrameBytes = 4u << 20;

// Returns the length prefix followed by MESSAGE's serialization.
std::string encode_frame(const google::protobuf::MessageLite& message);

// Returns the length prefix followed by PAYLOAD (already serialized bytes).
std::string encode_frame_bytes(std::string_view payload);

// Splits a byte stream into frame payloads.
class FrameDecoder {
 public:
  enum class Status { need_more, frame, too_large };

  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  // Appends received bytes.
  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // Extracts the next complete payload into PAYLOAD. After too_large the
  // stream is unusable: the caller must close the connection.
  Status next(std::string& payload);

 private:
  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;
};

// Writes MESSAGE as one frame. Throws boost::system::system_error on failure
// (callers run it inside a coroutine with a deadline).
template <class Stream>
boost::asio::awaitable<void> write_frame(Stream& stream, const google::protobuf::MessageLite& message) {
  std::string frame = encode_frame(message);
  co_await boost::asio::async_write(stream, boost::asio::buffer(frame), boost::asio::use_awaitable);
}

// Reads one frame payload into PAYLOAD. Returns false (payload untouched) if
// the announced length exceeds MAX_BYTES; throws on I/O errors and EOF.
template <class Stream>
boost::asio::awaitable<bool> read_frame(Stream& stream, std::string& payload,
                                        std::size_t max_bytes = kDefaultMaxFrameBytes) {
  unsigned char header[4];
  co_await boost::asio::async_read(stream, boost::asio::buffer(header), boost::asio::use_awaitable);
  const std::size_t length = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                             (std::size_t{header[2]} << 8) | std::size_t{header[3]};
  if (length > max_bytes) co_return false;
  payload.resize(length);
  if (length > 0) {
    co_await boost::asio::async_read(stream, boost::asio::buffer(payload), boost::asio::use_awaitable);
  }
  co_return true;
}

}  // namespace tandem
