// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis 7.0's
// zunionInterDiffGenericCommand): inputs may be sorted sets or plain sets (whose members
// score 1), each optionally weighted, scores aggregated by SUM, MIN or MAX.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "commands/zset_util.h"
#include "common/strings.h"
#include "types/set.h"

namespace tidekv::commands {
namespace {

using types::SetValue;

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, a set, or nothing (a missing key).
struct Source {
  const ZSetValue* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1;

  size_t size() const { return zset != nullptr ? zset->size() : set != nullptr ? set->size() : 0; }
  bool Same(const Source& o) const { return zset == o.zset && set == o.set; }
  std::optional<double> Find(std::string_view member) const {
    if (zset != nullptr) return zset->Score(member);
    if (set != nullptr && set->Contains(member)) return 1.0;
    return std::nullopt;
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (zset != nullptr) zset->ForEach(fn);
    if (set != nullptr) set->ForEach([&](std::string_view m) { fn(m, 1.0); });
  }
};

void Combine(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf: Redis's convention
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

// weight * score, 0 where that is NaN (0 * inf), as Redis.
double Weighted(const Source& s, double score) {
  const double v = s.weight * score;
  return std::isnan(v) ? 0 : v;
}

using Items = std::vector<std::pair<std::string, double>>;

// The result, lowest score first; stops counting at `limit` members (0: no limit).
Items Compute(SetOp op, std::vector<Source> src, Aggregate agg, size_t limit = 0) {
  Items out;
  switch (op) {
    case SetOp::kInter: {
      std::stable_sort(src.begin(), src.end(),
                       [](const Source& a, const Source& b) { return a.size() < b.size(); });
      if (src.front().size() == 0) break;
      src.front().ForEach([&](std::string_view m, double s) {
        if (limit != 0 && out.size() >= limit) return;
        double score = Weighted(src.front(), s);
        for (size_t j = 1; j < src.size(); j++) {
          const std::optional<double> v = src[j].Same(src.front()) ? s : src[j].Find(m);
          if (!v) return;
          Combine(&score, *v * src[j].weight, agg);
        }
        out.emplace_back(m, score);
      });
      break;
    }
    case SetOp::kUnion: {
      std::stable_sort(src.begin(), src.end(),
                       [](const Source& a, const Source& b) { return a.size() < b.size(); });
      absl::flat_hash_map<std::string, double> acc;
      acc.reserve(src.back().size());
      for (const Source& s : src) {
        s.ForEach([&](std::string_view m, double v) {
          const double score = Weighted(s, v);
          auto [it, added] = acc.try_emplace(std::string(m), score);
          if (!added) Combine(&it->second, score, agg);
        });
      }
      out.reserve(acc.size());
      for (auto& [m, score] : acc) out.emplace_back(m, score);
      break;
    }
    case SetOp::kDiff: {
      src.front().ForEach([&](std::string_view m, double s) {
        for (size_t j = 1; j < src.size(); j++) {
          if (src[j].Same(src.front()) || src[j].Find(m)) return;
        }
        out.emplace_back(m, s);
      });
      break;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  return out;
}

// The command forms: the destination (STORE forms), ZINTERCARD's count only, or a reply.
enum class Form { kReply, kStore, kCard };

void ZSetOpGeneric(CommandContext& ctx, SetOp op, Form form) {
  const size_t numkeys_at = form == Form::kStore ? 2 : 1;
  const std::optional<int64_t> numkeys = ctx.IntArg(numkeys_at);
  if (!numkeys) return;
  if (*numkeys < 1) {
    return ctx.Error("ERR at least 1 input key is needed for '" + ctx.spec.name + "' command");
  }
  if (*numkeys > static_cast<int64_t>(ctx.argc() - numkeys_at - 1)) return ctx.SyntaxError();
  const auto n = static_cast<size_t>(*numkeys);
  std::vector<Source> src(n);
  for (size_t i = 0; i < n; i++) {
    Entry* e = ctx.LookupRead(ctx.arg(numkeys_at + 1 + i));
    if (e == nullptr) continue;
    if (e->type() == ValueType::kZSet) {
      src[i].zset = e->As<ZSetValue>();
    } else if (e->type() == ValueType::kSet) {
      src[i].set = e->As<SetValue>();
    } else {
      return ctx.WrongType();
    }
  }
  Aggregate agg = Aggregate::kSum;
  bool with_scores = false;
  size_t limit = 0;
  const bool weighted = op != SetOp::kDiff && form != Form::kCard;
  for (size_t j = numkeys_at + 1 + n; j < ctx.argc(); j++) {
    const size_t left = ctx.argc() - j;
    if (weighted && left >= n + 1 && ctx.ArgIs(j, "weights")) {
      for (size_t i = 0; i < n; i++) {
        const std::optional<double> w = ScoreArg(ctx, ++j, "ERR weight value is not a float");
        if (!w) return;
        src[i].weight = *w;
      }
    } else if (weighted && left >= 2 && ctx.ArgIs(j, "aggregate")) {
      j++;
      if (ctx.ArgIs(j, "sum")) {
        agg = Aggregate::kSum;
      } else if (ctx.ArgIs(j, "min")) {
        agg = Aggregate::kMin;
      } else if (ctx.ArgIs(j, "max")) {
        agg = Aggregate::kMax;
      } else {
        return ctx.SyntaxError();
      }
    } else if (form == Form::kReply && ctx.ArgIs(j, "withscores")) {
      with_scores = true;
    } else if (form == Form::kCard && left >= 2 && ctx.ArgIs(j, "limit")) {
      const std::optional<int64_t> l = ParseInt64(ctx.arg(++j));
      if (!l || *l < 0) return ctx.Error("ERR LIMIT can't be negative");
      limit = static_cast<size_t>(*l);
    } else {
      return ctx.SyntaxError();
    }
  }
  const Items result = Compute(op, std::move(src), agg, form == Form::kCard ? limit : 0);
  switch (form) {
    case Form::kStore:
      return StoreResult(ctx, ctx.arg(1), result);
    case Form::kCard:
      return ctx.reply.Integer(static_cast<int64_t>(result.size()));
    case Form::kReply: {
      ScoredReply out(ctx, result.size(), with_scores);
      for (const auto& [m, score] : result) out.Add(m, score);
      return;
    }
  }
}

void ZUnion(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kUnion, Form::kReply); }
void ZInter(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kInter, Form::kReply); }
void ZDiff(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kDiff, Form::kReply); }
void ZUnionStore(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kUnion, Form::kStore); }
void ZInterStore(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kInter, Form::kStore); }
void ZDiffStore(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kDiff, Form::kStore); }
void ZInterCard(CommandContext& ctx) { ZSetOpGeneric(ctx, SetOp::kInter, Form::kCard); }

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterZSetStoreCommands(CommandTable& table) {
  using enum CommandFlag;
  const std::string_view kUnion =
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M "
      "being the number of elements in the resulting sorted set.";
  const std::string_view kInter =
      "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
      "number of input sorted sets and M being the number of elements in the resulting sorted "
      "set.";
  const std::string_view kDiff =
      "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, "
      "N is the size of the first set, and K is the size of the result set.";
  struct Op {
    std::string_view name;
    engine::CommandHandler reply, store;
    std::string_view store_since, complexity, summary, store_summary, syntax, store_syntax;
  };
  const Op ops[] = {
      {"zunion", ZUnion, ZUnionStore, "2.0.0", kUnion, "Returns the union of multiple sorted sets.",
       "Stores the union of multiple sorted sets in a key.",
       "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] "
       "[WITHSCORES]",
       "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
       "[AGGREGATE <SUM | MIN | MAX>]"},
      {"zinter", ZInter, ZInterStore, "2.0.0", kInter,
       "Returns the intersect of multiple sorted sets.",
       "Stores the intersect of multiple sorted sets in a key.",
       "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] "
       "[WITHSCORES]",
       "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
       "[AGGREGATE <SUM | MIN | MAX>]"},
      {"zdiff", ZDiff, ZDiffStore, "6.2.0", kDiff,
       "Returns the difference between multiple sorted sets.",
       "Stores the difference of multiple sorted sets in a key.",
       "numkeys key [key ...] [WITHSCORES]", "destination numkeys key [key ...]"},
  };
  for (const Op& op : ops) {
    AddZSetRow(table,
               {.name = std::string(op.name),
                .arity = -3,
                .flags = kReadOnly,
                .key_flags = "RO access",
                .handler = op.reply,
                .since = "6.2.0",
                .summary = op.summary,
                .complexity = op.complexity,
                .syntax = op.syntax,
                .find_keys = KeysAfterNumkeys},
               0, 0);
    AddZSetRow(table,
               {.name = std::string(op.name) + "store",
                .arity = -4,
                .flags = kWrite | kDenyOom,
                .key_flags = "OW update; RO access",
                .handler = op.store,
                .since = op.store_since,
                .summary = op.store_summary,
                .complexity = op.complexity,
                .syntax = op.store_syntax,
                .find_keys = StoreKeys},
               0, 0);
  }
  AddZSetRow(table,
             {.name = "zintercard",
              .arity = -3,
              .flags = kReadOnly,
              .key_flags = "RO access",
              .handler = ZInterCard,
              .since = "7.0.0",
              .summary = "Returns the number of members of the intersect of multiple sorted sets.",
              .complexity = "O(N*K) worst case with N being the smallest input sorted set, K being "
                            "the number of input sorted sets.",
              .syntax = "numkeys key [key ...] [LIMIT limit]",
              .find_keys = KeysAfterNumkeys},
             0, 0);
}

}  // namespace tidekv::commands
