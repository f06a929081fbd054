// PartialQuickSort: sorts just enough of an array for its first `wanted` positions to hold
// what a full sort would put there (Redis's pqsort, which GEORADIUS ... COUNT and SORT ...
// LIMIT use). It is Bentley and McIlroy's quicksort ("Engineering a Sort Function", as in the
// BSD C libraries) that skips every partition lying wholly past the wanted positions.
//
// It is not stable, and the order it leaves equal elements in is part of what Redis replies
// (which of several members at the same distance COUNT keeps): this follows the same pivot
// choices and exchanges step for step as Redis 7.0's pqsort.c (which, unlike later versions,
// never falls back to insertion sort when a partition needed no exchange), so equal elements
// end where Redis's leave them.
// cmp(a, b) returns <0, 0 or >0. Header-only; any thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace tidekv::ds {

namespace partial_sort_detail {

template <typename T, typename Cmp>
class Sorter {
 public:
  Sorter(T* origin, size_t wanted, Cmp& cmp) : origin_(origin), wanted_(wanted), cmp_(cmp) {}

  void Sort(T* a, ptrdiff_t n) {
    for (;;) {
      if (n < 7) return InsertionSort(a, n);
      ptrdiff_t m = n / 2;
      if (n > 7) {
        ptrdiff_t lo = 0;
        ptrdiff_t hi = n - 1;
        if (n > 40) {
          const ptrdiff_t d = n / 8;
          lo = Median(a, lo, lo + d, lo + 2 * d);
          m = Median(a, m - d, m, m + d);
          hi = Median(a, hi - 2 * d, hi - d, hi);
        }
        m = Median(a, lo, m, hi);
      }
      std::swap(a[0], a[m]);
      // Three-way partition around a[0]: elements equal to it gather at both ends
      // ([1, pa) and (pd, n)), smaller ones after the left block, larger before the right.
      ptrdiff_t pa = 1, pb = 1, pc = n - 1, pd = n - 1;
      for (;;) {
        int c = 0;
        while (pb <= pc && (c = cmp_(a[pb], a[0])) <= 0) {
          if (c == 0) std::swap(a[pa++], a[pb]);
          pb++;
        }
        while (pb <= pc && (c = cmp_(a[pc], a[0])) >= 0) {
          if (c == 0) std::swap(a[pc], a[pd--]);
          pc--;
        }
        if (pb > pc) break;
        std::swap(a[pb++], a[pc--]);
      }
      // Bring the equal blocks to the middle.
      SwapBlocks(a, a + pb - std::min(pa, pb - pa), std::min(pa, pb - pa));
      SwapBlocks(a + pb, a + n - std::min(pd - pc, n - pd - 1), std::min(pd - pc, n - pd - 1));
      if (const ptrdiff_t smaller = pb - pa; smaller > 1 && Wanted(a)) Sort(a, smaller);
      const ptrdiff_t larger = pd - pc;
      if (larger <= 1) return;
      a += n - larger;
      n = larger;
      if (!Wanted(a)) return;
    }
  }

 private:
  // Whether a partition starting at `a` reaches the wanted positions (they start the array).
  bool Wanted(const T* a) const { return static_cast<size_t>(a - origin_) < wanted_; }

  void InsertionSort(T* a, ptrdiff_t n) {
    for (ptrdiff_t m = 1; m < n; m++) {
      for (ptrdiff_t l = m; l > 0 && cmp_(a[l - 1], a[l]) > 0; l--) std::swap(a[l], a[l - 1]);
    }
  }

  ptrdiff_t Median(T* a, ptrdiff_t x, ptrdiff_t y, ptrdiff_t z) {
    if (cmp_(a[x], a[y]) < 0) {
      if (cmp_(a[y], a[z]) < 0) return y;
      return cmp_(a[x], a[z]) < 0 ? z : x;
    }
    if (cmp_(a[y], a[z]) > 0) return y;
    return cmp_(a[x], a[z]) < 0 ? x : z;
  }

  static void SwapBlocks(T* x, T* y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) std::swap(x[i], y[i]);
  }

  T* origin_;
  size_t wanted_;
  Cmp& cmp_;
};

}  // namespace partial_sort_detail

// Orders a[0, n) so that a[0, wanted) is what a full sort would leave there; the rest is in
// no particular order.
template <typename T, typename Cmp>
void PartialQuickSort(T* a, size_t n, size_t wanted, Cmp cmp) {
  if (wanted == 0) return;
  partial_sort_detail::Sorter<T, Cmp>(a, wanted, cmp).Sort(a, static_cast<ptrdiff_t>(n));
}

}  // namespace tidekv::ds
