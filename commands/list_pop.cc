// List pops and moves (Redis 7.0 semantics and errors): LPOP, RPOP, LMPOP, LMOVE, RPOPLPUSH
// and their blocking forms BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH. A blocking form first
// does what the plain form would if one of its keys holds a list; otherwise it blocks
// (CommandContext::Block) and runs again when one does. Served that way it propagates the
// plain form (LPOP/RPOP key [count], LMOVE), so the log, replicas and replay never see a
// blocking command.
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/strings.h"
#include "types/list.h"

namespace tidekv::commands {
namespace {

using types::ListValue;

// Redis's LEFT | RIGHT argument; nullopt after the syntax error reply.
std::optional<bool> WhereArg(CommandContext& ctx, size_t i) {
  if (ctx.ArgIs(i, "left")) return true;
  if (ctx.ArgIs(i, "right")) return false;
  ctx.SyntaxError();
  return std::nullopt;
}

// Pops up to count elements from one end into the reply (an array), deleting the key once
// it is empty; returns how many.
size_t PopInto(CommandContext& ctx, CommandContext::Typed<ListValue>& l, bool front,
               uint64_t count) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(count, l.value->size()));
  ctx.reply.Array(n);
  for (size_t i = 0; i < n; i++) ctx.reply.Bulk(l.value->Pop(front));
  ctx.DeleteIfEmpty(l.entry);
  ctx.Changed();
  return n;
}

void Pop(CommandContext& ctx, bool front) {
  if (ctx.argc() > 3) {
    return ctx.Error("ERR wrong number of arguments for '" + std::string(front ? "lpop" : "rpop") +
                     "' command");
  }
  std::optional<int64_t> count;
  if (ctx.argc() == 3) {
    count = ParseInt64(ctx.arg(2));
    if (!count || *count < 0) return ctx.Error("ERR value is out of range, must be positive");
  }
  auto l = ctx.Write<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return count ? ctx.reply.NullArray() : ctx.reply.Null();
  if (!count) {
    ctx.reply.Bulk(l.value->Pop(front));
    ctx.DeleteIfEmpty(l.entry);
    ctx.Changed();
    return;
  }
  if (*count == 0) return ctx.reply.Array(0);
  PopInto(ctx, l, front, static_cast<uint64_t>(*count));
}

void LPop(CommandContext& ctx) { Pop(ctx, true); }
void RPop(CommandContext& ctx) { Pop(ctx, false); }

// ---- LMOVE, RPOPLPUSH, BLMOVE, BRPOPLPUSH ---------------------------------------------

// Moves one element from src's `from` end to dst's `to` end. Replies the element (or a null
// when src is absent); false when src is absent and nothing was replied (blocking: wait).
bool Move(CommandContext& ctx, bool from_front, bool to_front, bool blocking) {
  const std::string_view src_key = ctx.arg(1), dst_key = ctx.arg(2);
  auto src = ctx.Write<ListValue>(src_key);
  if (!src.ok) return true;
  if (src.value == nullptr) {
    if (blocking) return false;
    ctx.reply.Null();
    return true;
  }
  auto dst = ctx.Write<ListValue>(dst_key);
  if (!dst.ok) return true;
  const std::string value = src.value->Pop(from_front);
  // Same key: the element goes back onto the list it came from (rotation), which is
  // never left empty in between.
  if (src.entry != dst.entry) ctx.DeleteIfEmpty(src.entry);
  dst = ctx.WriteOrCreate<ListValue>(dst_key, [] { return new ListValue(); });
  dst.value->Push(to_front, value);
  ctx.Changed(src_key == dst_key ? 1 : 2);
  ctx.reply.Bulk(value);
  return true;
}

void LMove(CommandContext& ctx) {
  const std::optional<bool> from = WhereArg(ctx, 3);
  if (!from) return;
  const std::optional<bool> to = WhereArg(ctx, 4);
  if (!to) return;
  Move(ctx, *from, *to, false);
}

void RPopLPush(CommandContext& ctx) { Move(ctx, false, true, false); }

void BlockOn(CommandContext& ctx, std::span<const std::string_view> keys, int64_t timeout,
             CommandContext::TimeoutReply on_timeout = CommandContext::TimeoutReply::kNullArray) {
  ctx.Block(keys, timeout, ValueType::kList, on_timeout);
}

void BLMove(CommandContext& ctx) {
  const std::optional<bool> from = WhereArg(ctx, 3);
  if (!from) return;
  const std::optional<bool> to = WhereArg(ctx, 4);
  if (!to) return;
  const std::optional<int64_t> timeout = ctx.TimeoutArg(5);
  if (!timeout) return;
  if (!Move(ctx, *from, *to, true))
    return BlockOn(ctx, ctx.argv.subspan(1, 1), *timeout, CommandContext::TimeoutReply::kNullBulk);
  if (ctx.dirty > 0) {
    ctx.Propagate(
        {"LMOVE", ctx.arg(1), ctx.arg(2), *from ? "LEFT" : "RIGHT", *to ? "LEFT" : "RIGHT"});
  }
}

