// Clock: the engine's only source of time, so tests (and trace replay) can drive it.
//
// The loop thread reads the clock once per command (Redis does the same with its cached
// mstime): all expiry decisions within one command see the same instant.
#pragma once

#include <atomic>
#include <cstdint>

namespace tidekv {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch (expiry times are absolute ms).
  virtual int64_t NowMs() const = 0;
  // Wall-clock time in microseconds since the Unix epoch (TIME, trace records).
  virtual int64_t NowUs() const = 0;
  // Monotonic nanoseconds, for durations only.
  virtual int64_t MonotonicNs() const = 0;
};

// The real clock.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t NowUs() const override;
  int64_t MonotonicNs() const override;
  static SystemClock& Instance();
};

// A clock that moves only when told to. Thread-safe reads; meant for tests and replay.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_us_(now_ms * 1000) {}
  int64_t NowMs() const override { return now_us_.load() / 1000; }
  int64_t NowUs() const override { return now_us_.load(); }
  int64_t MonotonicNs() const override { return now_us_.load() * 1000; }
  void SetMs(int64_t ms) { now_us_.store(ms * 1000); }
  void SetUs(int64_t us) { now_us_.store(us); }
  void AdvanceMs(int64_t ms) { now_us_.fetch_add(ms * 1000); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace tidekv
