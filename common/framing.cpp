#include "common/framing.h"

namespace tandem {

std::string encode_frame(const google::protobuf::MessageLite& message) {
  const std::size_t size = message.ByteSizeLong();
  std::string frame(4 + size, '\0');
  frame[0] = static_cast<char>((size >> 24) & 0xff);
  frame[1] = static_cast<char>((size >> 16) & 0xff);
  frame[2] = static_cast<char>((size >> 8) & 0xff);
  frame[3] = static_cast<char>(size & 0xff);
  message.SerializeToArray(frame.data() + 4, static_cast<int>(size));
  return frame;
}

std::string encode_frame_bytes(std::string_view payload) {
  const std::size_t size = payload.size();
  std::string frame(4, '\0');
  frame[0] = static_cast<char>((size >> 24) & 0xff);
  frame[1] = static_cast<char>((size >> 16) & 0xff);
  frame[2] = static_cast<char>((size >> 8) & 0xff);
  frame[3] = static_cast<char>(size & 0xff);
  frame.append(payload);
  return frame;
}

FrameDecoder::Status FrameDecoder::next(std::string& payload) {
  const std::size_t available = buffer_.size() - consumed_;
  if (available < 4) return Status::need_more;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                             (std::size_t{p[2]} << 8) | std::size_t{p[3]};
  if (length > max_frame_bytes_) return Status::too_large;
  if (available < 4 + length) return Status::need_more;
  payload.assign(buffer_, consumed_ + 4, length);
  consumed_ += 4 + length;
  // Compact once the consumed prefix dominates, keeping feed() amortised O(n).
  if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return Status::frame;
}

}  // namespace tandem
