// Whole-file rewrites that a reader never sees half done: the agent's state
// file (ha/agent/state_file.h), its peer sequence file
// (ha/advert/sequence_keeper.h) and drain file, and the proxy's overlay of
// runtime server changes (config/server_set/overlay_file.h).
#pragma once

#include <string>

namespace tandem {

enum class Durability {
  rename_only,  // atomic for readers; a power cut may leave the old file (state files rewritten often)
  fsync,        // the bytes are on disk before the rename (a change acknowledged to an operator)
};

// Writes TEXT to PATH atomically through a temporary file named after this
// process (two processes given one path never rename each other's file). On
// failure returns false, sets ERROR and leaves PATH as it was.
bool write_file_atomically(const std::string& path, const std::string& text, std::string& error,
                           Durability durability = Durability::rename_only);

}  // namespace tandem
