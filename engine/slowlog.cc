#include "engine/slowlog.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/command_table.h"

namespace tidekv::engine {

void SlowLog::Push(std::span<const std::string_view> argv, const CommandSpec* spec, int64_t unix_s,
                   int64_t duration_us, std::string_view peer, std::string_view name,
                   size_t max_len) {
  if (max_len == 0) return;
  SlowLogEntry e;
  e.id = next_id_++;
  e.unix_s = unix_s;
  e.duration_us = duration_us;
  e.peer = peer;
  e.name = name;
  const size_t kept = std::min(argv.size(), kMaxArgs);
  e.argv.reserve(kept);
  for (size_t i = 0; i < kept; i++) {
    if (kept != argv.size() && i == kept - 1) {
      e.argv.push_back(fmt::format("... ({} more arguments)", argv.size() - kept + 1));
    } else if (spec != nullptr && spec->secret_arg != nullptr && spec->secret_arg(argv, i)) {
      e.argv.emplace_back("(redacted)");
    } else if (argv[i].size() > kMaxArgBytes) {
      e.argv.push_back(fmt::format("{}... ({} more bytes)", argv[i].substr(0, kMaxArgBytes),
                                   argv[i].size() - kMaxArgBytes));
    } else {
      e.argv.emplace_back(argv[i]);
    }
  }
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace tidekv::engine
