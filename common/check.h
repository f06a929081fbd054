// TIDEKV_CHECK: invariants. A failed check prints where and what, then aborts: a broken
// invariant means memory or data is already wrong, and continuing could corrupt disk state.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TIDEKV_CHECK(cond)                                                            \
  do {                                                                                \
    if (!(cond)) [[unlikely]] {                                                       \
      std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
