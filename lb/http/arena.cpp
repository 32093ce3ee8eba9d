#include "lb/http/arena.h"

#include <cstdlib>
#include <vector>

namespace tandem::lb::http {
namespace {

// Standard blocks given back on this thread, ready for the next exchange.
std::vector<void*>& spares() {
  static thread_local struct List {
    std::vector<void*> blocks;
    List() { blocks.reserve(Arena::kMaxSpares); }  // reset() pushes without throwing
    ~List() {
      for (void* b : blocks) std::free(b);
    }
  } list;
  return list.blocks;
}

}  // namespace

void Arena::grow(std::size_t bytes) {
  void* memory = nullptr;
  std::size_t size = kBlockSize;
  if (bytes <= kBlockSize && !spares().empty()) {
    memory = spares().back();
    spares().pop_back();
  } else {
    if (bytes > kBlockSize) size = bytes;
    memory = std::malloc(sizeof(Block) + size);
    if (!memory) throw std::bad_alloc();
  }
  auto* block = ::new (memory) Block;
  block->size = size;
  block->next = head_;
  head_ = block;
  used_ = 0;
  last_ = 0;
}

void Arena::reset() noexcept {
  while (head_) {
    Block* next = head_->next;
    const bool standard = head_->size == kBlockSize;
    head_->~Block();
    if (standard && spares().size() < kMaxSpares) {
      spares().push_back(head_);
    } else {
      std::free(head_);
    }
    head_ = next;
  }
  used_ = 0;
  last_ = 0;
}

std::size_t Arena::reserved() const noexcept {
  std::size_t total = 0;
  for (const Block* b = head_; b; b = b->next) total += b->size;
  return total;
}

std::size_t Arena::spare_blocks() noexcept { return spares().size(); }

}  // namespace tandem::lb::http
