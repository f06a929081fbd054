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

TEST_CASE("events closer than the window are found by polling, not by sleeping",
          "[server][event_loop]") {
  // A thread posts every 20-100 us (sleep_for's timer slack): with a 1 ms window the loop
  // should rarely sleep.
  asio::io_context io{1};
  auto guard = asio::make_work_guard(io);
  std::atomic<int> handled = 0;
  constexpr int kEvents = 2000;
  std::thread feeder([&] {
    for (int i = 0; i < kEvents; i++) {
      asio::post(io, [&] { handled++; });
      std::this_thread::sleep_for(20us);
    }
    asio::post(io, [&] { guard.reset(); });
  });
  EventLoopStats stats;
  RunEventLoop(io, 1000, &stats);
  feeder.join();
  CHECK(handled == kEvents);
  INFO("sleeps " << stats.sleeps << ", poll hits " << stats.poll_hits);
  // Scheduling noise on a loaded machine may make some gaps longer than the window; most
  // events are still found by polling.
  CHECK(stats.poll_hits > stats.sleeps);
}

TEST_CASE("events farther apart than the window shrink it to nothing", "[server][event_loop]") {
  asio::io_context io{1};
  Ticker ticker(io, 3ms, 12);
  EventLoopStats stats;
  RunEventLoop(io, 50, &stats);
  CHECK(ticker.fired() == 12);
  // 50 -> 25 -> 12 -> 6 -> 3 -> 0 after five long sleeps; the rest sleep at once.
  CHECK(stats.window_us == 0);
  CHECK(stats.sleeps >= 12);
}

}  // namespace
}  // namespace tidekv::server
