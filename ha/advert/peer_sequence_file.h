// The replay guard's memory across restarts: the last advert sequence
// accepted from each (node, instance), kept in a small text file next to the
// state file (node.state_file + ".sequences"), one line per stream:
//   node=edge1 instance=www sequence=1763770000123456
// Pure: text in, text out; the agent reads the file at start and rewrites it
// (ha/advert/write_throttle.h says when).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ha/advert/advert_codec.h"

namespace tandem::ha {

// (node, instance) -> last accepted sequence.
using PeerSequences = std::map<std::pair<std::string, std::string>, std::uint64_t>;

// Where the sequences of an agent whose state file is STATE_FILE live
// ("" when the node has no state file: nothing is persisted).
std::string peer_sequence_path(const std::string& state_file);

// The file's text for PEERS (streams with sequence 0 are left out).
std::string peer_sequences_text(const std::map<std::pair<std::string, std::string>, PeerSequence>& peers);

// The sequences in TEXT. A line that does not parse is skipped and described
// in PROBLEMS ("line 3: ..."), so a damaged file loses only that stream.
PeerSequences parse_peer_sequences(std::string_view text, std::vector<std::string>& problems);

}  // namespace tandem::ha