void BRPopLPush(CommandContext& ctx) {
  const std::optional<int64_t> timeout = ctx.TimeoutArg(3);
  if (!timeout) return;
  if (!Move(ctx, false, true, true))
    return BlockOn(ctx, ctx.argv.subspan(1, 1), *timeout, CommandContext::TimeoutReply::kNullBulk);
  if (ctx.dirty > 0) ctx.Propagate({"RPOPLPUSH", ctx.arg(1), ctx.arg(2)});
}

// ---- LMPOP, BLPOP, BRPOP, BLMPOP -------------------------------------------------------

// Pops from the first of keys that holds a list: [key, element] (count 0: BLPOP's form) or
// [key, [elements]] (LMPOP's), propagated as LPOP/RPOP key [count]. Returns false, having
// replied nothing, when no key holds a list; true after a reply (WRONGTYPE included).
bool PopFirst(CommandContext& ctx, std::span<const std::string_view> keys, bool front,
              uint64_t count) {
  for (std::string_view key : keys) {
    auto l = ctx.Write<ListValue>(key);
    if (!l.ok) return true;
    if (l.value == nullptr) continue;
    const std::string_view pop = front ? "LPOP" : "RPOP";
    ctx.reply.Array(2);
    ctx.reply.Bulk(key);
    if (count == 0) {
      ctx.reply.Bulk(l.value->Pop(front));
      ctx.DeleteIfEmpty(l.entry);
      ctx.Changed();
      ctx.Propagate({pop, key});
      return true;
    }
    const std::string popped = std::to_string(PopInto(ctx, l, front, count));
    ctx.Propagate({pop, key, popped});
    return true;
  }
  return false;
}

void BPop(CommandContext& ctx, bool front) {
  const std::optional<int64_t> timeout = ctx.TimeoutArg(ctx.argc() - 1);
  if (!timeout) return;
  const auto keys = ctx.argv.subspan(1, ctx.argc() - 2);
  if (!PopFirst(ctx, keys, front, 0)) BlockOn(ctx, keys, *timeout);
}

void BLPop(CommandContext& ctx) { BPop(ctx, true); }
void BRPop(CommandContext& ctx) { BPop(ctx, false); }

// LMPOP's arguments from numkeys on: numkeys key [key ...] LEFT|RIGHT [COUNT count].
struct MPopArgs {
  std::span<const std::string_view> keys;
  bool front = true;
  uint64_t count = 1;
};

std::optional<MPopArgs> ParseMPop(CommandContext& ctx, size_t numkeys_at) {
  const std::optional<int64_t> numkeys = ParseInt64(ctx.arg(numkeys_at));
  if (!numkeys || *numkeys <= 0) {
    ctx.Error("ERR numkeys should be greater than 0");
    return std::nullopt;
  }
  const size_t where_at = numkeys_at + 1 + static_cast<size_t>(*numkeys);
  if (static_cast<uint64_t>(*numkeys) >= ctx.argc() || where_at >= ctx.argc()) {
    ctx.SyntaxError();
    return std::nullopt;
  }
  MPopArgs args;
  args.keys = ctx.argv.subspan(numkeys_at + 1, static_cast<size_t>(*numkeys));
  const std::optional<bool> front = WhereArg(ctx, where_at);
  if (!front) return std::nullopt;
  args.front = *front;
  bool counted = false;
  for (size_t i = where_at + 1; i < ctx.argc(); i++) {
    if (!counted && ctx.ArgIs(i, "count") && i + 1 < ctx.argc()) {
      const std::optional<int64_t> count = ParseInt64(ctx.arg(++i));
      if (!count || *count <= 0) {
        ctx.Error("ERR count should be greater than 0");
        return std::nullopt;
      }
      args.count = static_cast<uint64_t>(*count);
      counted = true;
    } else {
      ctx.SyntaxError();
      return std::nullopt;
    }
  }
  return args;
}

void LMPop(CommandContext& ctx) {
  const std::optional<MPopArgs> args = ParseMPop(ctx, 1);
  if (!args) return;
  if (!PopFirst(ctx, args->keys, args->front, args->count)) ctx.reply.NullArray();
}

void BLMPop(CommandContext& ctx) {
  const std::optional<MPopArgs> args = ParseMPop(ctx, 2);
  if (!args) return;
  const std::optional<int64_t> timeout = ctx.TimeoutArg(1);
  if (!timeout) return;
  if (!PopFirst(ctx, args->keys, args->front, args->count)) BlockOn(ctx, args->keys, *timeout);
}

