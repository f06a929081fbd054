#include "common/cycle_clock.h"

#include <atomic>
#include <chrono>

namespace tidekv {

int64_t CycleClock::SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double CycleClock::TicksPerUs() {
  struct Origin {
    int64_t ticks = CycleClock::Now();
    int64_t ns = SteadyNs();
  };
  static const Origin origin;
  static std::atomic<double> fixed{0.0};
  double rate = fixed.load(std::memory_order_relaxed);
  if (rate > 0) return rate;
  const int64_t ns = SteadyNs() - origin.ns;
  const int64_t ticks = Now() - origin.ticks;
  if (ns <= 0 || ticks <= 0) return 1000.0;  // provisional: 1 GHz
  rate = static_cast<double>(ticks) * 1000.0 / static_cast<double>(ns);
  if (ns >= 50'000'000) fixed.store(rate, std::memory_order_relaxed);
  return rate;
}

}  // namespace tidekv
