// LatencyMonitor: Redis's latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH /
// DOCTOR). Code that can block the loop for long measures itself and reports an event
// sample in milliseconds; samples of at least latency-monitor-threshold ms are kept, per
// event, in a ring of the last 160 (one per second: a second sample in the same second
// keeps the larger), with the all-time maximum. 0 turns the monitor off.
//
// Events, named as Redis names them where the meaning is the same:
//   command, fast-command  a command's execution (fast-command: one flagged fast)
//   expire-cycle           the active expiry cycle of one cron tick (server/server.cc)
//   eviction-cycle         one eviction pass (engine/eviction.cc), eviction-del: one key's
//                          deletion in it
//   seal-capture           tidekv's own: a seal encoding the changed keys on the loop
//                          (persistence/persistence.cc; Redis's nearest is "fork")
// Loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::engine {

class LatencyMonitor {
 public:
  static constexpr size_t kSamples = 160;

  struct Sample {
    int64_t unix_s = 0;  // 0: an empty slot
    int64_t ms = 0;
  };
  struct Series {
    std::array<Sample, kSamples> ring{};
    size_t next = 0;  // where the next sample goes
    int64_t max_ms = 0;
    const Sample& latest() const { return ring[(next + kSamples - 1) % kSamples]; }
    // The kept samples, oldest first.
    std::vector<Sample> History() const;
  };

  void set_threshold_ms(int64_t ms) { threshold_ms_ = ms; }
  int64_t threshold_ms() const { return threshold_ms_; }

  // Keeps the sample when the monitor is on and ms reaches its threshold.
  void Report(std::string_view event, int64_t ms, int64_t unix_s) {
    if (threshold_ms_ > 0 && ms >= threshold_ms_) [[unlikely]]
      Add(event, ms, unix_s);
  }
  // Keeps the sample whatever the threshold (Redis's latencyAddSample).
  void Add(std::string_view event, int64_t ms, int64_t unix_s);

  // Event name -> its samples, in name order.
  const std::map<std::string, Series, std::less<>>& events() const { return events_; }
  const Series* Find(std::string_view event) const;
  // Forgets every event (or those named), returning how many there were.
  size_t Reset();
  size_t Reset(std::span<const std::string_view> events);

  // LATENCY GRAPH: an ASCII chart of the event's samples (the newest 80), each column's
  // age below it. The event must exist.
  std::string Graph(std::string_view event, int64_t now_s) const;
  // LATENCY DOCTOR: what was seen, per event, and what usually causes it.
  std::string Doctor() const;

 private:
  int64_t threshold_ms_ = 0;
  std::map<std::string, Series, std::less<>> events_;
};

}  // namespace tidekv::engine
