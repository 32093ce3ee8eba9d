// BIRD 2's control-socket replies (what `birdc` reads from
// /run/bird/bird.ctl), parsed. Pure: bytes in, rows out; fuzzed
// (ha/fuzz/bird_reply_fuzz.cpp), since the agent reads them off a socket.
//
// The protocol (BIRD's doc/prog-intro, "Remote control"): every line starts
// with a four-digit code and '-' when more lines follow or ' ' on the
// reply's last line; a line starting with ' ' continues the previous code.
// 0xxx ends a reply with success (0001 is the greeting), 1xxx is a table
// row, 2xxx a table heading, 8xxx a run-time and 9xxx a parse error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::ha {

// Hard caps on what the agent accepts from the daemon.
inline constexpr std::size_t kBirdReplyMaxBytes = 256 * 1024;
inline constexpr std::size_t kBirdMaxProtocols = 512;

// Whether TEXT (bytes read so far) holds a whole reply: the length of the
// reply (up to and including its last line's newline), or nullopt when
// more bytes are needed.
std::optional<std::size_t> bird_reply_length(std::string_view text);

// One row of `show protocols`.
struct BirdProtocol {
  std::string name;      // "uplink"
  std::string protocol;  // "BGP", "BFD", "Kernel", "Device", "Static"
  std::string table;     // "master4", "---"
  std::string state;     // "up", "start", "down", "flush"
  std::string since;     // "15:20:05.001" or "2026-12-07 15:20:05"
  std::string info;      // "Established", "Active        Socket: Connection refused"
  bool operator==(const BirdProtocol&) const = default;
};

// The rows of a whole `show protocols` reply (as bird_reply_length cut it).
// nullopt and ERROR when the reply is an error (8xxx, 9xxx: its text), is
// malformed, or exceeds the caps.
std::optional<std::vector<BirdProtocol>> parse_show_protocols(std::string_view reply, std::string& error);

}  // namespace tandem::ha
