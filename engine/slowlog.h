// SlowLog: the commands that ran for at least slowlog-log-slower-than microseconds, newest
// first, at most slowlog-max-len of them (SLOWLOG GET / LEN / RESET). Redis 7's rules:
// an entry keeps at most 32 arguments (the 32nd becomes "... (N more arguments)") and at most
// 128 bytes of each ("... (N more bytes)"); secret arguments (AUTH's password, CONFIG SET
// requirepass's value: CommandSpec::secret_arg) are "(redacted)"; entries get increasing
// ids that RESET does not restart. The engine decides what is logged (engine.cc:
// Engine::CommandTookLong); this class only keeps the entries. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::engine {

struct CommandSpec;

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t unix_s = 0;       // when it completed
  int64_t duration_us = 0;  // its execution time (not the time it waited, blocked)
  std::vector<std::string> argv;
  std::string peer;  // "ip:port" of the client, "?:0" for a script's own client
  std::string name;  // CLIENT SETNAME
};

class SlowLog {
 public:
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Adds an entry at the head (spec: the row that ran, for its secret arguments; may be
  // null), then drops the oldest ones past max_len.
  void Push(std::span<const std::string_view> argv, const CommandSpec* spec, int64_t unix_s,
            int64_t duration_us, std::string_view peer, std::string_view name, size_t max_len);

  // Newest first.
  const std::deque<SlowLogEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  void Reset() { entries_.clear(); }

 private:
  std::deque<SlowLogEntry> entries_;
  uint64_t next_id_ = 0;
};

}  // namespace tidekv::engine
