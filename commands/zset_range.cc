// Sorted set range commands (Redis 7.0's zrangeGenericCommand and zremrangeGenericCommand):
// ZRANGE with BYSCORE, BYLEX, REV, LIMIT and WITHSCORES, its older forms (ZREVRANGE,
// Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE and ZREMRANGEBY{RANK,SCORE,LEX}. Every
// range becomes an interval of ranks of the set.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "commands/ranges.h"
#include "commands/zset_util.h"

namespace tidekv::commands {
namespace {

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// The ascending ranks [*begin, *end) of ZRANGE's start..stop (negative counts from the end),
// as Redis sanitizes them; false when the range is empty.
bool RankInterval(int64_t start, int64_t stop, size_t size, size_t* begin, size_t* end) {
  size_t last = 0;
  if (!ClampRange(start, stop, size, begin, &last)) return false;
  *end = last + 1;
  return true;
}

// A parsed range: ranks (start and stop), scores or members.
struct ParsedRange {
  std::optional<int64_t> start, stop;
  std::optional<ds::ScoreRange> scores;
  std::optional<ds::LexRange> lex;

  // The ascending ranks of a score or lex range in z.
  std::pair<size_t, size_t> RanksIn(const ZSetValue& z) const {
    return scores ? z.RanksIn(*scores) : z.RanksIn(*lex);
  }
};

// Parses argv[min_at] and argv[max_at] as `type` wants; false after replying the error.
bool ParseRange(CommandContext& ctx, RangeType type, size_t min_at, size_t max_at,
                ParsedRange* out) {
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      out->start = ctx.IntArg(min_at);
      if (!out->start) return false;
      out->stop = ctx.IntArg(max_at);
      return out->stop.has_value();
    case RangeType::kScore:
      out->scores = ScoreRangeArgs(ctx, min_at, max_at);
      return out->scores.has_value();
    case RangeType::kLex:
      out->lex = LexRangeArgs(ctx, min_at, max_at);
      return out->lex.has_value();
  }
  return false;
}

// What a parsed range selects: ascending ranks [begin, end), walked from `end - 1` down when
// reverse.
struct Selection {
  size_t begin = 0;
  size_t end = 0;
  bool reverse = false;
};

// Applies LIMIT offset count to the ranks [begin, end) of a score or lex range, walked in
// the command's direction (a negative offset selects nothing, a negative count everything).
Selection Limited(std::pair<size_t, size_t> ranks, bool reverse, int64_t offset, int64_t limit) {
  auto [begin, end] = ranks;
  if (offset < 0 || static_cast<uint64_t>(offset) >= end - begin) return {};
  const auto off = static_cast<size_t>(offset);
  const size_t room = end - begin - off;
  const size_t take = limit < 0 ? room : std::min(room, static_cast<size_t>(limit));
  if (reverse) return {.begin = end - off - take, .end = end - off, .reverse = true};
  return {.begin = begin + off, .end = begin + off + take};
}

}  // namespace

void StoreResult(CommandContext& ctx, std::string_view dst,
                 const std::vector<std::pair<std::string, double>>& items) {
  const bool existed = ctx.db.Erase(dst, ctx.now_ms);
  if (!items.empty()) {
    size_t max_len = 0;
    for (const auto& item : items) max_len = std::max(max_len, item.first.size());
    auto z =
        ctx.WriteOrCreate<ZSetValue>(dst, [&] { return new ZSetValue(items.size(), max_len); });
    for (const auto& [member, score] : items) z.value->AppendLast(member, score);
  }
  if (existed || !items.empty()) ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(items.size()));
}

