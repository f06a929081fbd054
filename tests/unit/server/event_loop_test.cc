// RunEventLoop: runs handlers like io_context::run(), returns when work runs out, and adapts
// its polling window to the gaps between events (server/event_loop.h).
#include "server/event_loop.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace tidekv::server {
namespace {

using namespace std::chrono_literals;

// Fires `count` timer events `gap` apart on `io`, each re-arming the next.
class Ticker {
 public:
  Ticker(asio::io_context& io, std::chrono::microseconds gap, int count)
      : timer_(io), gap_(gap), left_(count) {
    Arm();
  }
  int fired() const { return fired_; }

 private:
  void Arm() {
    timer_.expires_after(gap_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      fired_++;
      if (--left_ > 0) Arm();
    });
  }
  asio::steady_timer timer_;
  std::chrono::microseconds gap_;
  int left_;
  int fired_ = 0;
};

TEST_CASE("the event loop runs every handler and returns when work runs out",
          "[server][event_loop]") {
  for (int64_t busy_poll_us : {0, 50}) {
    INFO("busy_poll_us = " << busy_poll_us);
    asio::io_context io{1};
    int posted = 0;
    for (int i = 0; i < 100; i++) asio::post(io, [&] { posted++; });
    Ticker ticker(io, 100us, 20);
    EventLoopStats stats;
    RunEventLoop(io, busy_poll_us, &stats);
    CHECK(posted == 100);
    CHECK(ticker.fired() == 20);
    CHECK(io.stopped());
    if (busy_poll_us == 0) {
      CHECK(stats.poll_hits == 0);
      CHECK(stats.window_us == 0);
    }
  }
}

TEST_CASE("events within the window are found by polling, never by sleeping",
          "[server][event_loop]") {
  // A window of 10 s: however the threads are scheduled, each event arrives within it, so the
  // loop never sleeps. (How often polling pays off at realistic windows is a property of
  // timing, measured by tests/bench/vs-redis.sh, not asserted here.)
  asio::io_context io{1};
  auto guard = asio::make_work_guard(io);
  std::atomic<int> handled = 0;
  constexpr int kEvents = 200;
  std::thread feeder([&] {
    for (int i = 0; i < kEvents; i++) {
      asio::post(io, [&] { handled++; });
      std::this_thread::sleep_for(20us);
    }
    asio::post(io, [&] { guard.reset(); });
  });
  EventLoopStats stats;
  RunEventLoop(io, 10'000'000, &stats);
  feeder.join();
  CHECK(handled == kEvents);
  INFO("sleeps " << stats.sleeps << ", poll hits " << stats.poll_hits);
  CHECK(stats.sleeps == 0);
  CHECK(stats.poll_hits >= 1);
}

TEST_CASE("the polling window halves after long sleeps and doubles after short ones",
          "[server][event_loop]") {
  // Long sleeps: 50 -> 25 -> 12 -> 6 -> 3 -> 0 (below 2 us it is not worth a clock read).
  int64_t window = 50;
  const int64_t expected_shrink[] = {25, 12, 6, 3, 0, 0};
  for (int64_t want : expected_shrink) {
    window = NextPollWindow(window, 1000, 50);
    CHECK(window == want);
  }
  // Short sleeps: from nothing to the first step, then doubling up to the maximum.
  const int64_t expected_growth[] = {8, 16, 32, 50, 50};
  for (int64_t want : expected_growth) {
    window = NextPollWindow(window, 10, 50);
    CHECK(window == want);
  }
  // A sleep exactly as long as the maximum still counts as short.
  CHECK(NextPollWindow(16, 50, 50) == 32);
  // busy_poll_us = 0: always nothing.
  CHECK(NextPollWindow(0, 0, 0) == 0);
  CHECK(NextPollWindow(0, 1000, 0) == 0);
}

TEST_CASE("events farther apart than the window shrink it to nothing", "[server][event_loop]") {
  asio::io_context io{1};
  Ticker ticker(io, 20ms, 12);
  EventLoopStats stats;
  RunEventLoop(io, 50, &stats);
  CHECK(ticker.fired() == 12);
  // Five sleeps longer than 50 us take the window to 0; a poll hit instead of a sleep (the
  // loop descheduled for 20 ms inside a 50 us window) leaves it unchanged, so count both.
  CHECK(stats.window_us == 0);
  CHECK(stats.sleeps + stats.poll_hits >= 12);
}

}  // namespace
}  // namespace tidekv::server
