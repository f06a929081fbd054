// The arguments SCAN, HSCAN and SSCAN share: "cursor [MATCH pattern] [COUNT count]"
// (+ TYPE for SCAN, NOVALUES for HSCAN), parsed with Redis's errors in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "commands/commands.h"

namespace tidekv::commands {

struct ScanArgs {
  uint64_t cursor = 0;
  size_t count = 10;
  std::optional<std::string_view> pattern;  // unset for "*" (matches everything)
  std::optional<std::string_view> type;     // SCAN only
  bool novalues = false;                    // HSCAN only

  bool Matches(std::string_view name) const;
};

enum class ScanKind { kKeys, kHash, kMembers };

// Parses argv[cursor_at] onwards; replies the error and returns nullopt when invalid.
std::optional<ScanArgs> ParseScanArgs(CommandContext& ctx, size_t cursor_at, ScanKind kind);

// HSCAN/SSCAN over a collection value: like SCAN, walks buckets until `count` elements were
// found or 10 * count buckets were visited. Small encodings return everything, cursor 0.
template <typename V, typename Fn>
uint64_t ScanCollection(const V& value, const ScanArgs& args, Fn&& fn) {
  size_t budget = args.count * 10;
  size_t found = 0;
  uint64_t next = args.cursor;
  do {
    next = value.Scan(next, 1, [&](auto&&... element) {
      fn(element...);
      found++;
    });
  } while (next != 0 && --budget > 0 && found < args.count);
  return next;
}

}  // namespace tidekv::commands