namespace {

// ZRANGE, ZRANGESTORE and the older range commands: argv[key_at] is the source, then min,
// max and the options; type and dir are fixed by the older forms, kAuto for ZRANGE.
void ZRangeGeneric(CommandContext& ctx, size_t key_at, bool store, RangeType type, Direction dir) {
  size_t min_at = key_at + 1, max_at = key_at + 2;
  bool with_scores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = key_at + 3; j < ctx.argc(); j++) {
    const size_t left = ctx.argc() - j - 1;
    if (!store && ctx.ArgIs(j, "withscores")) {
      with_scores = true;
    } else if (ctx.ArgIs(j, "limit") && left >= 2) {
      const std::optional<int64_t> o = ctx.IntArg(j + 1);
      if (!o) return;
      const std::optional<int64_t> l = ctx.IntArg(j + 2);
      if (!l) return;
      offset = *o;
      limit = *l;
      j += 2;
    } else if (dir == Direction::kAuto && ctx.ArgIs(j, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && ctx.ArgIs(j, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && ctx.ArgIs(j, "byscore")) {
      type = RangeType::kScore;
    } else {
      return ctx.SyntaxError();
    }
  }
  if (type == RangeType::kAuto) type = RangeType::kRank;
  const bool reverse = dir == Direction::kReverse;
  if (limit != -1 && type == RangeType::kRank) {
    return ctx.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (with_scores && type == RangeType::kLex) {
    return ctx.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  if (reverse && type != RangeType::kRank) std::swap(min_at, max_at);  // given as max, min
  ParsedRange range;
  if (!ParseRange(ctx, type, min_at, max_at, &range)) return;
  auto z = ctx.Read<ZSetValue>(ctx.arg(key_at));
  if (!z.ok) return;
  Selection sel;
  if (z.value != nullptr) {
    if (range.start) {
      sel.reverse = reverse;
      if (RankInterval(*range.start, *range.stop, z.value->size(), &sel.begin, &sel.end) &&
          reverse) {
        // Ranks counted from the highest score.
        const size_t size = z.value->size();
        sel = {.begin = size - sel.end, .end = size - sel.begin, .reverse = true};
      }
    } else {
      sel = Limited(range.RanksIn(*z.value), reverse, offset, limit);
    }
  }
  if (store) {
    std::vector<std::pair<std::string, double>> items;
    items.reserve(sel.end - sel.begin);
    if (z.value != nullptr) {
      z.value->ForRanks(sel.begin, sel.end, false,
                        [&](std::string_view m, double score) { items.emplace_back(m, score); });
    }
    return StoreResult(ctx, ctx.arg(1), items);
  }
  ScoredReply out(ctx, sel.end - sel.begin, with_scores);
  if (z.value != nullptr)
    z.value->ForRanks(sel.begin, sel.end, sel.reverse, [&](auto m, auto s) { out.Add(m, s); });
}

void ZRange(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void ZRangeStore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void ZRevRange(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void ZRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void ZRevRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void ZRangeByLex(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void ZRevRangeByLex(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.
void ZRemRangeGeneric(CommandContext& ctx, RangeType type) {
  ParsedRange range;
  if (!ParseRange(ctx, type, 2, 3, &range)) return;
  auto z = ctx.Write<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  if (z.value == nullptr) return ctx.reply.Integer(0);
  std::pair<size_t, size_t> ranks{0, 0};
  if (range.start) {
    RankInterval(*range.start, *range.stop, z.value->size(), &ranks.first, &ranks.second);
  } else {
    ranks = range.RanksIn(*z.value);
  }
  const size_t removed = z.value->RemoveRanks(ranks.first, ranks.second);
  ctx.DeleteIfEmpty(z.entry);
  if (removed > 0) ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void ZRemRangeByRank(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { ZRemRangeGeneric(ctx, RangeType::kLex); }

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterZSetRangeCommands(CommandTable& table) {
  using enum CommandFlag;
  const std::string_view kRangeComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements returned.";
  const std::string_view kRemComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements removed by the operation.";
  auto row = [&table](CommandSpec spec) { AddZSetRow(table, std::move(spec)); };
  row({.name = "zrange",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = ZRange,
       .since = "1.2.0",
       .summary = "Returns members in a sorted set within a range of indexes.",
       .complexity = kRangeComplexity,
       .syntax = "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"});
  AddZSetRow(table,
             {.name = "zrangestore",
              .arity = -5,
              .flags = kWrite | kDenyOom,
              .key_flags = "OW update; RO access",
              .handler = ZRangeStore,
              .since = "6.2.0",
              .summary = "Stores a range of members from sorted set in a key.",
              .complexity = "O(log(N)+M) with N being the number of elements in the sorted set "
                            "and M the number of elements stored into the destination key.",
              .syntax = "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"},
             1, 2);
  row({.name = "zrevrange",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = ZRevRange,
       .since = "1.2.0",
       .summary = "Returns members in a sorted set within a range of indexes in reverse order.",
       .complexity = kRangeComplexity,
       .syntax = "key start stop [WITHSCORES]"});
  row({.name = "zrangebyscore",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = ZRangeByScore,
       .since = "1.0.5",
       .summary = "Returns members in a sorted set within a range of scores.",
       .complexity = kRangeComplexity,
       .syntax = "key min max [WITHSCORES] [LIMIT offset count]"});
  row({.name = "zrevrangebyscore",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = ZRevRangeByScore,
       .since = "2.2.0",
       .summary = "Returns members in a sorted set within a range of scores in reverse order.",
       .complexity = kRangeComplexity,
       .syntax = "key max min [WITHSCORES] [LIMIT offset count]"});
  row({.name = "zrangebylex",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = ZRangeByLex,
       .since = "2.8.9",
       .summary = "Returns members in a sorted set within a lexicographical range.",
       .complexity = kRangeComplexity,
       .syntax = "key min max [LIMIT offset count]"});
  row({.name = "zrevrangebylex",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = ZRevRangeByLex,
       .since = "2.8.9",
       .summary = "Returns members in a sorted set within a lexicographical range in reverse "
                  "order.",
       .complexity = kRangeComplexity,
       .syntax = "key max min [LIMIT offset count]"});
  row({.name = "zremrangebyrank",
       .arity = 4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = ZRemRangeByRank,
       .since = "2.0.0",
       .summary = "Removes members in a sorted set within a range of indexes. Deletes the sorted "
                  "set if all members were removed.",
       .complexity = kRemComplexity,
       .syntax = "key start stop"});
  row({.name = "zremrangebyscore",
       .arity = 4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = ZRemRangeByScore,
       .since = "1.2.0",
       .summary = "Removes members in a sorted set within a range of scores. Deletes the sorted "
                  "set if all members were removed.",
       .complexity = kRemComplexity,
       .syntax = "key min max"});
  row({.name = "zremrangebylex",
       .arity = 4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = ZRemRangeByLex,
       .since = "2.8.9",
       .summary = "Removes members in a sorted set within a lexicographical range. Deletes the "
                  "sorted set if all members were removed.",
       .complexity = kRemComplexity,
       .syntax = "key min max"});
}

}  // namespace tidekv::commands
