// Sorted set pops (Redis 7.0's genericZpopCommand): ZPOPMIN, ZPOPMAX, ZMPOP and the blocking
// BZPOPMIN, BZPOPMAX and BZMPOP. What a pop removes depends only on the data (the lowest or
// highest scores), so a pop propagates as ZPOPMIN/ZPOPMAX key [count]: the blocking forms
// never reach the log, replicas or a replay.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/zset_util.h"
#include "common/strings.h"

namespace tidekv::commands {
namespace {

// How a pop's reply is shaped (Redis 7.0, RESP2 and RESP3 alike unless said):
enum class PopShape {
  kFlat,      // ZPOPMIN without count, or with count in RESP2: [m1, s1, m2, s2...]
  kPairs,     // ZPOPMIN with count in RESP3: [[m1, s1], [m2, s2]...]
  kKeyFlat,   // BZPOPMIN: [key, m, s]
  kKeyPairs,  // ZMPOP, BZMPOP: [key, [[m1, s1]...]]
};

// Pops up to `count` members from the sorted set `z` held at `key` (lowest scores first, or
// highest when max), replies them in `shape`, and notes the change; the key goes when empty.
// Returns how many were popped.
size_t PopFrom(CommandContext& ctx, std::string_view key, Entry* entry, ZSetValue* z, bool max,
               size_t count, PopShape shape) {
  const size_t size = z->size();
  const size_t n = std::min(count, size);
  const size_t begin = max ? size - n : 0;
  std::vector<std::pair<std::string, double>> popped;
  popped.reserve(n);
  z->ForRanks(begin, begin + n, max,
              [&](std::string_view m, double score) { popped.emplace_back(m, score); });
  z->RemoveRanks(begin, begin + n);
  ctx.DeleteIfEmpty(entry);
  ctx.Changed();
  switch (shape) {
    case PopShape::kFlat:
      ctx.reply.Array(2 * n);
      break;
    case PopShape::kPairs:
      ctx.reply.Array(n);
      break;
    case PopShape::kKeyFlat:
      ctx.reply.Array(2 * n + 1);
      ctx.reply.Bulk(key);
      break;
    case PopShape::kKeyPairs:
      ctx.reply.Array(2);
      ctx.reply.Bulk(key);
      ctx.reply.Array(n);
      break;
  }
  const bool pairs = shape == PopShape::kPairs || shape == PopShape::kKeyPairs;
  for (const auto& [m, score] : popped) {
    if (pairs) ctx.reply.Array(2);
    ctx.reply.Bulk(m);
    ctx.reply.Double(score);
  }
  return n;
}

// The effect of a pop that is not itself ZPOPMIN/ZPOPMAX key [count].
void PropagatePop(CommandContext& ctx, bool max, std::string_view key,
                  std::optional<size_t> count) {
  const std::string_view name = max ? "ZPOPMAX" : "ZPOPMIN";
  if (!count) return ctx.Propagate({name, key});
  const std::string n = std::to_string(*count);
  ctx.Propagate({name, key, n});
}

void ZPopGeneric(CommandContext& ctx, bool max) {
  if (ctx.argc() > 3) return ctx.SyntaxError();
  std::optional<int64_t> count;
  if (ctx.argc() == 3) {
    count = ctx.IntArg(2);
    if (!count) return;
    if (*count < 0) return ctx.Error("ERR value is out of range, must be positive");
  }
  auto z = ctx.Write<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  if (z.value == nullptr || count == 0) return ctx.reply.Array(0);
  const PopShape shape = count && ctx.reply.resp3() ? PopShape::kPairs : PopShape::kFlat;
  PopFrom(ctx, ctx.arg(1), z.entry, z.value, max, count ? static_cast<size_t>(*count) : 1, shape);
}

void ZPopMin(CommandContext& ctx) { ZPopGeneric(ctx, false); }
void ZPopMax(CommandContext& ctx) { ZPopGeneric(ctx, true); }

// Pops from the first of argv[first, first + n) that holds a sorted set (WRONGTYPE when the
// first existing key holds something else). False when none holds one (nothing replied).
bool PopFirstReady(CommandContext& ctx, size_t first, size_t n, bool max, size_t count,
                   PopShape shape, bool with_count) {
  for (size_t i = first; i < first + n; i++) {
    auto z = ctx.Write<ZSetValue>(ctx.arg(i));
    if (!z.ok) return true;
    if (z.value == nullptr) continue;
    const size_t popped = PopFrom(ctx, ctx.arg(i), z.entry, z.value, max, count, shape);
    PropagatePop(ctx, max, ctx.arg(i), with_count ? std::optional<size_t>(popped) : std::nullopt);
    return true;
  }
  return false;
}

void BZPopGeneric(CommandContext& ctx, bool max) {
  const std::optional<int64_t> timeout = ctx.TimeoutArg(ctx.argc() - 1);
  if (!timeout) return;
  const size_t n = ctx.argc() - 2;
  if (PopFirstReady(ctx, 1, n, max, 1, PopShape::kKeyFlat, false)) return;
  ctx.Block(ctx.argv.subspan(1, n), *timeout, ValueType::kZSet);
}

void BZPopMin(CommandContext& ctx) { BZPopGeneric(ctx, false); }
void BZPopMax(CommandContext& ctx) { BZPopGeneric(ctx, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP timeout numkeys ...
void ZMPopGeneric(CommandContext& ctx, bool blocking) {
  const size_t numkeys_at = blocking ? 2 : 1;
  const std::optional<int64_t> numkeys = ParseInt64(ctx.arg(numkeys_at));
  if (!numkeys || *numkeys < 1) return ctx.Error("ERR numkeys should be greater than 0");
  // MIN|MAX must follow the keys.
  if (*numkeys >= static_cast<int64_t>(ctx.argc() - numkeys_at - 1)) return ctx.SyntaxError();
  const auto n = static_cast<size_t>(*numkeys);
  const size_t where_at = numkeys_at + n + 1;
  bool max = false;
  if (ctx.ArgIs(where_at, "max")) {
    max = true;
  } else if (!ctx.ArgIs(where_at, "min")) {
    return ctx.SyntaxError();
  }
  std::optional<int64_t> count;
  for (size_t j = where_at + 1; j < ctx.argc(); j++) {
    if (!count && ctx.ArgIs(j, "count") && j + 1 < ctx.argc()) {
      count = ParseInt64(ctx.arg(++j));
      if (!count || *count < 1) return ctx.Error("ERR count should be greater than 0");
    } else {
      return ctx.SyntaxError();
    }
  }
  std::optional<int64_t> timeout;
  if (blocking) {
    timeout = ctx.TimeoutArg(1);
    if (!timeout) return;
  }
  const size_t want = count ? static_cast<size_t>(*count) : 1;
  if (PopFirstReady(ctx, numkeys_at + 1, n, max, want, PopShape::kKeyPairs, true)) return;
  if (!blocking) return ctx.reply.NullArray();
  ctx.Block(ctx.argv.subspan(numkeys_at + 1, n), *timeout, ValueType::kZSet);
}

void ZMPop(CommandContext& ctx) { ZMPopGeneric(ctx, false); }
void BZMPop(CommandContext& ctx) { ZMPopGeneric(ctx, true); }

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterZSetPopCommands(CommandTable& table) {
  using enum CommandFlag;
  const std::string_view kPopComplexity =
      "O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
      "number of elements popped.";
  const std::string_view kBlockComplexity =
      "O(log(N)) with N being the number of elements in the sorted set.";
  auto row = [&table](CommandSpec spec) { AddZSetRow(table, std::move(spec)); };
  row({.name = "zpopmin",
       .arity = -2,
       .flags = kWrite | kFast,
       .key_flags = "RW access delete",
       .handler = ZPopMin,
       .since = "5.0.0",
       .summary = "Returns the lowest-scoring members from a sorted set after removing them. "
                  "Deletes the sorted set if the last member was popped.",
       .complexity = kPopComplexity,
       .syntax = "key [count]"});
  row({.name = "zpopmax",
       .arity = -2,
       .flags = kWrite | kFast,
       .key_flags = "RW access delete",
       .handler = ZPopMax,
       .since = "5.0.0",
       .summary = "Returns the highest-scoring members from a sorted set after removing them. "
                  "Deletes the sorted set if the last member was popped.",
       .complexity = kPopComplexity,
       .syntax = "key [count]"});
  AddZSetRow(table,
             {.name = "zmpop",
              .arity = -4,
              .flags = kWrite,
              .key_flags = "RW access delete",
              .handler = ZMPop,
              .since = "7.0.0",
              .summary = "Returns the highest- or lowest-scoring members from one or more sorted "
                         "sets after removing them. Deletes the sorted set if the last member "
                         "was popped.",
              .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being "
                            "the number of elements in the sorted set, and M being the number of "
                            "elements popped.",
              .syntax = "numkeys key [key ...] <MIN | MAX> [COUNT count]",
              .find_keys = KeysAfterNumkeys},
             0, 0);
  AddZSetRow(table,
             {.name = "bzpopmin",
              .arity = -3,
              .flags = CommandFlag::kNoScript | kWrite,
              .key_flags = "RW access delete",
              .handler = BZPopMin,
              .since = "5.0.0",
              .summary = "Removes and returns the member with the lowest score from one or more "
                         "sorted sets. Blocks until a member is available otherwise. Deletes the "
                         "sorted set if the last element was popped.",
              .complexity = kBlockComplexity,
              .syntax = "key [key ...] timeout"},
             1, -2);
  AddZSetRow(table,
             {.name = "bzpopmax",
              .arity = -3,
              .flags = CommandFlag::kNoScript | kWrite,
              .key_flags = "RW access delete",
              .handler = BZPopMax,
              .since = "5.0.0",
              .summary = "Removes and returns the member with the highest score from one or more "
                         "sorted sets. Blocks until a member available otherwise.  Deletes the "
                         "sorted set if the last element was popped.",
              .complexity = kBlockComplexity,
              .syntax = "key [key ...] timeout"},
             1, -2);
  AddZSetRow(table,
             {.name = "bzmpop",
              .arity = -5,
              .flags = CommandFlag::kNoScript | kWrite,
              .key_flags = "RW access delete",
              .handler = BZMPop,
              .since = "7.0.0",
              .summary = "Removes and returns a member by score from one or more sorted sets. "
                         "Blocks until a member is available otherwise. Deletes the sorted set "
                         "if the last element was popped.",
              .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being "
                            "the number of elements in the sorted set, and M being the number of "
                            "elements popped.",
              .syntax = "timeout numkeys key [key ...] <MIN | MAX> [COUNT count]",
              .find_keys = BlockingKeysAfterNumkeys},
             0, 0);
}

}  // namespace tidekv::commands
