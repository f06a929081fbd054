// Set commands (Redis 7 semantics and errors) on types::SetValue.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "commands/random_pick.h"
#include "commands/scan_args.h"
#include "common/strings.h"
#include "types/set.h"

namespace tidekv::commands {
namespace {

using types::SetValue;

void SAdd(CommandContext& ctx) {
  auto s = ctx.WriteOrCreate<SetValue>(ctx.arg(1), [&] { return new SetValue(ctx.arg(2)); });
  if (!s.ok) return;
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); i++) added += s.value->Add(ctx.arg(i));
  if (added > 0) ctx.Changed();
  ctx.reply.Integer(added);
}

void SRem(CommandContext& ctx) {
  auto s = ctx.Write<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  int64_t removed = 0;
  if (s.value != nullptr) {
    for (size_t i = 2; i < ctx.argc() && !s.value->empty(); i++)
      removed += s.value->Remove(ctx.arg(i));
    ctx.DeleteIfEmpty(s.entry);
  }
  if (removed > 0) ctx.Changed();
  ctx.reply.Integer(removed);
}

void ReplyMembers(CommandContext& ctx, const SetValue* s) {
  ctx.reply.Set(s == nullptr ? 0 : s->size());
  if (s != nullptr) s->ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
}

void SMembers(CommandContext& ctx) {
  auto s = ctx.Read<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  ReplyMembers(ctx, s.value);
}

void SIsMember(CommandContext& ctx) {
  auto s = ctx.Read<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  ctx.reply.Integer(s.value != nullptr && s.value->Contains(ctx.arg(2)) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  auto s = ctx.Read<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Integer(s.value != nullptr && s.value->Contains(ctx.arg(i)) ? 1 : 0);
  }
}

void SCard(CommandContext& ctx) {
  auto s = ctx.Read<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  ctx.reply.Integer(s.value == nullptr ? 0 : static_cast<int64_t>(s.value->size()));
}

void SPop(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.SyntaxError();
  std::optional<int64_t> count;
  if (ctx.argc() == 3) {
    count = ParseInt64(ctx.arg(2));
    if (!count || *count < 0) return ctx.Error("ERR value is out of range, must be positive");
  }
  auto s = ctx.Write<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  if (!count) {
    if (s.value == nullptr) return ctx.reply.Null();
    const std::string member = s.value->Random();
    s.value->Remove(member);
    ctx.DeleteIfEmpty(s.entry);
    ctx.Changed();
    // The effect names the member drawn, so replicas and the log need no randomness.
    ctx.Propagate({"SREM", ctx.arg(1), member});
    return ctx.reply.Bulk(member);
  }
  const size_t size = s.value == nullptr ? 0 : s.value->size();
  if (*count == 0 || size == 0) return ctx.reply.Set(0);
  std::vector<std::string> all;
  all.reserve(size);
  s.value->ForEach([&](std::string_view m) { all.emplace_back(m); });
  const auto n = static_cast<size_t>(*count);
  std::vector<std::string_view> effect;
  if (n >= size) {
    ctx.db.Erase(s.entry);
    effect = {"DEL", ctx.arg(1)};
    ctx.reply.Set(size);
    for (const std::string& m : all) ctx.reply.Bulk(m);
  } else {
    effect = {"SREM", ctx.arg(1)};
    ctx.reply.Set(n);
    for (size_t i : PickDistinct(size, n)) {
      s.value->Remove(all[i]);
      effect.push_back(all[i]);
      ctx.reply.Bulk(all[i]);
    }
  }
  ctx.Changed();
  ctx.Propagate(effect);
}

void SRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.SyntaxError();
  std::optional<RandomCount> count;
  if (ctx.argc() == 3) {
    count = ParseRandomCount(ctx, 2, false);
    if (!count) return;
  }
  auto s = ctx.Read<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  if (!count) {
    if (s.value == nullptr) return ctx.reply.Null();
    return ctx.reply.Bulk(s.value->Random());
  }
  const size_t size = s.value == nullptr ? 0 : s.value->size();
  const size_t n = count->ReplyLength(size);
  if (!count->repeats && n == size) return ReplyMembers(ctx, s.value);
  ctx.reply.Array(n);
  if (count->repeats) {
    for (size_t i = 0; i < n; i++) ctx.reply.Bulk(s.value->Random());
    return;
  }
  std::vector<std::string> all;
  all.reserve(size);
  s.value->ForEach([&](std::string_view m) { all.emplace_back(m); });
  for (size_t i : PickDistinct(size, n)) ctx.reply.Bulk(all[i]);
}

