#include "lb/discovery/dns_answer_ttl.h"

#include <algorithm>
#include <cstddef>

namespace tandem::lb {

namespace {

constexpr std::size_t kHeaderSize = 12;

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }

  std::uint16_t u16() {
    if (!need(2)) return 0;
    const auto v = static_cast<std::uint16_t>(bytes_[at_] << 8 | bytes_[at_ + 1]);
    at_ += 2;
    return v;
  }

  std::uint32_t u32() {
    const std::uint32_t high = u16();
    return high << 16 | u16();
  }

  void skip(std::size_t n) {
    if (need(n)) at_ += n;
  }

  // Skips a domain name: labels up to the root label or a compression
  // pointer, which ends the name where it stands (RFC 1035 §4.1.4).
  void skip_name() {
    for (std::size_t labels = 0; ok_; ++labels) {
      if (!need(1) || labels > 127) return fail();
      const std::uint8_t length = bytes_[at_];
      if ((length & 0xC0) == 0xC0) return skip(2);
      if (length & 0xC0) return fail();  // 0x40 and 0x80 are reserved label types
      skip(std::size_t{length} + 1);
      if (length == 0) return;
    }
  }

 private:
  bool need(std::size_t n) {
    if (ok_ && bytes_.size() - at_ >= n) return true;
    fail();
    return false;
  }
  void fail() { ok_ = false; }

  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace

std::optional<std::uint32_t> smallest_answer_ttl(std::span<const std::uint8_t> message, std::uint16_t type) {
  if (message.size() < kHeaderSize) return std::nullopt;
  Reader r(message);
  r.skip(4);  // ID, flags
  const std::uint16_t questions = r.u16();
  const std::uint16_t answers = r.u16();
  r.skip(4);  // authority and additional counts: not read
  for (std::uint16_t i = 0; i < questions && r.ok(); ++i) {
    r.skip_name();
    r.skip(4);  // QTYPE, QCLASS
  }
  std::optional<std::uint32_t> smallest;
  for (std::uint16_t i = 0; i < answers && r.ok(); ++i) {
    r.skip_name();
    const std::uint16_t record_type = r.u16();
    r.skip(2);  // CLASS
    std::uint32_t ttl = r.u32();
    const std::uint16_t length = r.u16();
    r.skip(length);
    if (!r.ok()) return std::nullopt;
    if (ttl & 0x80000000u) ttl = 0;  // RFC 2181 §8: treat as zero
    if (record_type == type) smallest = std::min(smallest.value_or(ttl), ttl);
  }
  if (!r.ok()) return std::nullopt;
  return smallest;
}

}  // namespace tandem::lb
