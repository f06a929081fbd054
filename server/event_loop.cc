#include "server/event_loop.h"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace tidekv::server {
namespace {

using Clock = std::chrono::steady_clock;

// The window grows from nothing to this first, then doubles.
constexpr int64_t kFirstWindowUs = 8;
// Below this the window is not worth a clock read: it drops to nothing.
constexpr int64_t kSmallestWindowUs = 2;
// Polling may take at most this share of the time the loop spent working (carried over
// between idle moments): with the client the bottleneck, the loop would otherwise spin for
// every gap and cost one core per server whatever the load (docs/performance.md).
constexpr int64_t kSpinPerWorkPercent = 25;

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t NanosBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
}

}  // namespace

int64_t NextPollWindow(int64_t window, int64_t slept_us, int64_t max) {
  if (slept_us > max) {
    window /= 2;
    return window < kSmallestWindowUs ? 0 : window;
  }
  return std::min(max, window == 0 ? kFirstWindowUs : window * 2);
}

int64_t SpinBudget(int64_t budget_ns, int64_t worked_ns, int64_t spun_ns, int64_t max_us) {
  budget_ns += worked_ns * kSpinPerWorkPercent / 100 - spun_ns;
  return std::clamp<int64_t>(budget_ns, 0, max_us * 1000);
}

size_t PollReady(asio::io_context& io, const std::function<void()>& before_idle) {
  // poll_one returns 0 only when nothing is queued and a non-blocking wait found no event.
  size_t n = 0;
  while (io.poll_one() > 0) {
    if (++n % kHandlersPerIdleCall == 0) before_idle();
  }
  before_idle();
  return n;
}

void RunEventLoop(asio::io_context& io, const int64_t& busy_poll_us, EventLoopStats* stats,
                  const std::function<void()>& before_idle) {
  int64_t window = busy_poll_us;
  int64_t budget_ns = 0;
  Clock::time_point work_start = Clock::now();
  while (!io.stopped()) {
    // Everything ready now (handlers queued by handlers, then a non-blocking epoll_wait).
    if (PollReady(io, before_idle) > 0) continue;
    const int64_t max = std::max<int64_t>(0, busy_poll_us);
    window = std::min(window, max);
    stats->window_us = window;
    Clock::time_point idle_start = Clock::now();
    budget_ns = SpinBudget(budget_ns, NanosBetween(work_start, idle_start), 0, max);
    const int64_t spin_ns = std::min(window * 1000, budget_ns);
    if (spin_ns >= kSmallestWindowUs * 1000) {
      const Clock::time_point deadline = idle_start + std::chrono::nanoseconds(spin_ns);
      bool hit = false;
      Clock::time_point now = idle_start;
      while (!io.stopped() && (now = Clock::now()) < deadline) {
        if (PollReady(io, before_idle) > 0) {
          hit = true;
          break;
        }
      }
      budget_ns = SpinBudget(budget_ns, 0, NanosBetween(idle_start, now), max);
      if (hit) {
        stats->poll_hits++;
        work_start = now;
        continue;
      }
      idle_start = now;
    }
    if (io.stopped()) break;
    // The handler run_one runs after the wait is work too: its CPU time is credited (the
    // thread's CPU clock does not advance while it sleeps; one clock_gettime per sleep).
    const int64_t cpu_before = max > 0 ? ThreadCpuNanos() : 0;
    io.run_one();
    stats->sleeps++;
    if (max > 0) budget_ns = SpinBudget(budget_ns, ThreadCpuNanos() - cpu_before, 0, max);
    work_start = Clock::now();
    // The measured time includes the one handler run_one ran: a long handler also counts as
    // a long gap, which only makes the window shrink sooner.
    window = NextPollWindow(window, MicrosSince(idle_start), max);
  }
}

}  // namespace tidekv::server
