// The summary line tidekv-replay prints after an in-process replay (docs/trace.md), parsed
// for the integration tests that replay traces.
#pragma once

#include <cstdint>
#include <regex>
#include <string>

namespace tidekv::integration {

// The summary line of an in-process replay:
// "replayed N records (C commands, R replies compared, K nested compared) in S s (X
// records/s): M mismatches".
struct Summary {
  bool found = false;
  uint64_t records = 0;
  uint64_t commands = 0;
  uint64_t compared = 0;
  uint64_t nested_compared = 0;
  uint64_t mismatches = 0;
  bool torn = false;
};

inline Summary ParseSummary(const std::string& out) {
  static const std::regex line(
      R"(replayed (\d+) records \((\d+) commands, (\d+) replies compared, (\d+) nested )"
      R"(compared\) in [0-9.]+ s \([0-9]+ records/s\): (\d+) mismatches)"
      R"((; the trace ended in a torn record)?)");
  Summary s;
  std::smatch m;
  if (!std::regex_search(out, m, line)) return s;
  s.found = true;
  s.records = std::stoull(m[1]);
  s.commands = std::stoull(m[2]);
  s.compared = std::stoull(m[3]);
  s.nested_compared = std::stoull(m[4]);
  s.mismatches = std::stoull(m[5]);
  s.torn = m[6].matched;
  return s;
}

}  // namespace tidekv::integration
