// Whole-file rewrites that a reader never sees half done: the state file
// (ha/agent/state_file.h) and the peer sequence file
// (ha/advert/sequence_keeper.h) both go through here.
#pragma once

#include <string>

namespace tandem::ha {

// Writes TEXT to PATH atomically (PATH.tmp, fsync-free, rename). On failure
// returns false and sets ERROR.
bool write_file_atomically(const std::string& path, const std::string& text, std::string& error);

}  // namespace tandem::ha
