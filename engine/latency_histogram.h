// LatencyHistogram: the durations of one command's calls (LATENCY HISTOGRAM), in the
// power-of-two buckets Redis 7 reports. Redis keeps an HdrHistogram (1 ns .. 1 s, two
// significant digits) and reports it at 1024 * 2^k ns, each level labelled with the highest
// value equivalent to it, 1032 * 2^k - 1 ns, in microseconds (1, 2, 4, 8, 16, 33, 66...).
// Counting straight into those buckets gives the same reply for a fraction of the cost:
// Add is a multiply, a bit width and an increment (it runs after every command).
// Loop thread only.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace tidekv::engine {

class LatencyHistogram {
 public:
  // Bucket k counts durations below 1032 * 2^k ns; the last one everything longer (Redis
  // clamps durations at 1 s, which falls in it).
  static constexpr size_t kBuckets = 21;

  // units: the duration in units of 1032 ns (a scaled tick count, see Engine).
  void Add(double units) {
    const auto q = static_cast<uint64_t>(units);
    const auto k = static_cast<size_t>(std::bit_width(q));
    counts_[k < kBuckets ? k : kBuckets - 1]++;
  }
  uint64_t count(size_t bucket) const { return counts_[bucket]; }
  uint64_t total() const {
    uint64_t n = 0;
    for (uint64_t c : counts_) n += c;
    return n;
  }
  // The label Redis gives bucket k: its upper bound in whole microseconds.
  static int64_t BucketMicros(size_t k) { return ((int64_t{1032} << k) - 1) / 1000; }
  // INFO latencystats: the duration at percentile p (0..100) in microseconds, as
  // HdrHistogram's value_at_percentile answers it (the upper bound of the bucket that holds
  // the p-th call; here a power-of-two bucket, so within a factor of two). 0 when empty.
  double MicrosAtPercentile(double p) const {
    const uint64_t n = total();
    if (n == 0) return 0;
    const auto wanted =
        std::max<uint64_t>(1, static_cast<uint64_t>(p / 100.0 * static_cast<double>(n) + 0.5));
    uint64_t seen = 0;
    size_t k = 0;
    for (; k + 1 < kBuckets; k++) {
      seen += counts_[k];
      if (seen >= wanted) break;
    }
    return static_cast<double>((int64_t{1032} << k) - 1) / 1000.0;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
};

}  // namespace tidekv::engine
