// Sorted set commands (Redis 7.0 semantics and errors) on types::ZSetValue: ZADD and the
// single-member commands, ZCOUNT, ZLEXCOUNT, ZRANDMEMBER, ZSCAN, the shared parsing helpers,
// and the group's registration. Ranges: zset_range.cc; unions and intersections:
// zset_store.cc; pops: zset_pop.cc.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "commands/random_pick.h"
#include "commands/scan_args.h"
#include "commands/zset_util.h"
#include "common/strings.h"

namespace tidekv::commands {

using types::ZAddOptions;
using types::ZAddResult;

std::optional<double> ParseScore(std::string_view s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  const std::string buf(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return std::nullopt;
  return v;
}

std::optional<double> ScoreArg(CommandContext& ctx, size_t i, std::string_view error) {
  const std::optional<double> v = ParseScore(ctx.arg(i));
  if (!v) ctx.Error(error);
  return v;
}

namespace {

// One bound of a score range, as Redis's zslParseRange reads it: an optional "(", then
// strtod up to the end of the argument (so "(" alone is an exclusive 0), not NaN.
bool ParseScoreBound(std::string_view s, double* v, bool* ex) {
  *ex = !s.empty() && s.front() == '(';
  if (*ex) s.remove_prefix(1);
  const std::string buf(s);
  char* end = nullptr;
  *v = std::strtod(buf.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

// One bound of a lex range (Redis's zslParseLexRangeItem).
bool ParseLexBound(std::string_view s, ds::LexRange::Bound* kind, std::string_view* value,
                   bool* ex) {
  if (s.empty()) return false;
  using Bound = ds::LexRange::Bound;
  switch (s.front()) {
    case '+':
    case '-':
      if (s.size() != 1) return false;
      *kind = s.front() == '+' ? Bound::kPosInf : Bound::kNegInf;
      *ex = true;
      return true;
    case '(':
    case '[':
      *kind = Bound::kValue;
      *ex = s.front() == '(';
      *value = s.substr(1);
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<ds::ScoreRange> ScoreRangeArgs(CommandContext& ctx, size_t min_at, size_t max_at) {
  ds::ScoreRange r;
  if (!ParseScoreBound(ctx.arg(min_at), &r.min, &r.minex) ||
      !ParseScoreBound(ctx.arg(max_at), &r.max, &r.maxex)) {
    ctx.Error("ERR min or max is not a float");
    return std::nullopt;
  }
  return r;
}

std::optional<ds::LexRange> LexRangeArgs(CommandContext& ctx, size_t min_at, size_t max_at) {
  ds::LexRange r;
  if (!ParseLexBound(ctx.arg(min_at), &r.min_kind, &r.min, &r.minex) ||
      !ParseLexBound(ctx.arg(max_at), &r.max_kind, &r.max, &r.maxex)) {
    ctx.Error("ERR min or max not valid string range item");
    return std::nullopt;
  }
  return r;
}

void AddZSetRow(CommandTable& table, CommandSpec spec, int first_key, int last_key) {
  spec.first_key = first_key;
  spec.last_key = last_key;
  spec.key_step = first_key == 0 ? 0 : 1;
  spec.group = "sorted_set";
  table.Add(std::move(spec));
}

void KeysAfterNumkeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  KeysAfterNumkeysAt(1, argv, out);
}

void StoreKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  if (argv.size() > 1) out->push_back(1);
  KeysAfterNumkeysAt(2, argv, out);
}

void BlockingKeysAfterNumkeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  KeysAfterNumkeysAt(2, argv, out);
}

namespace {

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY (which
// Redis parses the same way, with INCR set).
void ZAddGeneric(CommandContext& ctx, bool zincrby) {
  ZAddOptions opt{.incr = zincrby};
  bool ch = false;
  size_t at = 2;
  for (; at < ctx.argc(); at++) {
    if (ctx.ArgIs(at, "nx")) {
      opt.nx = true;
    } else if (ctx.ArgIs(at, "xx")) {
      opt.xx = true;
    } else if (ctx.ArgIs(at, "ch")) {
      ch = true;
    } else if (ctx.ArgIs(at, "incr")) {
      opt.incr = true;
    } else if (ctx.ArgIs(at, "gt")) {
      opt.gt = true;
    } else if (ctx.ArgIs(at, "lt")) {
      opt.lt = true;
    } else {
      break;
    }
  }
  const size_t args = ctx.argc() - at;
  if (args == 0 || args % 2 != 0) return ctx.SyntaxError();
  if (opt.nx && opt.xx)
    return ctx.Error("ERR XX and NX options at the same time are not compatible");
  if ((opt.gt && opt.nx) || (opt.lt && opt.nx) || (opt.gt && opt.lt)) {
    return ctx.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (opt.incr && args > 2) {
    return ctx.Error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<double> scores;
  scores.reserve(args / 2);
  for (size_t i = at; i < ctx.argc(); i += 2) {
    const std::optional<double> score = ScoreArg(ctx, i);
    if (!score) return;
    scores.push_back(*score);
  }
  auto z = ctx.Write<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  int64_t added = 0, updated = 0, processed = 0;
  double last = 0;
  if (z.entry != nullptr || !opt.xx) {
    z = ctx.WriteOrCreate<ZSetValue>(ctx.arg(1),
                                     [&] { return new ZSetValue(1, ctx.arg(at + 1).size()); });
    for (size_t k = 0; k < scores.size(); k++) {
      switch (z.value->Add(ctx.arg(at + 2 * k + 1), scores[k], opt, &last)) {
        case ZAddResult::kAdded:
          added++;
          processed++;
          break;
        case ZAddResult::kUpdated:
          updated++;
          processed++;
          break;
        case ZAddResult::kUnchanged:
          processed++;
          break;
        case ZAddResult::kSkipped:
          break;
        case ZAddResult::kNaN:
          return ctx.Error("ERR resulting score is not a number (NaN)");
      }
    }
  }
  if (added + updated > 0) ctx.Changed();
  if (!opt.incr) return ctx.reply.Integer(ch ? added + updated : added);
  if (processed == 0) return ctx.reply.Null();
  ctx.reply.Double(last);
}

void ZAdd(CommandContext& ctx) { ZAddGeneric(ctx, false); }
void ZIncrBy(CommandContext& ctx) { ZAddGeneric(ctx, true); }

void ZRem(CommandContext& ctx) {
  auto z = ctx.Write<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  int64_t removed = 0;
  if (z.value != nullptr) {
    for (size_t i = 2; i < ctx.argc() && !z.value->empty(); i++) {
      removed += z.value->Remove(ctx.arg(i));
    }
    ctx.DeleteIfEmpty(z.entry);
  }
  if (removed > 0) ctx.Changed();
  ctx.reply.Integer(removed);
}

void ZCard(CommandContext& ctx) {
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  ctx.reply.Integer(z.value == nullptr ? 0 : static_cast<int64_t>(z.value->size()));
}

void ReplyScoreOf(CommandContext& ctx, const ZSetValue* z, std::string_view member) {
  const std::optional<double> score = z != nullptr ? z->Score(member) : std::nullopt;
  if (score) {
    ctx.reply.Double(*score);
  } else {
    ctx.reply.Null();
  }
}

void ZScore(CommandContext& ctx) {
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  ReplyScoreOf(ctx, z.value, ctx.arg(2));
}

void ZMScore(CommandContext& ctx) {
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) ReplyScoreOf(ctx, z.value, ctx.arg(i));
}

void ZRankGeneric(CommandContext& ctx, bool reverse) {
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  const std::optional<size_t> rank = z.value != nullptr ? z.value->Rank(ctx.arg(2)) : std::nullopt;
  if (!rank) return ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(reverse ? z.value->size() - 1 - *rank : *rank));
}

void ZRank(CommandContext& ctx) { ZRankGeneric(ctx, false); }
void ZRevRank(CommandContext& ctx) { ZRankGeneric(ctx, true); }

// ZCOUNT and ZLEXCOUNT: the members inside a parsed score or lex range.
template <typename Range>
void CountInRange(CommandContext& ctx, const std::optional<Range>& range) {
  if (!range) return;
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  if (z.value == nullptr) return ctx.reply.Integer(0);
  const auto [begin, end] = z.value->RanksIn(*range);
  ctx.reply.Integer(static_cast<int64_t>(end - begin));
}

void ZCount(CommandContext& ctx) { CountInRange(ctx, ScoreRangeArgs(ctx, 2, 3)); }
void ZLexCount(CommandContext& ctx) { CountInRange(ctx, LexRangeArgs(ctx, 2, 3)); }

void ZRandMember(CommandContext& ctx) {
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !ctx.ArgIs(3, "withscores"))) {
    return ctx.SyntaxError();
  }
  const bool with_scores = ctx.argc() == 4;
  std::optional<RandomCount> count;
  if (ctx.argc() >= 3) {
    count = ParseRandomCount(ctx, 2, with_scores);
    if (!count) return;
  }
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  std::string member;
  double score = 0;
  if (!count) {
    if (z.value == nullptr) return ctx.reply.Null();
    z.value->Random(&member, &score);
    return ctx.reply.Bulk(member);
  }
  const size_t size = z.value == nullptr ? 0 : z.value->size();
  const size_t n = count->ReplyLength(size);
  ScoredReply out(ctx, n, with_scores);
  if (n == 0) return;
  if (count->repeats) {
    for (size_t i = 0; i < n; i++) {
      z.value->Random(&member, &score);
      out.Add(member, score);
    }
    return;
  }
  std::vector<std::pair<std::string, double>> all;
  all.reserve(size);
  z.value->ForEach([&](std::string_view m, double s) { all.emplace_back(m, s); });
  for (size_t i : PickDistinct(size, n)) out.Add(all[i].first, all[i].second);
}

void ZScan(CommandContext& ctx) {
  std::optional<ScanArgs> args = ParseScanArgs(ctx, 2, ScanKind::kMembers);
  if (!args) return;
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  std::vector<std::pair<std::string, double>> found;
  uint64_t next = 0;
  if (z.value != nullptr) {
    next = ScanCollection(*z.value, *args, [&](std::string_view m, double score) {
      if (args->Matches(m)) found.emplace_back(m, score);
    });
  }
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(2 * found.size());
  for (const auto& [m, score] : found) {
    ctx.reply.Bulk(m);
    ctx.reply.Bulk(FormatDouble(score));
  }
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterZSetCommands(CommandTable& table) {
  using enum CommandFlag;
  const std::string_view kLogN = "O(log(N))";
  auto row = [&table](CommandSpec spec) { AddZSetRow(table, std::move(spec)); };
  row({.name = "zadd",
       .arity = -4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW update",
       .handler = ZAdd,
       .since = "1.2.0",
       .summary = "Adds one or more members to a sorted set, or updates their scores. Creates "
                  "the key if it doesn't exist.",
       .complexity = "O(log(N)) for each item added, where N is the number of elements in the "
                     "sorted set.",
       .syntax = "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"});
  row({.name = "zincrby",
       .arity = 4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = ZIncrBy,
       .since = "1.2.0",
       .summary = "Increments the score of a member in a sorted set.",
       .complexity = "O(log(N)) where N is the number of elements in the sorted set.",
       .syntax = "key increment member"});
  row({.name = "zrem",
       .arity = -3,
       .flags = kWrite | kFast,
       .key_flags = "RW delete",
       .handler = ZRem,
       .since = "1.2.0",
       .summary = "Removes one or more members from a sorted set. Deletes the sorted set if all "
                  "members were removed.",
       .complexity = "O(M*log(N)) with N being the number of elements in the sorted set and M "
                     "the number of elements to be removed.",
       .syntax = "key member [member ...]"});
  row({.name = "zcard",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = ZCard,
       .since = "1.2.0",
       .summary = "Returns the number of members in a sorted set.",
       .complexity = "O(1)",
       .syntax = "key"});
  row({.name = "zscore",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = ZScore,
       .since = "1.2.0",
       .summary = "Returns the score of a member in a sorted set.",
       .complexity = "O(1)",
       .syntax = "key member"});
  row({.name = "zmscore",
       .arity = -3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = ZMScore,
       .since = "6.2.0",
       .summary = "Returns the score of one or more members in a sorted set.",
       .complexity = "O(N) where N is the number of members being requested.",
       .syntax = "key member [member ...]"});
  row({.name = "zrank",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = ZRank,
       .since = "2.0.0",
       .summary = "Returns the index of a member in a sorted set ordered by ascending scores.",
       .complexity = kLogN,
       .syntax = "key member"});
  row({.name = "zrevrank",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = ZRevRank,
       .since = "2.0.0",
       .summary = "Returns the index of a member in a sorted set ordered by descending scores.",
       .complexity = kLogN,
       .syntax = "key member"});
  row({.name = "zcount",
       .arity = 4,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = ZCount,
       .since = "2.0.0",
       .summary = "Returns the count of members in a sorted set that have scores within a range.",
       .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
       .syntax = "key min max"});
  row({.name = "zlexcount",
       .arity = 4,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = ZLexCount,
       .since = "2.8.9",
       .summary = "Returns the number of members in a sorted set within a lexicographical range.",
       .complexity = "O(log(N)) with N being the number of elements in the sorted set.",
       .syntax = "key min max"});
  row({.name = "zrandmember",
       .arity = -2,
       .flags = kReadOnly | kRandomReply,
       .key_flags = "RO access",
       .handler = ZRandMember,
       .since = "6.2.0",
       .summary = "Returns one or more random members from a sorted set.",
       .complexity = "O(N) where N is the number of members returned",
       .syntax = "key [count [WITHSCORES]]"});
  row({.name = "zscan",
       .arity = -3,
       .flags = kReadOnly | kRandomReply,
       .key_flags = "RO access",
       .handler = ZScan,
       .since = "2.8.0",
       .summary = "Iterates over members and scores of a sorted set.",
       .complexity = "O(1) for every call. O(N) for a complete iteration, including enough "
                     "command calls for the cursor to return back to 0. N is the number of "
                     "elements inside the collection.",
       .syntax = "key cursor [MATCH pattern] [COUNT count]"});
  RegisterZSetRangeCommands(table);
  RegisterZSetStoreCommands(table);
  RegisterZSetPopCommands(table);
}

}  // namespace tidekv::commands
