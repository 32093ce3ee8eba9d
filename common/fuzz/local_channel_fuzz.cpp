// libFuzzer target for the local channel (proxy <-> agent on the node's unix
// socket, common/proto/local_channel.proto): framed protobuf both ways, and
// the stick entries in it merged where each side merges them.
//   byte 0 bit 0 clear: the agent reads the proxy (ha/track/proxy_tracker.cpp:
//     FrameDecoder, ProxyToAgent; stick changes into the agent's StickStore,
//     as StickSync::on_proxy_stick does);
//   bit 0 set: the proxy reads the agent (lb/agent_link/agent_link.cpp:
//     AgentToProxy; stick entries grouped by pool into each pool's
//     StickTable, as the proxy's apply_from_agent does).
// Bits 1-5 pick how many bytes each read delivers. The frames are split by
// FrameDecoder in both directions (the proxy's read_frame reads the same
// 4-byte length and payload, with its own cap).
// Checked: frames come out whole and in order (the decoder never loses
// sync: re-encoding what came out gives back the stream's prefix); the
// tables and the store hold only their own pools, non-empty keys and never
// more than their bounds.
// run: ./local_channel_fuzz -max_len=16384 common/fuzz/corpus/local_channel_fuzz
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "common/framing.h"
#include "common/proto/local_channel.pb.h"
#include "ha/sync/stick_store.h"
#include "lb/stick/stick_table.h"

namespace {

using tandem::FrameDecoder;
namespace wire = tandem::wire;

void check(bool invariant) {
  if (!invariant) std::abort();
}

constexpr std::size_t kMaxFrame = 4096;  // small, so the cap is reached too

struct Agent {
  tandem::ha::sync::StickStore store{{{"app", {std::chrono::seconds(60), 8}}, {"api", {std::chrono::seconds(5), 2}}}};
  void on_frame(const std::string& payload, tandem::ha::sync::TimePoint now) {
    wire::ProxyToAgent message;
    if (!message.ParseFromString(payload)) return;  // the agent closes the channel
    if (!message.has_stick() || message.stick().entries_size() == 0) return;
    const auto changed = store.apply({message.stick().entries().begin(), message.stick().entries().end()}, now);
    for (const auto& e : changed) check(!e.key().empty() && (e.pool() == "app" || e.pool() == "api"));
    (void)store.expire(now);
    std::map<std::string, std::size_t> per_pool;
    for (const auto& e : store.snapshot(now)) ++per_pool[e.pool()];
    check(per_pool["app"] <= 8 && per_pool["api"] <= 2 && per_pool.size() <= 2);
  }
};

struct Proxy {
  std::map<std::string, std::unique_ptr<tandem::lb::StickTable>> tables;
  Proxy() {
    tables["app"] = std::make_unique<tandem::lb::StickTable>(
        tandem::lb::StickTableOptions{.pool = "app", .node = "edge1", .ttl = std::chrono::seconds(60), .max_entries = 8});
    tables["api"] = std::make_unique<tandem::lb::StickTable>(
        tandem::lb::StickTableOptions{.pool = "api", .node = "edge1", .ttl = std::chrono::seconds(5), .max_entries = 2});
  }
  void on_frame(const std::string& payload, tandem::lb::TimePoint now) {
    wire::AgentToProxy message;
    if (!message.ParseFromString(payload)) return;  // the proxy closes the link
    if (!message.has_stick()) return;
    std::map<std::string, std::vector<wire::StickEntry>> by_pool;
    for (const auto& e : message.stick().entries()) by_pool[e.pool()].push_back(e);
    for (const auto& [name, list] : by_pool) {
      const auto it = tables.find(name);
      if (it == tables.end()) continue;
      auto& table = *it->second;
      (void)table.apply(list, now);
      const auto entries = table.list(now);
      check(entries.size() <= table.options().max_entries);
      for (const auto& e : entries) {
        check(!e.key().empty());
        check(e.ttl_remaining_ms() <= static_cast<std::uint64_t>(table.options().ttl.count()));
        check(table.lookup(e.key(), now) == std::optional<std::string>(e.server()));
      }
      (void)table.drain_changes(16, now);  // applied entries are not echoed, but must drain cleanly
      (void)table.expire(now);
    }
  }
};

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it; at
// thousands of inputs a second that logging is most of the run.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool to_proxy = data[0] & 1;
  const std::size_t step = ((data[0] >> 1) & 0x1f) == 0 ? SIZE_MAX : ((data[0] >> 1) & 0x1f);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view whole = stream;

  Agent agent;
  Proxy proxy;
  auto now = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  FrameDecoder decoder(kMaxFrame);
  std::string payload;
  std::string reencoded;
  while (!stream.empty()) {
    const auto n = std::min(step, stream.size());
    decoder.feed(stream.substr(0, n));
    stream.remove_prefix(n);
    for (;;) {
      const auto status = decoder.next(payload);
      if (status == FrameDecoder::Status::need_more) break;
      if (status == FrameDecoder::Status::too_large) return 0;  // the channel closes
      check(payload.size() <= kMaxFrame);
      reencoded += tandem::encode_frame_bytes(payload);
      check(whole.substr(0, reencoded.size()) == reencoded);
      if (to_proxy) {
        proxy.on_frame(payload, now);
      } else {
        agent.on_frame(payload, now);
      }
      now += std::chrono::milliseconds(250);
    }
  }
  return 0;
}
