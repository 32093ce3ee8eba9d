// libFuzzer target for the peer-sync port (ha/sync/stick_sync.cpp's read
// loop): a byte stream split by FrameDecoder, the first frame checked as the
// hello (SyncAuth::accept_hello), every later one opened (SyncAuth::open),
// and the stick entries in it merged into the agent's StickStore.
//
// Random bytes cannot carry a valid MAC, so byte 0 picks a mode:
//   bit 0 clear: the rest is the stream as it came off the wire;
//   bit 0 set:   a real peer (edge2 or edge3, by bit 7) says hello, then each
//                frame of the rest (split by FrameDecoder) that parses as a
//                SyncMessage is sealed by that peer; one whose first byte is
//                0xff is sealed and then has a byte flipped.
// Bits 1-5 pick how many bytes each read delivers; bit 6 which side dialed.
// Checked: nothing opens before a good hello; what a peer sealed opens to
// the same message, and a flipped byte never opens; the store holds only
// known pools, non-empty keys, at most max_entries per pool and no TTL over
// the pool's.
// run: ./sync_fuzz -max_len=16384 ha/fuzz/corpus/sync_fuzz
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "common/framing.h"
#include "ha/sync/stick_store.h"
#include "ha/sync/sync_auth.h"

namespace {

namespace sync = tandem::ha::sync;
using tandem::FrameDecoder;

const std::string kKey = "fuzz-key-0123456789abcdef";
const std::string kCluster = "fuzz";
const std::string kOurNonce(16, 'o');
const std::string kPeerNonce(16, 'p');

void check(bool invariant) {
  if (!invariant) std::abort();
}

std::map<std::string, sync::PoolLimits> pools() {
  return {{"app", {std::chrono::seconds(60), 8}}, {"api", {std::chrono::seconds(5), 2}}};
}

void check_store(const sync::StickStore& store, sync::TimePoint now) {
  const auto limits = pools();
  std::map<std::string, std::size_t> per_pool;
  for (const auto& e : store.snapshot(now)) {
    const auto it = limits.find(e.pool());
    check(it != limits.end());
    check(!e.key().empty());
    check(e.ttl_remaining_ms() <= static_cast<std::uint64_t>(it->second.ttl.count()));
    ++per_pool[e.pool()];
  }
  for (const auto& [pool, n] : per_pool) check(n <= limits.at(pool).max_entries);
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it; at
// thousands of inputs a second that logging is most of the run.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool authenticated = data[0] & 1;
  const std::size_t step = ((data[0] >> 1) & 0x1f) == 0 ? SIZE_MAX : ((data[0] >> 1) & 0x1f);
  const bool we_dialed = data[0] & 0x40;
  const std::string peer_name = (data[0] & 0x80) ? "edge3" : "edge2";
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  sync::SyncAuth ours(kKey, kCluster, "edge1", kOurNonce, we_dialed);
  const std::set<std::string> allowed = we_dialed ? std::set<std::string>{peer_name}
                                                  : std::set<std::string>{"edge2", "edge3"};

  // What arrives, and what each frame after the hello must open to (nullopt
  // for a frame that must not open).
  std::string wire;
  std::vector<std::optional<std::string>> expected;
  if (!authenticated) {
    wire.assign(rest);
  } else {
    sync::SyncAuth peer(kKey, kCluster, peer_name, kPeerNonce, !we_dialed);
    wire = tandem::encode_frame_bytes(peer.hello(we_dialed ? "" : "edge1"));
    check(!peer.accept_hello(ours.hello(we_dialed ? peer_name : ""), {"edge1"}).has_value());
    FrameDecoder split;
    split.feed(rest);
    std::string payload;
    while (split.next(payload) == FrameDecoder::Status::frame) {
      tandem::wire::SyncMessage message;
      if (!payload.empty() && static_cast<unsigned char>(payload[0]) == 0xff) {
        auto sealed = peer.seal(message);
        sealed[payload.size() % sealed.size()] ^= static_cast<char>(1 + (payload.size() & 0x7f));
        wire += tandem::encode_frame_bytes(sealed);
        expected.emplace_back();
        break;  // the connection closes there
      }
      if (!message.ParseFromString(payload)) continue;
      wire += tandem::encode_frame_bytes(peer.seal(message));
      expected.push_back(message.SerializeAsString());
    }
  }

  // The read loop of StickSync::serve, with on_message's merge.
  sync::StickStore store(pools());
  auto now = sync::TimePoint(std::chrono::hours(1));
  FrameDecoder decoder(tandem::kDefaultMaxFrameBytes);
  std::string_view stream(wire);
  std::string payload;
  std::size_t opened = 0;
  bool closed = false;
  while (!stream.empty() && !closed) {
    const auto n = std::min(step, stream.size());
    decoder.feed(stream.substr(0, n));
    stream.remove_prefix(n);
    for (;;) {
      const auto status = decoder.next(payload);
      if (status == FrameDecoder::Status::need_more) break;
      if (status == FrameDecoder::Status::too_large) {
        closed = true;
        break;
      }
      if (!ours.established()) {
        const auto error = ours.accept_hello(payload, allowed);
        if (authenticated) check(!error.has_value());
        if (error) {
          check(!ours.established());
          closed = true;
          break;
        }
        check(allowed.contains(ours.peer()) && ours.peer() != "edge1");
        continue;
      }
      sync::AuthError error{};
      const auto message = ours.open(payload, error);
      if (authenticated) {
        check(opened < expected.size());
        check(message.has_value() == expected[opened].has_value());
        if (message) check(message->SerializeAsString() == expected[opened]);
      }
      ++opened;
      if (!message) {
        closed = true;
        break;
      }
      if (message->has_stick() && message->stick().entries_size() > 0) {
        const auto changed = store.apply({message->stick().entries().begin(), message->stick().entries().end()}, now);
        for (const auto& e : changed) check(!e.key().empty() && (e.pool() == "app" || e.pool() == "api"));
      }
      now += std::chrono::milliseconds(message->batch() & 0xffff);
      (void)store.expire(now);
      check_store(store, now);
    }
  }
  if (authenticated && !closed) check(opened == expected.size());
  return 0;
}
