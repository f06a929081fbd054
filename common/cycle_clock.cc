#include "common/cycle_clock.h"

#include <atomic>
#include <chrono>

namespace tidekv {

namespace {
std::atomic<double> g_fixed_rate{0.0};  // ticks per microsecond, once measured
}  // namespace

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
  double rate = g_fixed_rate.load(std::memory_order_relaxed);
  if (rate > 0) return rate;
  const int64_t ns = SteadyNs() - origin.ns;
  const int64_t ticks = Now() - origin.ticks;
  if (ns <= 0 || ticks <= 0) return 1000.0;  // provisional: 1 GHz
  rate = static_cast<double>(ticks) * 1000.0 / static_cast<double>(ns);
  if (ns >= 50'000'000) g_fixed_rate.store(rate, std::memory_order_relaxed);
  return rate;
}

bool CycleClock::RateFixed() { return g_fixed_rate.load(std::memory_order_relaxed) > 0; }

}  // namespace tidekv