void SMove(CommandContext& ctx) {
  auto src = ctx.Write<SetValue>(ctx.arg(1));
  if (!src.ok) return;
  // The destination is only looked at here: it is opened for writing (and so reported as
  // changed, to WATCH among others) only when the member is really added to it.
  const Entry* peeked = ctx.db.Peek(ctx.arg(2), ctx.now_ms);
  if (peeked != nullptr && peeked->type() != ValueType::kSet) return ctx.WrongType();
  const std::string_view member = ctx.arg(3);
  if (src.value == nullptr || !src.value->Contains(member)) return ctx.reply.Integer(0);
  if (src.entry == peeked) return ctx.reply.Integer(1);
  src.value->Remove(member);
  ctx.DeleteIfEmpty(src.entry);
  ctx.Changed();
  if (peeked == nullptr || !peeked->As<SetValue>()->Contains(member)) {
    auto dst = ctx.WriteOrCreate<SetValue>(ctx.arg(2), [&] { return new SetValue(member); });
    dst.value->Add(member);
    ctx.Changed();
  }
  ctx.reply.Integer(1);
}

// ---- SINTER, SUNION, SDIFF and their STORE and CARD forms ----------------------------

enum class SetOp { kInter, kUnion, kDiff };

// The sets named by argv[first..last], nullptr for a missing key; false after a WRONGTYPE.
bool LoadSets(CommandContext& ctx, size_t first, size_t last, std::vector<const SetValue*>* out) {
  for (size_t i = first; i <= last; i++) {
    auto s = ctx.Read<SetValue>(ctx.arg(i));
    if (!s.ok) return false;
    out->push_back(s.value);
  }
  return true;
}

// The members of the operation's result, each once; stops after `limit` members (0: all).
std::vector<std::string> Compute(SetOp op, std::vector<const SetValue*> sets, size_t limit = 0) {
  std::vector<std::string> result;
  auto full = [&] { return limit != 0 && result.size() >= limit; };
  switch (op) {
    case SetOp::kInter: {
      if (std::any_of(sets.begin(), sets.end(), [](auto* s) { return s == nullptr; })) break;
      std::sort(sets.begin(), sets.end(), [](auto* a, auto* b) { return a->size() < b->size(); });
      sets.front()->ForEach([&](std::string_view m) {
        if (full()) return;
        for (size_t i = 1; i < sets.size(); i++) {
          if (!sets[i]->Contains(m)) return;
        }
        result.emplace_back(m);
      });
      break;
    }
    case SetOp::kUnion: {
      std::unique_ptr<SetValue> seen;
      for (const SetValue* s : sets) {
        if (s == nullptr) continue;
        s->ForEach([&](std::string_view m) {
          if (seen == nullptr) seen = std::make_unique<SetValue>(m);
          if (seen->Add(m)) result.emplace_back(m);
        });
      }
      break;
    }
    case SetOp::kDiff: {
      if (sets.front() == nullptr) break;
      sets.front()->ForEach([&](std::string_view m) {
        for (size_t i = 1; i < sets.size(); i++) {
          if (sets[i] != nullptr && sets[i]->Contains(m)) return;
        }
        result.emplace_back(m);
      });
      break;
    }
  }
  return result;
}

void ReplySetOp(CommandContext& ctx, SetOp op) {
  std::vector<const SetValue*> sets;
  if (!LoadSets(ctx, 1, ctx.argc() - 1, &sets)) return;
  const std::vector<std::string> result = Compute(op, std::move(sets));
  ctx.reply.Set(result.size());
  for (const std::string& m : result) ctx.reply.Bulk(m);
}

