#include "server/event_loop.h"

#include <algorithm>
#include <chrono>

namespace tidekv::server {
namespace {

using Clock = std::chrono::steady_clock;

// The window grows from nothing to this first, then doubles.
constexpr int64_t kFirstWindowUs = 8;
// Below this the window is not worth a clock read: it drops to nothing.
constexpr int64_t kSmallestWindowUs = 2;

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

}  // namespace

int64_t NextPollWindow(int64_t window, int64_t slept_us, int64_t max) {
  if (slept_us > max) {
    window /= 2;
    return window < kSmallestWindowUs ? 0 : window;
  }
  return std::min(max, window == 0 ? kFirstWindowUs : window * 2);
}

void RunEventLoop(asio::io_context& io, const int64_t& busy_poll_us, EventLoopStats* stats) {
  int64_t window = busy_poll_us;
  while (!io.stopped()) {
    // Everything ready now (handlers queued by handlers, then a non-blocking epoll_wait).
    if (io.poll() > 0) continue;
    const int64_t max = std::max<int64_t>(0, busy_poll_us);
    window = std::min(window, max);
    stats->window_us = window;
    if (window > 0) {
      const Clock::time_point deadline = Clock::now() + std::chrono::microseconds(window);
      bool hit = false;
      while (!io.stopped() && Clock::now() < deadline) {
        if (io.poll() > 0) {
          hit = true;
          break;
        }
      }
      if (hit) {
        stats->poll_hits++;
        continue;
      }
    }
    if (io.stopped()) break;
    const Clock::time_point slept = Clock::now();
    io.run_one();
    stats->sleeps++;
    // The measured time includes the one handler run_one ran: a long handler also counts as
    // a long gap, which only makes the window shrink sooner.
    window = NextPollWindow(window, MicrosSince(slept), max);
  }
}

}  // namespace tidekv::server
