// CycleClock: a cheap tick counter for timing short things (each command's execution time),
// where two clock_gettime calls per command would cost more than many commands do. On
// x86-64 it reads the CPU's time-stamp counter (constant-rate and synchronised across cores
// on every CPU with constant_tsc); elsewhere it falls back to steady_clock nanoseconds.
// Ticks become microseconds through TicksPerUs(), measured against steady_clock.
#pragma once

#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tidekv {

class CycleClock {
 public:
  static int64_t Now() {
#if defined(__x86_64__)
    return static_cast<int64_t>(__rdtsc());
#else
    return SteadyNs();
#endif
  }

  // Ticks per microsecond. The first call after at least 50 ms of process life fixes the
  // value (measured between the process's first call and then); earlier calls return a
  // provisional measurement.
  static double TicksPerUs();
  // Whether TicksPerUs has its final value (false during the process's first 50 ms).
  static bool RateFixed();

  static int64_t ToMicros(int64_t ticks) {
    return static_cast<int64_t>(static_cast<double>(ticks) / TicksPerUs());
  }

 private:
  static int64_t SteadyNs();
};

}  // namespace tidekv
