// Index ranges as Redis sanitizes them (LRANGE, LTRIM, ZRANGE by rank, ZREMRANGEBYRANK...).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidekv::commands {

// The inclusive positions [*first, *last] that start..stop select in a sequence of `len`
// elements (negative counts from the end, out-of-range ends clamped); false when empty.
inline bool ClampRange(int64_t start, int64_t stop, size_t len, size_t* first, size_t* last) {
  const auto n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *first = static_cast<size_t>(start);
  *last = static_cast<size_t>(stop);
  return true;
}

}  // namespace tidekv::commands