void StoreSetOp(CommandContext& ctx, SetOp op) {
  std::vector<const SetValue*> sets;
  if (!LoadSets(ctx, 2, ctx.argc() - 1, &sets)) return;
  const std::vector<std::string> result = Compute(op, std::move(sets));
  const bool existed = ctx.db.Erase(ctx.arg(1), ctx.now_ms);
  if (!result.empty()) {
    auto dst =
        ctx.WriteOrCreate<SetValue>(ctx.arg(1), [&] { return new SetValue(result.front()); });
    for (const std::string& m : result) dst.value->Add(m);
  }
  if (existed || !result.empty()) ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

void SInter(CommandContext& ctx) { ReplySetOp(ctx, SetOp::kInter); }
void SUnion(CommandContext& ctx) { ReplySetOp(ctx, SetOp::kUnion); }
void SDiff(CommandContext& ctx) { ReplySetOp(ctx, SetOp::kDiff); }
void SInterStore(CommandContext& ctx) { StoreSetOp(ctx, SetOp::kInter); }
void SUnionStore(CommandContext& ctx) { StoreSetOp(ctx, SetOp::kUnion); }
void SDiffStore(CommandContext& ctx) { StoreSetOp(ctx, SetOp::kDiff); }

void SInterCard(CommandContext& ctx) {
  std::optional<int64_t> numkeys = ParseInt64(ctx.arg(1));
  if (!numkeys || *numkeys <= 0) return ctx.Error("ERR numkeys should be greater than 0");
  if (*numkeys > static_cast<int64_t>(ctx.argc() - 2)) {
    return ctx.Error("ERR Number of keys can't be greater than number of args");
  }
  const size_t last_key = 1 + static_cast<size_t>(*numkeys);
  size_t limit = 0;
  for (size_t i = last_key + 1; i < ctx.argc(); i += 2) {
    if (ctx.ArgIs(i, "limit") && i + 1 < ctx.argc()) {
      std::optional<int64_t> l = ParseInt64(ctx.arg(i + 1));
      if (!l || *l < 0) return ctx.Error("ERR LIMIT can't be negative");
      limit = static_cast<size_t>(*l);
    } else {
      return ctx.SyntaxError();
    }
  }
  std::vector<const SetValue*> sets;
  if (!LoadSets(ctx, 2, last_key, &sets)) return;
  ctx.reply.Integer(static_cast<int64_t>(Compute(SetOp::kInter, std::move(sets), limit).size()));
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]: the keys follow numkeys.
void SInterCardKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  KeysAfterNumkeysAt(1, argv, out);
}

