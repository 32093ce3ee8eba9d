// etcd v3's JSON gateway as bytes (issue 13 item 3; the shell that moves
// them is lb/runtime/etcd_watcher, see docs/discovery.md "etcd"). Pure:
// request bodies out, response bodies and watch-stream lines in.
//
// What etcd 3.4's gateway speaks (checked against Debian 12's etcd-server
// 3.4.23): POST /v3/kv/range and POST /v3/watch with JSON bodies; keys and
// values are base64; int64 fields are JSON strings; fields at their default
// value are left out (a PUT event has no "type", only DELETE says so). The
// watch answer is one chunked HTTP response that never ends: one JSON
// object per line, each {"result": WatchResponse} or {"error": {...}}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::lb {

// Keys under one prefix that make a pool; a range with more is refused
// (a typo'd prefix such as "/" must not become ten thousand servers).
inline constexpr std::size_t kMaxEtcdKeys = 4096;
// One line of the watch stream (one WatchResponse) may be this long.
inline constexpr std::size_t kMaxEtcdLineBytes = 4 * 1024 * 1024;

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding, as etcd writes it; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

// The end of the range of keys that start with PREFIX (etcd's
// GetPrefixRangeEnd): PREFIX with its last byte below 0xff incremented.
std::string prefix_range_end(std::string_view prefix);

// The body of POST /v3/kv/range for every key under PREFIX, at most
// kMaxEtcdKeys + 1 of them (one more tells "too many").
std::string range_request_body(std::string_view prefix);
// The body of POST /v3/watch for keys under PREFIX from START_REVISION on.
std::string watch_request_body(std::string_view prefix, std::int64_t start_revision);

struct EtcdKv {
  std::string key;    // decoded
  std::string value;  // decoded; empty for a DELETE
  std::int64_t mod_revision = 0;
};

struct EtcdRange {
  std::int64_t revision = 0;  // the store's revision the answer reflects (header)
  std::vector<EtcdKv> kvs;
  bool more = false;          // etcd had more keys than the limit
};

// A /v3/kv/range answer; nullopt with ERROR set when it is not one (an
// error object, bad JSON, bad base64, no header revision).
std::optional<EtcdRange> parse_range(std::string_view body, std::string& error);

struct EtcdEvent {
  bool deleted = false;  // DELETE; else PUT
  EtcdKv kv;
};

struct EtcdWatchMessage {
  std::int64_t revision = 0;          // header revision (0 when absent)
  bool created = false;               // the watch is set up
  bool canceled = false;              // the watch ended (etcd says why below)
  std::int64_t compact_revision = 0;  // canceled because START_REVISION was compacted
  std::string cancel_reason;
  std::vector<EtcdEvent> events;      // in revision order
};

// One line of the /v3/watch stream; nullopt with ERROR set when it is not a
// WatchResponse (an {"error": ...} line, bad JSON, bad base64).
std::optional<EtcdWatchMessage> parse_watch_message(std::string_view line, std::string& error);

// Cuts the watch stream's bytes into lines, as they arrive in any pieces.
class EtcdStreamLines {
 public:
  // Appends BYTES; each complete line (without its '\n', empty lines
  // skipped) is added to LINES. False when a line grows past
  // kMaxEtcdLineBytes: the stream is no longer trusted.
  bool feed(std::string_view bytes, std::vector<std::string>& lines);
  std::size_t buffered() const { return partial_.size(); }

 private:
  std::string partial_;
};

}  // namespace tandem::lb
