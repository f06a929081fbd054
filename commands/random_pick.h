// The COUNT argument HRANDFIELD and SRANDMEMBER share (Redis 6.2+ semantics): a positive
// count asks for that many distinct elements (at most the whole collection), a negative one
// for |count| independent picks that may repeat.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "commands/commands.h"

namespace tidekv::commands {

struct RandomCount {
  size_t n = 0;
  bool repeats = false;
  size_t ReplyLength(size_t size) const {
    if (size == 0) return 0;
    return repeats ? n : std::min(n, size);
  }
};

// Parses argv[i]; replies the error and returns nullopt when invalid. With values, the
// reply holds two bulks per pick, so the count is bounded to half the range, as in Redis.
std::optional<RandomCount> ParseRandomCount(CommandContext& ctx, size_t i, bool with_values);

// n distinct indexes below size (n <= size), in random order (the engine's seeded RNG).
std::vector<size_t> PickDistinct(size_t size, size_t n);

}  // namespace tidekv::commands