void SScan(CommandContext& ctx) {
  std::optional<ScanArgs> args = ParseScanArgs(ctx, 2, ScanKind::kMembers);
  if (!args) return;
  auto s = ctx.Read<SetValue>(ctx.arg(1));
  if (!s.ok) return;
  std::vector<std::string> found;
  uint64_t next = 0;
  if (s.value != nullptr) {
    next = ScanCollection(*s.value, *args, [&](std::string_view m) {
      if (args->Matches(m)) found.emplace_back(m);
    });
  }
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(found.size());
  for (const std::string& m : found) ctx.reply.Bulk(m);
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterSetCommands(CommandTable& table) {
  using enum CommandFlag;
  constexpr std::string_view kO1 = "O(1)";
  auto row = [&table](CommandSpec spec, int first_key = 1, int last_key = 1) {
    spec.first_key = first_key;
    spec.last_key = last_key;
    spec.key_step = first_key == 0 ? 0 : 1;
    spec.group = "set";
    table.Add(std::move(spec));
  };
  row({.name = "sadd",
       .arity = -3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = SAdd,
       .since = "1.0.0",
       .summary = "Adds one or more members to a set. Creates the key if it doesn't exist.",
       .complexity = "O(1) for each element added, so O(N) to add N elements when the command "
                     "is called with multiple arguments.",
       .syntax = "key member [member ...]"});
  row({.name = "srem",
       .arity = -3,
       .flags = kWrite | kFast,
       .key_flags = "RW delete",
       .handler = SRem,
       .since = "1.0.0",
       .summary = "Removes one or more members from a set. Deletes the set if the last member "
                  "was removed.",
       .complexity = "O(N) where N is the number of members to be removed.",
       .syntax = "key member [member ...]"});
  row({.name = "smembers",
       .arity = 2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = SMembers,
       .since = "1.0.0",
       .summary = "Returns all members of a set.",
       .complexity = "O(N) where N is the set cardinality.",
       .syntax = "key"});
  row({.name = "sismember",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = SIsMember,
       .since = "1.0.0",
       .summary = "Determines whether a member belongs to a set.",
       .complexity = kO1,
       .syntax = "key member"});
  row({.name = "smismember",
       .arity = -3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = SMIsMember,
       .since = "6.2.0",
       .summary = "Determines whether multiple members belong to a set.",
       .complexity = "O(N) where N is the number of elements being checked for membership",
       .syntax = "key member [member ...]"});
  row({.name = "scard",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = SCard,
       .since = "1.0.0",
       .summary = "Returns the number of members in a set.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "spop",
       .arity = -2,
       .flags = kWrite | kFast | kRandomReply,
       .key_flags = "RW access delete",
       .handler = SPop,
       .since = "1.0.0",
       .summary = "Returns one or more random members from a set after removing them. Deletes "
                  "the set if the last member was popped.",
       .complexity = "Without the count argument O(1), otherwise O(N) where N is the value of "
                     "the passed count.",
       .syntax = "key [count]"});
  row({.name = "srandmember",
       .arity = -2,
       .flags = kReadOnly | kRandomReply,
       .key_flags = "RO access",
       .handler = SRandMember,
       .since = "1.0.0",
       .summary = "Get one or multiple random members from a set",
       .complexity = "Without the count argument O(1), otherwise O(N) where N is the absolute "
                     "value of the passed count.",
       .syntax = "key [count]"});
  row({.name = "smove",
       .arity = 4,
       .flags = kWrite | kFast,
       .key_flags = "RW access delete; RW insert",
       .handler = SMove,
       .since = "1.0.0",
       .summary = "Moves a member from one set to another.",
       .complexity = kO1,
       .syntax = "source destination member"},
      1, 2);
  const std::string_view kInterComplexity =
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
      "of sets.";
  const std::string_view kUnionComplexity =
      "O(N) where N is the total number of elements in all given sets.";
  row({.name = "sinter",
       .arity = -2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = SInter,
       .since = "1.0.0",
       .summary = "Returns the intersect of multiple sets.",
       .complexity = kInterComplexity,
       .syntax = "key [key ...]"},
      1, -1);
  row({.name = "sintercard",
       .arity = -3,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = SInterCard,
       .since = "7.0.0",
       .summary = "Returns the number of members of the intersect of multiple sets.",
       .complexity = kInterComplexity,
       .syntax = "numkeys key [key ...] [LIMIT limit]",
       .find_keys = SInterCardKeys},
      0, 0);
  row({.name = "sinterstore",
       .arity = -3,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW update; RO access",
       .handler = SInterStore,
       .since = "1.0.0",
       .summary = "Stores the intersect of multiple sets in a key.",
       .complexity = kInterComplexity,
       .syntax = "destination key [key ...]"},
      1, -1);
  row({.name = "sunion",
       .arity = -2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = SUnion,
       .since = "1.0.0",
       .summary = "Returns the union of multiple sets.",
       .complexity = kUnionComplexity,
       .syntax = "key [key ...]"},
      1, -1);
  row({.name = "sunionstore",
       .arity = -3,
       .flags = kWrite | kDenyOom,
       .key_flags = "OW update; RO access",
       .handler = SUnionStore,
       .since = "1.0.0",
       .summary = "Stores the union of multiple sets in a key.",
       .complexity = kUnionComplexity,
       .syntax = "destination key [key ...]"},
      1, -1);
  row({.name = "sdiff",
       .arity = -2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = SDiff,
       .since = "1.0.0",
       .summary = "Returns the difference of multiple sets.",
       .complexity = kUnionComplexity,
       .syntax = "key [key ...]"},
      1, -1);
  row({.name = "sdiffstore",
       .arity = -3,
       .flags = kWrite | kDenyOom,
       .key_flags = "OW update; RO access",
       .handler = SDiffStore,
       .since = "1.0.0",
       .summary = "Stores the difference of multiple sets in a key.",
       .complexity = kUnionComplexity,
       .syntax = "destination key [key ...]"},
      1, -1);
  row({.name = "sscan",
       .arity = -3,
       .flags = kReadOnly | kRandomReply,
       .key_flags = "RO access",
       .handler = SScan,
       .since = "2.0.0",
       .summary = "Iterates over members of a set.",
       .complexity = "O(1) for every call. O(N) for a complete iteration, including enough "
                     "command calls for the cursor to return back to 0. N is the number of "
                     "elements inside the collection.",
       .syntax = "key cursor [MATCH pattern] [COUNT count]"});
}

}  // namespace tidekv::commands
