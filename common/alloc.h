// Byte buffers that grow and shrink through the global operator new/delete, so the server's
// memory accounting (engine/memory.cc counts every operator new) sees them, as it would not
// see malloc/realloc. For compact encodings (ds/listpack, ds/intset) that manage raw bytes.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>

namespace tidekv {

// Returns a buffer of at least n bytes holding the first min(n, old size) bytes of p
// (p may be null); p is released. Stays in place when p's allocation already fits n and is
// not more than twice as large.
inline void* ResizeBytes(void* p, size_t n) {
  if (p != nullptr) {
    const size_t usable = malloc_usable_size(p);
    if (n <= usable && n * 2 >= usable) return p;
  }
  void* q = ::operator new(n);
  if (p != nullptr) {
    std::memcpy(q, p, std::min(n, malloc_usable_size(p)));
    ::operator delete(p);
  }
  return q;
}

inline void FreeBytes(void* p) { ::operator delete(p); }

// Fixed-width integers at any offset of such a buffer (native byte order: in-memory only).
template <typename T>
T LoadUnaligned(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void StoreUnaligned(unsigned char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace tidekv