// Key specs whose keys follow a numkeys argument at `at`.
void LMPopKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  KeysAfterNumkeysAt(1, argv, out);
}
void BLMPopKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  KeysAfterNumkeysAt(2, argv, out);
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterListPopCommands(CommandTable& table) {
  using enum CommandFlag;
  auto row = [&table](CommandSpec spec, int first_key, int last_key) {
    spec.first_key = first_key;
    spec.last_key = last_key;
    spec.key_step = first_key == 0 ? 0 : 1;
    spec.group = "list";
    table.Add(std::move(spec));
  };
  constexpr std::string_view kPopComplexity = "O(N) where N is the number of elements returned";
  row({.name = "lpop",
       .arity = -2,
       .flags = kWrite | kFast,
       .key_flags = "RW access delete",
       .handler = LPop,
       .since = "1.0.0",
       .summary = "Returns the first elements in a list after removing it. Deletes the list if "
                  "the last element was popped.",
       .complexity = kPopComplexity,
       .syntax = "key [count]"},
      1, 1);
  row({.name = "rpop",
       .arity = -2,
       .flags = kWrite | kFast,
       .key_flags = "RW access delete",
       .handler = RPop,
       .since = "1.0.0",
       .summary = "Returns and removes the last elements of a list. Deletes the list if the "
                  "last element was popped.",
       .complexity = kPopComplexity,
       .syntax = "key [count]"},
      1, 1);
  row({.name = "lmove",
       .arity = 5,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW access delete; RW insert",
       .handler = LMove,
       .since = "6.2.0",
       .summary = "Returns an element after popping it from one list and pushing it to another. "
                  "Deletes the list if the last element was moved.",
       .complexity = "O(1)",
       .syntax = "source destination <LEFT | RIGHT> <LEFT | RIGHT>"},
      1, 2);
  row({.name = "rpoplpush",
       .arity = 3,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW access delete; RW insert",
       .handler = RPopLPush,
       .since = "1.2.0",
       .summary = "Returns the last element of a list after removing and pushing it to another "
                  "list. Deletes the list if the last element was popped.",
       .complexity = "O(1)",
       .syntax = "source destination"},
      1, 2);
  row({.name = "lmpop",
       .arity = -4,
       .flags = kWrite,
       .key_flags = "RW access delete",
       .handler = LMPop,
       .since = "7.0.0",
       .summary = "Returns multiple elements from a list after removing them. Deletes the list "
                  "if the last element was popped.",
       .complexity = "O(N+M) where N is the number of provided keys and M is the number of "
                     "elements returned.",
       .syntax = "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
       .find_keys = LMPopKeys},
      0, 0);
  row({.name = "blpop",
       .arity = -3,
       .flags = kNoScript | kWrite,
       .key_flags = "RW access delete",
       .handler = BLPop,
       .since = "2.0.0",
       .summary = "Removes and returns the first element in a list. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
       .complexity = "O(N) where N is the number of provided keys.",
       .syntax = "key [key ...] timeout"},
      1, -2);
  row({.name = "brpop",
       .arity = -3,
       .flags = kNoScript | kWrite,
       .key_flags = "RW access delete",
       .handler = BRPop,
       .since = "2.0.0",
       .summary = "Removes and returns the last element in a list. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
       .complexity = "O(N) where N is the number of provided keys.",
       .syntax = "key [key ...] timeout"},
      1, -2);
  row({.name = "blmove",
       .arity = 6,
       .flags = kNoScript | kWrite | kDenyOom,
       .key_flags = "RW access delete; RW insert",
       .handler = BLMove,
       .since = "6.2.0",
       .summary = "Pops an element from a list, pushes it to another list and returns it. "
                  "Blocks until an element is available otherwise. Deletes the list if the "
                  "last element was moved.",
       .complexity = "O(1)",
       .syntax = "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"},
      1, 2);
  row({.name = "brpoplpush",
       .arity = 4,
       .flags = kNoScript | kWrite | kDenyOom,
       .key_flags = "RW access delete; RW insert",
       .handler = BRPopLPush,
       .since = "2.2.0",
       .summary = "Pops an element from a list, pushes it to another list and returns it. "
                  "Block until an element is available otherwise. Deletes the list if the last "
                  "element was popped.",
       .complexity = "O(1)",
       .syntax = "source destination timeout"},
      1, 2);
  row({.name = "blmpop",
       .arity = -5,
       .flags = kNoScript | kWrite,
       .key_flags = "RW access delete",
       .handler = BLMPop,
       .since = "7.0.0",
       .summary = "Pops the first element from one of multiple lists. Blocks until an element "
                  "is available otherwise. Deletes the list if the last element was popped.",
       .complexity = "O(N+M) where N is the number of provided keys and M is the number of "
                     "elements returned.",
       .syntax = "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
       .find_keys = BLMPopKeys},
      0, 0);
}

}  // namespace tidekv::commands
