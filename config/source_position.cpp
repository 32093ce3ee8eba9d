#include "config/source_position.h"

namespace tandem::config {

std::string SourcePosition::at(std::string_view field, int index) const {
  if (!tree_ || !descriptor_) return self_;
  const auto* fd = descriptor_->FindFieldByName(std::string(field));
  if (!fd) return self_;
  const auto loc = tree_->GetLocation(fd, fd->is_repeated() ? index : -1);
  if (loc.line < 0) return self_;
  return filename_ + ":" + std::to_string(loc.line + 1) + ":" + std::to_string(loc.column + 1);
}

SourcePosition SourcePosition::in(std::string_view field, int index) const {
  const auto* fd = descriptor_ ? descriptor_->FindFieldByName(std::string(field)) : nullptr;
  if (!fd || !fd->message_type()) return SourcePosition(filename_, nullptr, nullptr, self_);
  const int i = fd->is_repeated() ? index : -1;
  const auto* nested = tree_ ? tree_->GetTreeForNested(fd, i) : nullptr;
  return SourcePosition(filename_, nested, fd->message_type(), at(field, i));
}

}  // namespace tandem::config
