// A bump allocator for the header fields of one request and its response.
// Beast's basic_fields allocates one element per field (and the target and
// reason strings): about ten malloc/free pairs per message. With an Arena
// they are pointer bumps, all released at once when the exchange ends.
//
// Memory is taken in blocks of kBlockSize from a per-thread spare list (each
// worker thread runs its own io_context), so an exchange costs no malloc once
// the worker is warm and an idle connection holds no block. A field larger
// than a block gets a block of its own, freed with the arena. Growth is
// bounded by what the parser accepts (header_limit) plus the few fields the
// proxy edits: deallocation only gives back the most recent allocation.
//
// Threading: an Arena belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

namespace tandem::lb::http {

/// Monotonic memory for one exchange: allocate() bumps, the destructor (or
/// reset()) releases everything.
class Arena {
 public:
  /// Size of a standard block (data bytes), enough for a typical request and response.
  static constexpr std::size_t kBlockSize = 4096 - 32;
  /// Standard blocks a thread keeps for reuse: 64 concurrent exchanges' worth.
  static constexpr std::size_t kMaxSpares = 64;

  Arena() = default;
  ~Arena() { reset(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  /// `bytes` aligned to `align` (a power of two, at most alignof(max_align_t)).
  void* allocate(std::size_t bytes, std::size_t align) {
    std::size_t at = (used_ + align - 1) & ~(align - 1);
    if (!head_ || at + bytes > head_->size) {
      grow(bytes);
      at = 0;
    }
    last_ = at;
    used_ = at + bytes;
    return head_->data() + at;
  }

  /// Gives `p` back if it is the most recent allocation (a value replaced
  /// right after it was set); anything else waits for reset().
  void deallocate(void* p, std::size_t bytes) noexcept {
    if (head_ && p == head_->data() + last_ && last_ + bytes == used_) used_ = last_;
  }

  /// Releases every block: standard ones to the thread's spare list.
  void reset() noexcept;

  /// Data bytes of the blocks held now (for tests and limits).
  [[nodiscard]] std::size_t reserved() const noexcept;

  /// Standard blocks in this thread's spare list (for tests).
  [[nodiscard]] static std::size_t spare_blocks() noexcept;

 private:
  struct alignas(std::max_align_t) Block {
    Block* next = nullptr;
    std::size_t size = 0;  // data bytes after the header
    char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  };
  // Pushes a block with room for `bytes` (a standard one when it fits).
  void grow(std::size_t bytes);

  Block* head_ = nullptr;  // current block; older ones follow `next`
  std::size_t used_ = 0;   // bytes used in head_
  std::size_t last_ = 0;   // offset of the most recent allocation in head_
};

/// std::allocator-shaped handle on an Arena, for bhttp::basic_fields.
template <class T>
class ArenaAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;

  explicit ArenaAllocator(Arena& arena) noexcept : arena_(&arena) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena_(other.arena()) {}

  T* allocate(std::size_t n) { return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { arena_->deallocate(p, n * sizeof(T)); }

  /// The arena this allocator draws from.
  Arena* arena() const noexcept { return arena_; }

  template <class U>
  friend bool operator==(const ArenaAllocator& a, const ArenaAllocator<U>& b) noexcept {
    return a.arena() == b.arena();
  }

 private:
  Arena* arena_;
};

}  // namespace tandem::lb::http
