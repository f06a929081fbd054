#include "engine/latency.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace tidekv::engine {

std::vector<LatencyMonitor::Sample> LatencyMonitor::Series::History() const {
  std::vector<Sample> out;
  for (size_t i = 0; i < kSamples; i++) {
    const Sample& s = ring[(next + i) % kSamples];
    if (s.unix_s != 0) out.push_back(s);
  }
  return out;
}

void LatencyMonitor::Add(std::string_view event, int64_t ms, int64_t unix_s) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Series{}).first;
  Series& s = it->second;
  s.max_ms = std::max(s.max_ms, ms);
  // One sample per second: a later one in the same second only raises it.
  Sample& prev = s.ring[(s.next + kSamples - 1) % kSamples];
  if (prev.unix_s == unix_s) {
    prev.ms = std::max(prev.ms, ms);
    return;
  }
  s.ring[s.next] = {unix_s, ms};
  s.next = (s.next + 1) % kSamples;
}

const LatencyMonitor::Series* LatencyMonitor::Find(std::string_view event) const {
  auto it = events_.find(event);
  return it == events_.end() ? nullptr : &it->second;
}

size_t LatencyMonitor::Reset() {
  const size_t n = events_.size();
  events_.clear();
  return n;
}

size_t LatencyMonitor::Reset(std::span<const std::string_view> events) {
  size_t n = 0;
  for (std::string_view name : events) {
    auto it = events_.find(name);
    if (it == events_.end()) continue;
    events_.erase(it);
    n++;
  }
  return n;
}

namespace {

// "15s", "3m", "2h", "4d": how long ago.
std::string Age(int64_t seconds) {
  seconds = std::max<int64_t>(0, seconds);
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m", seconds / 60);
  if (seconds < 86400) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

void AppendTrimmed(std::string& out, std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out += line;
  out += '\n';
}

}  // namespace

std::string LatencyMonitor::Graph(std::string_view event, int64_t now_s) const {
  constexpr size_t kColumns = 80;
  constexpr int64_t kRows = 4;
  const Series& series = events_.find(event)->second;
  std::vector<Sample> samples = series.History();
  if (samples.size() > kColumns) samples.erase(samples.begin(), samples.end() - kColumns);
  int64_t hi = 0, lo = INT64_MAX;
  for (const Sample& s : samples) {
    hi = std::max(hi, s.ms);
    lo = std::min(lo, s.ms);
  }
  if (samples.empty()) lo = 0;
  std::string out = fmt::format("{} - high {} ms, low {} ms (all time high {} ms)\n", event, hi, lo,
                                series.max_ms);
  out += std::string(kColumns, '-') + "\n";
  // Each column: '#' at its height (the lowest sample 1 row, the highest kRows), '|' below.
  std::vector<int64_t> height;
  for (const Sample& s : samples) {
    height.push_back(hi == lo ? kRows : 1 + (s.ms - lo) * (kRows - 1) / (hi - lo));
  }
  for (int64_t row = kRows; row >= 1; row--) {
    std::string line;
    for (int64_t h : height) {
      line += h == row ? (h == 1 ? '_' : '#') : h > row ? '|' : ' ';
    }
    AppendTrimmed(out, std::move(line));
  }
  // The samples' ages, written downwards under their columns.
  std::vector<std::string> ages;
  size_t rows = 0;
  for (const Sample& s : samples) {
    ages.push_back(Age(now_s - s.unix_s));
    rows = std::max(rows, ages.back().size());
  }
  for (size_t row = 0; row < rows; row++) {
    std::string line;
    for (const std::string& a : ages) line += row < a.size() ? a[row] : ' ';
    AppendTrimmed(out, std::move(line));
  }
  return out;
}

namespace {

// What usually makes an event slow in tidekv, and what to do about it.
std::string_view Advice(std::string_view event) {
  if (event == "command") {
    return "Commands ran slowly: SLOWLOG GET lists the slowest (see slowlog-log-slower-than). "
           "Commands that are O(N) on large collections (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, "
           "SORT, DEL of a large key), and long scripts, block every client while they run.";
  }
  if (event == "fast-command") {
    return "Commands flagged fast (O(1) or O(log N)) took long: the host is likely overloaded, "
           "or the server's memory is being swapped out.";
  }
  if (event == "expire-cycle") {
    return "Deleting expired keys in the background took long: a large collection that "
           "expires is freed on the loop thread at once. Split large collections into smaller "
           "keys.";
  }
  if (event == "eviction-cycle" || event == "eviction-del") {
    return "Evicting keys to stay below maxmemory took long: evicting a large collection "
           "frees it on the loop thread at once (maxmemory-eviction-tenacity bounds a pass).";
  }
  if (event == "seal-capture") {
    return "A seal encoded many changed keys on the loop thread: sealing more often "
           "(compaction.seal_interval_ms, compaction.seal_dirty_bytes) keeps each one small.";
  }
  return "";
}

}  // namespace

std::string LatencyMonitor::Doctor() const {
  if (events_.empty()) {
    if (threshold_ms_ == 0) {
      return "The latency monitor is off (latency-monitor-threshold is 0), so nothing was "
             "sampled. Turn it on with CONFIG SET latency-monitor-threshold <milliseconds>.\n";
    }
    return fmt::format(
        "No latency spike of {} ms or more was observed since the server started or since the "
        "last LATENCY RESET.\n",
        threshold_ms_);
  }
  std::string out = fmt::format(
      "Latency spikes were observed (latency-monitor-threshold is {} ms{}).\n\n", threshold_ms_,
      threshold_ms_ == 0 ? ": the monitor is off now, these were sampled before" : "");
  size_t n = 0;
  for (const auto& [name, series] : events_) {
    const std::vector<Sample> samples = series.History();
    double sum = 0;
    for (const Sample& s : samples) sum += static_cast<double>(s.ms);
    const double avg = samples.empty() ? 0 : sum / static_cast<double>(samples.size());
    double dev = 0;
    for (const Sample& s : samples) dev += std::abs(static_cast<double>(s.ms) - avg);
    if (!samples.empty()) dev /= static_cast<double>(samples.size());
    const double period =
        samples.size() < 2 ? 0
                           : static_cast<double>(samples.back().unix_s - samples.front().unix_s) /
                                 static_cast<double>(samples.size() - 1);
    out += fmt::format(
        "{}. {}: {} latency spike{} (average {:.0f} ms, mean deviation {:.0f} ms, period "
        "{:.2f} s). Worst all time: {} ms.\n",
        ++n, name, samples.size(), samples.size() == 1 ? "" : "s", avg, dev, period, series.max_ms);
  }
  out += "\nWhat usually causes them:\n\n";
  for (const auto& [name, series] : events_) {
    const std::string_view advice = Advice(name);
    if (!advice.empty()) out += fmt::format("- {}: {}\n", name, advice);
  }
  return out;
}

}  // namespace tidekv::engine
