// List commands (Redis 7.0 semantics and errors) on types::ListValue: pushes, reads by
// index and range, LSET, LINSERT, LREM, LTRIM, LPOS. Pops, moves and the blocking forms are
// in list_pop.cc.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "commands/ranges.h"
#include "common/strings.h"
#include "types/list.h"

namespace tidekv::commands {
namespace {

using types::ListValue;

// Redis's getLongFromObjectOrReply: an index or count argument.
std::optional<int64_t> LongArg(CommandContext& ctx, size_t i) { return ctx.IntArg(i); }

// The element at a Redis index (negative counts from the tail), nullopt when out of range.
std::optional<size_t> Resolve(int64_t index, size_t len) {
  const auto n = static_cast<int64_t>(len);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  return static_cast<size_t>(index);
}

void Push(CommandContext& ctx, bool front, bool only_existing) {
  auto l = only_existing ? ctx.Write<ListValue>(ctx.arg(1))
                         : ctx.WriteOrCreate<ListValue>(ctx.arg(1), [] { return new ListValue(); });
  if (!l.ok) return;
  if (l.value == nullptr) return ctx.reply.Integer(0);
  for (size_t i = 2; i < ctx.argc(); i++) l.value->Push(front, ctx.arg(i));
  ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(l.value->size()));
}

void LPush(CommandContext& ctx) { Push(ctx, true, false); }
void RPush(CommandContext& ctx) { Push(ctx, false, false); }
void LPushX(CommandContext& ctx) { Push(ctx, true, true); }
void RPushX(CommandContext& ctx) { Push(ctx, false, true); }

void LLen(CommandContext& ctx) {
  auto l = ctx.Read<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  ctx.reply.Integer(l.value == nullptr ? 0 : static_cast<int64_t>(l.value->size()));
}

void LRange(CommandContext& ctx) {
  const std::optional<int64_t> start = LongArg(ctx, 2);
  if (!start) return;
  const std::optional<int64_t> end = LongArg(ctx, 3);
  if (!end) return;
  auto l = ctx.Read<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  size_t first = 0, last = 0;
  if (l.value == nullptr || !ClampRange(*start, *end, l.value->size(), &first, &last)) {
    return ctx.reply.Array(0);
  }
  ctx.reply.Array(last - first + 1);
  l.value->Walk(first, true, [&](size_t i, std::string_view v) {
    ctx.reply.Bulk(v);
    return i < last;
  });
}

void LIndex(CommandContext& ctx) {
  auto l = ctx.Read<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return ctx.reply.Null();
  const std::optional<int64_t> index = LongArg(ctx, 2);
  if (!index) return;
  const std::optional<size_t> at = Resolve(*index, l.value->size());
  if (!at) return ctx.reply.Null();
  ctx.reply.Bulk(l.value->At(*at));
}

void LSet(CommandContext& ctx) {
  const std::optional<int64_t> index = LongArg(ctx, 2);
  if (!index) return;
  auto l = ctx.Write<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return ctx.Error(err::kNoSuchKey);
  const std::optional<size_t> at = Resolve(*index, l.value->size());
  if (!at) return ctx.Error("ERR index out of range");
  l.value->Set(*at, ctx.arg(3));
  ctx.Changed();
  ctx.reply.Ok();
}

void LInsert(CommandContext& ctx) {
  bool after = false;
  if (ctx.ArgIs(2, "after")) {
    after = true;
  } else if (!ctx.ArgIs(2, "before")) {
    return ctx.SyntaxError();
  }
  auto l = ctx.Write<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return ctx.reply.Integer(0);
  std::optional<size_t> pivot;
  l.value->Walk(0, true, [&](size_t i, std::string_view v) {
    if (v == ctx.arg(3)) pivot = i;
    return !pivot;
  });
  if (!pivot) return ctx.reply.Integer(-1);
  l.value->Insert(*pivot + (after ? 1 : 0), ctx.arg(4));
  ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(l.value->size()));
}

