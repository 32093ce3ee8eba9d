// Maps a field of a parsed text-format message back to its file:line:col.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>

namespace tandem::config {

// A position in the cluster file: one message of it, and where it started.
class SourcePosition {
 public:
  SourcePosition(const std::string& filename, const google::protobuf::TextFormat::ParseInfoTree* tree,
                 const google::protobuf::Descriptor* descriptor, std::string self)
      : filename_(filename), tree_(tree), descriptor_(descriptor), self_(std::move(self)) {}

  // "file:line:col" of FIELD (element INDEX if repeated) of this message; the
  // message's own position when the field was not written in the file.
  std::string at(std::string_view field, int index = -1) const;

  // The position object of nested message FIELD (element INDEX if repeated).
  SourcePosition in(std::string_view field, int index = -1) const;

  // Where this message itself starts (or the file name for the root).
  const std::string& self() const { return self_; }

 private:
  const std::string& filename_;
  const google::protobuf::TextFormat::ParseInfoTree* tree_;
  const google::protobuf::Descriptor* descriptor_;
  std::string self_;
};

}  // namespace tandem::config
