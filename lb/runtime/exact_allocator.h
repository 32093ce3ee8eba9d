// An allocator for the handlers of waits that last as long as a connection
// idles: the parked session's readiness wait and the watchdog's timer.
//
// By default Asio allocates a handler's operation from a small per-thread
// cache of recycled blocks, and takes any cached block large enough: a
// ~150-byte wait then keeps the 500-byte block a finished write left there,
// for as long as the connection idles (measured: most of a KiB per idle
// connection). Bound to a handler with asio::bind_allocator, this allocator
// bypasses the cache, so such a wait costs its own size. Short operations
// keep the cache: for them it saves a malloc and free.
#pragma once

#include <cstddef>
#include <new>

namespace tandem::lb {

template <class T>
struct ExactAllocator {
  using value_type = T;

  ExactAllocator() noexcept = default;
  template <class U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { ::operator delete(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const ExactAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace tandem::lb
