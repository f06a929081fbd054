// Memory accounting: every C++ allocation in the process goes through these replacements of
// the global operator new/delete, which keep a running total of the bytes the allocator
// handed out (malloc_usable_size, so allocator rounding is counted as Redis's zmalloc does).
// INFO memory reports it and maxmemory compares against it: exact at every command, no
// sampling, one relaxed atomic add per allocation.
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#ifdef TIDEKV_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "engine/engine.h"

namespace {

std::atomic<size_t> g_used_bytes{0};

void* Allocate(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p != nullptr) g_used_bytes.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}

void* AllocateAligned(size_t size, std::align_val_t align) {
  size_t a = static_cast<size_t>(align);
  if (a < sizeof(void*)) a = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, a, size == 0 ? 1 : size) != 0) return nullptr;
  g_used_bytes.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}

void Free(void* p) {
  if (p == nullptr) return;
  g_used_bytes.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}

void* AllocateOrThrow(size_t size) {
  void* p = Allocate(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AllocateAlignedOrThrow(size_t size, std::align_val_t align) {
  void* p = AllocateAligned(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

size_t tidekv::engine::Engine::UsedMemory() { return g_used_bytes.load(std::memory_order_relaxed); }

void tidekv::engine::Engine::ReleaseFreeMemory() {
#if defined(TIDEKV_WITH_MIMALLOC)
  mi_collect(true);
#elif defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  malloc_trim(0);
#endif
}

void* operator new(size_t size) { return AllocateOrThrow(size); }
void* operator new[](size_t size) { return AllocateOrThrow(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new(size_t size, std::align_val_t a) { return AllocateAlignedOrThrow(size, a); }
void* operator new[](size_t size, std::align_val_t a) { return AllocateAlignedOrThrow(size, a); }
void* operator new(size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, a);
}
void* operator new[](size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, a);
}
void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