void LRem(CommandContext& ctx) {
  const std::optional<int64_t> count = LongArg(ctx, 2);
  if (!count) return;
  auto l = ctx.Write<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return ctx.reply.Integer(0);
  const uint64_t limit =
      *count < 0 ? 0 - static_cast<uint64_t>(*count) : static_cast<uint64_t>(*count);
  const size_t removed = l.value->Remove(ctx.arg(3), limit, *count < 0);
  if (removed > 0) {
    ctx.DeleteIfEmpty(l.entry);
    ctx.Changed();
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void LTrim(CommandContext& ctx) {
  const std::optional<int64_t> start = LongArg(ctx, 2);
  if (!start) return;
  const std::optional<int64_t> end = LongArg(ctx, 3);
  if (!end) return;
  auto l = ctx.Write<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return ctx.reply.Ok();
  const size_t len = l.value->size();
  size_t first = 0, last = 0;
  if (!ClampRange(*start, *end, len, &first, &last)) {
    first = len;  // nothing kept
    last = len - 1;
  }
  const size_t removed = len - (last + 1 - first);
  l.value->Erase(last + 1, len - last - 1);
  l.value->Erase(0, first);
  if (removed > 0) {
    ctx.DeleteIfEmpty(l.entry);
    ctx.Changed();
  }
  ctx.reply.Ok();
}

void LPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT option
  for (size_t i = 3; i < ctx.argc(); i++) {
    const bool more = i + 1 < ctx.argc();
    if (ctx.ArgIs(i, "rank") && more) {
      const std::optional<int64_t> v = ParseInt64(ctx.arg(++i));
      if (!v) return ctx.Error(err::kNotInteger);
      if (*v == INT64_MIN) {
        return ctx.Error(
            "ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
      }
      if (*v == 0) {
        return ctx.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
      rank = *v;
    } else if ((ctx.ArgIs(i, "count") || ctx.ArgIs(i, "maxlen")) && more) {
      const bool is_count = ctx.ArgIs(i, "count");
      const std::optional<int64_t> v = ParseInt64(ctx.arg(++i));
      if (!v || *v < 0) {
        return ctx.Error(is_count ? "ERR COUNT can't be negative" : "ERR MAXLEN can't be negative");
      }
      (is_count ? count : maxlen) = *v;
    } else {
      return ctx.SyntaxError();
    }
  }
  auto l = ctx.Read<ListValue>(ctx.arg(1));
  if (!l.ok) return;
  if (l.value == nullptr) return count != -1 ? ctx.reply.Array(0) : ctx.reply.Null();
  const bool forward = rank > 0;
  const uint64_t skip =
      (forward ? static_cast<uint64_t>(rank) : 0 - static_cast<uint64_t>(rank)) - 1;
  const size_t len = l.value->size();
  std::vector<int64_t> found;
  uint64_t matches = 0, scanned = 0;
  l.value->Walk(forward ? 0 : len - 1, forward, [&](size_t i, std::string_view v) {
    if (maxlen != 0 && scanned++ >= static_cast<uint64_t>(maxlen)) return false;
    if (v != ctx.arg(2) || matches++ < skip) return true;
    found.push_back(static_cast<int64_t>(i));
    if (count == -1) return false;
    return count == 0 || found.size() < static_cast<size_t>(count);
  });
  if (count == -1) return found.empty() ? ctx.reply.Null() : ctx.reply.Integer(found.front());
  ctx.reply.Array(found.size());
  for (int64_t i : found) ctx.reply.Integer(i);
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterListCommands(CommandTable& table) {
  using enum CommandFlag;
  auto row = [&table](CommandSpec spec) {
    spec.first_key = 1;
    spec.last_key = 1;
    spec.key_step = 1;
    spec.group = "list";
    table.Add(std::move(spec));
  };
  constexpr std::string_view kPushComplexity =
      "O(1) for each element added, so O(N) to add N elements when the command is called with "
      "multiple arguments.";
  row({.name = "lpush",
       .arity = -3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = LPush,
       .since = "1.0.0",
       .summary = "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
       .complexity = kPushComplexity,
       .syntax = "key element [element ...]"});
  row({.name = "rpush",
       .arity = -3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = RPush,
       .since = "1.0.0",
       .summary = "Appends one or more elements to a list. Creates the key if it doesn't exist.",
       .complexity = kPushComplexity,
       .syntax = "key element [element ...]"});
  row({.name = "lpushx",
       .arity = -3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = LPushX,
       .since = "2.2.0",
       .summary = "Prepends one or more elements to a list only when the list exists.",
       .complexity = kPushComplexity,
       .syntax = "key element [element ...]"});
  row({.name = "rpushx",
       .arity = -3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = RPushX,
       .since = "2.2.0",
       .summary = "Appends one or more elements to a list only when the list exists.",
       .complexity = kPushComplexity,
       .syntax = "key element [element ...]"});
  row({.name = "llen",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = LLen,
       .since = "1.0.0",
       .summary = "Returns the length of a list.",
       .complexity = "O(1)",
       .syntax = "key"});
  row({.name = "lrange",
       .arity = 4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = LRange,
       .since = "1.0.0",
       .summary = "Returns a range of elements from a list.",
       .complexity = "O(S+N) where S is the distance of start offset from HEAD for small lists, "
                     "from nearest end (HEAD or TAIL) for large lists; and N is the number of "
                     "elements in the specified range.",
       .syntax = "key start stop"});
  row({.name = "lindex",
       .arity = 3,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = LIndex,
       .since = "1.0.0",
       .summary = "Returns an element from a list by its index.",
       .complexity = "O(N) where N is the number of elements to traverse to get to the element "
                     "at index. This makes asking for the first or the last element of the list "
                     "O(1).",
       .syntax = "key index"});
  row({.name = "lset",
       .arity = 4,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW update",
       .handler = LSet,
       .since = "1.0.0",
       .summary = "Sets the value of an element in a list by its index.",
       .complexity = "O(N) where N is the length of the list. Setting either the first or the "
                     "last element of the list is O(1).",
       .syntax = "key index element"});
  row({.name = "linsert",
       .arity = 5,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW insert",
       .handler = LInsert,
       .since = "2.2.0",
       .summary = "Inserts an element before or after another element in a list.",
       .complexity = "O(N) where N is the number of elements to traverse before seeing the value "
                     "pivot. This means that inserting somewhere on the left end on the list "
                     "(head) can be considered O(1) and inserting somewhere on the right end "
                     "(tail) is O(N).",
       .syntax = "key <BEFORE | AFTER> pivot element"});
  row({.name = "lrem",
       .arity = 4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = LRem,
       .since = "1.0.0",
       .summary = "Removes elements from a list. Deletes the list if the last element was "
                  "removed.",
       .complexity = "O(N+M) where N is the length of the list and M is the number of elements "
                     "removed.",
       .syntax = "key count element"});
  row({.name = "ltrim",
       .arity = 4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = LTrim,
       .since = "1.0.0",
       .summary = "Removes elements from both ends a list. Deletes the list if all elements "
                  "were trimmed.",
       .complexity = "O(N) where N is the number of elements to be removed by the operation.",
       .syntax = "key start stop"});
  row({.name = "lpos",
       .arity = -3,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = LPos,
       .since = "6.0.6",
       .summary = "Returns the index of matching elements in a list.",
       .complexity = "O(N) where N is the number of elements in the list, for the average case. "
                     "When searching for elements near the head or the tail of the list, or "
                     "when the MAXLEN option is provided, the command may run in constant time.",
       .syntax = "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"});
}

}  // namespace tidekv::commands
