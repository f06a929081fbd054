// Hash commands (Redis 7 semantics and errors) on types::HashValue.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "commands/random_pick.h"
#include "commands/scan_args.h"
#include "common/strings.h"
#include "types/hash.h"

namespace tidekv::commands {
namespace {

using types::HashValue;

HashValue* NewHash() { return new HashValue(); }

void HSet(CommandContext& ctx) {
  if (ctx.argc() % 2 != 0) {
    return ctx.Error(fmt::format("ERR wrong number of arguments for '{}' command", ctx.spec.name));
  }
  auto h = ctx.WriteOrCreate<HashValue>(ctx.arg(1), NewHash);
  if (!h.ok) return;
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); i += 2) added += h.value->Set(ctx.arg(i), ctx.arg(i + 1));
  ctx.Changed();
  if (ctx.spec.name == "hmset") return ctx.reply.Ok();
  ctx.reply.Integer(added);
}

void HSetNx(CommandContext& ctx) {
  auto h = ctx.Write<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  if (h.value != nullptr && h.value->Contains(ctx.arg(2))) return ctx.reply.Integer(0);
  if (h.entry == nullptr) h = ctx.WriteOrCreate<HashValue>(ctx.arg(1), NewHash);
  h.value->Set(ctx.arg(2), ctx.arg(3));
  ctx.Changed();
  ctx.reply.Integer(1);
}

void HGet(CommandContext& ctx) {
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  std::string v;
  if (h.value == nullptr || !h.value->Get(ctx.arg(2), &v)) return ctx.reply.Null();
  ctx.reply.Bulk(v);
}

void HMGet(CommandContext& ctx) {
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  ctx.reply.Array(ctx.argc() - 2);
  std::string v;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (h.value != nullptr && h.value->Get(ctx.arg(i), &v)) {
      ctx.reply.Bulk(v);
    } else {
      ctx.reply.Null();
    }
  }
}

enum class Part { kKeys, kValues, kBoth };

void ReplyAll(CommandContext& ctx, Part part) {
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  const size_t n = h.value == nullptr ? 0 : h.value->size();
  if (part == Part::kBoth) {
    ctx.reply.Map(n);
  } else {
    ctx.reply.Array(n);
  }
  if (n == 0) return;
  h.value->ForEach([&](std::string_view f, std::string_view v) {
    if (part != Part::kValues) ctx.reply.Bulk(f);
    if (part != Part::kKeys) ctx.reply.Bulk(v);
  });
}

void HGetAll(CommandContext& ctx) { ReplyAll(ctx, Part::kBoth); }
void HKeys(CommandContext& ctx) { ReplyAll(ctx, Part::kKeys); }
void HVals(CommandContext& ctx) { ReplyAll(ctx, Part::kValues); }

void HLen(CommandContext& ctx) {
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  ctx.reply.Integer(h.value == nullptr ? 0 : static_cast<int64_t>(h.value->size()));
}

void HExists(CommandContext& ctx) {
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  ctx.reply.Integer(h.value != nullptr && h.value->Contains(ctx.arg(2)) ? 1 : 0);
}

void HStrLen(CommandContext& ctx) {
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  std::string v;
  const bool found = h.value != nullptr && h.value->Get(ctx.arg(2), &v);
  ctx.reply.Integer(found ? static_cast<int64_t>(v.size()) : 0);
}

void HDel(CommandContext& ctx) {
  auto h = ctx.Write<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  int64_t removed = 0;
  if (h.value != nullptr) {
    for (size_t i = 2; i < ctx.argc(); i++) {
      removed += h.value->Delete(ctx.arg(i));
      if (h.value->empty()) break;
    }
    ctx.DeleteIfEmpty(h.entry);
  }
  if (removed > 0) ctx.Changed();
  ctx.reply.Integer(removed);
}

void HIncrBy(CommandContext& ctx) {
  std::optional<int64_t> incr = ctx.IntArg(3);
  if (!incr) return;
  auto h = ctx.Write<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  int64_t current = 0;
  std::string v;
  if (h.value != nullptr && h.value->Get(ctx.arg(2), &v)) {
    std::optional<int64_t> parsed = ParseInt64(v);
    if (!parsed) return ctx.Error("ERR hash value is not an integer");
    current = *parsed;
  }
  int64_t result = 0;
  if (__builtin_add_overflow(current, *incr, &result)) return ctx.Error(err::kOverflow);
  std::string text;
  AppendInt64(text, result);
  if (h.entry == nullptr) h = ctx.WriteOrCreate<HashValue>(ctx.arg(1), NewHash);
  h.value->Set(ctx.arg(2), text, /*keep_ttl=*/true);
  ctx.Changed();
  ctx.reply.Integer(result);
}

void HIncrByFloat(CommandContext& ctx) {
  const std::optional<long double> incr = ParseLongDouble(ctx.arg(3), /*allow_inf=*/true);
  if (!incr) return ctx.Error(err::kNotFloat);
  if (std::isinf(*incr)) return ctx.Error("ERR value is NaN or Infinity");
  auto h = ctx.Write<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  long double current = 0;
  std::string v;
  if (h.value != nullptr && h.value->Get(ctx.arg(2), &v)) {
    std::optional<long double> parsed = ParseLongDouble(v);
    if (!parsed) return ctx.Error("ERR hash value is not a float");
    current = *parsed;
  }
  const long double result = current + *incr;
  if (std::isnan(result) || std::isinf(result)) {
    return ctx.Error("ERR increment would produce NaN or Infinity");
  }
  const std::string text = FormatLongDouble(result);
  if (h.entry == nullptr) h = ctx.WriteOrCreate<HashValue>(ctx.arg(1), NewHash);
  h.value->Set(ctx.arg(2), text, /*keep_ttl=*/true);
  ctx.Changed();
  // The effect carries the result, so replicas and the log never redo float arithmetic;
  // HSET drops a field's expiry, so a kept one follows it, in the same atomic group.
  ctx.engine.BeginGroup(ctx.session.id);
  ctx.Propagate({"HSET", ctx.arg(1), ctx.arg(2), text});
  if (const int64_t at = h.value->FieldExpireAt(ctx.arg(2)); at != 0) {
    const std::string at_text = std::to_string(at);
    ctx.Propagate({"HPEXPIREAT", ctx.arg(1), at_text, "FIELDS", "1", ctx.arg(2)});
  }
  ctx.engine.EndGroup(&ctx.session);
  ctx.reply.Bulk(text);
}

void HRandField(CommandContext& ctx) {
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !ctx.ArgIs(3, "withvalues"))) {
    return ctx.SyntaxError();
  }
  const bool with_values = ctx.argc() == 4;
  std::optional<RandomCount> count;
  if (ctx.argc() >= 3) {
    count = ParseRandomCount(ctx, 2, with_values);
    if (!count) return;
  }
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  std::string field, value;
  if (!count) {
    if (h.value == nullptr) return ctx.reply.Null();
    h.value->Random(&field, &value);
    return ctx.reply.Bulk(field);
  }
  // RESP3 with values: one [field, value] array per pick; otherwise a flat array.
  const bool pairs = with_values && ctx.reply.resp3();
  auto reply_one = [&](std::string_view f, std::string_view v) {
    if (pairs) ctx.reply.Array(2);
    ctx.reply.Bulk(f);
    if (with_values) ctx.reply.Bulk(v);
  };
  const size_t size = h.value == nullptr ? 0 : h.value->size();
  const size_t n = count->ReplyLength(size);
  ctx.reply.Array(with_values && !pairs ? 2 * n : n);
  if (n == 0) return;
  if (count->repeats) {
    for (size_t i = 0; i < n; i++) {
      h.value->Random(&field, &value);
      reply_one(field, value);
    }
    return;
  }
  std::vector<std::pair<std::string, std::string>> all;
  all.reserve(size);
  h.value->ForEach([&](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
  for (size_t i : PickDistinct(size, n)) reply_one(all[i].first, all[i].second);
}

void HScan(CommandContext& ctx) {
  std::optional<ScanArgs> args = ParseScanArgs(ctx, 2, ScanKind::kHash);
  if (!args) return;
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  std::vector<std::pair<std::string, std::string>> found;
  uint64_t next = 0;
  if (h.value != nullptr) {
    next = ScanCollection(*h.value, *args, [&](std::string_view f, std::string_view v) {
      if (args->Matches(f)) found.emplace_back(f, args->novalues ? "" : v);
    });
  }
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(args->novalues ? found.size() : 2 * found.size());
  for (const auto& [f, v] : found) {
    ctx.reply.Bulk(f);
    if (!args->novalues) ctx.reply.Bulk(v);
  }
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterHashCommands(CommandTable& table) {
  using enum CommandFlag;
  constexpr std::string_view kO1 = "O(1)";
  constexpr std::string_view kON = "O(N) where N is the size of the hash.";
  auto row = [&table](CommandSpec spec) {
    spec.first_key = 1;
    spec.last_key = 1;
    spec.key_step = 1;
    spec.group = "hash";
    table.Add(std::move(spec));
  };
  row({.name = "hset",
       .arity = -4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW update",
       .handler = HSet,
       .since = "2.0.0",
       .summary = "Creates or modifies the value of a field in a hash.",
       .complexity = "O(1) for each field/value pair added, so O(N) to add N field/value pairs.",
       .syntax = "key field value [field value ...]"});
  row({.name = "hmset",
       .arity = -4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW update",
       .handler = HSet,
       .since = "2.0.0",
       .summary = "Sets the values of multiple fields.",
       .complexity = "O(N) where N is the number of fields being set.",
       .syntax = "key field value [field value ...]"});
  row({.name = "hsetnx",
       .arity = 4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = HSetNx,
       .since = "2.0.0",
       .summary = "Sets the value of a field in a hash only when the field doesn't exist.",
       .complexity = kO1,
       .syntax = "key field value"});
  row({.name = "hget",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = HGet,
       .since = "2.0.0",
       .summary = "Returns the value of a field in a hash.",
       .complexity = kO1,
       .syntax = "key field"});
  row({.name = "hmget",
       .arity = -3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = HMGet,
       .since = "2.0.0",
       .summary = "Returns the values of all fields in a hash.",
       .complexity = "O(N) where N is the number of fields being requested.",
       .syntax = "key field [field ...]"});
  row({.name = "hgetall",
       .arity = 2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = HGetAll,
       .since = "2.0.0",
       .summary = "Returns all fields and values in a hash.",
       .complexity = kON,
       .syntax = "key"});
  row({.name = "hkeys",
       .arity = 2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = HKeys,
       .since = "2.0.0",
       .summary = "Returns all fields in a hash.",
       .complexity = kON,
       .syntax = "key"});
  row({.name = "hvals",
       .arity = 2,
       .flags = kReadOnly | kUnorderedReply,
       .key_flags = "RO access",
       .handler = HVals,
       .since = "2.0.0",
       .summary = "Returns all values in a hash.",
       .complexity = kON,
       .syntax = "key"});
  row({.name = "hlen",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = HLen,
       .since = "2.0.0",
       .summary = "Returns the number of fields in a hash.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "hexists",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = HExists,
       .since = "2.0.0",
       .summary = "Determines whether a field exists in a hash.",
       .complexity = kO1,
       .syntax = "key field"});
  row({.name = "hstrlen",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = HStrLen,
       .since = "3.2.0",
       .summary = "Returns the length of the value of a field.",
       .complexity = kO1,
       .syntax = "key field"});
  row({.name = "hdel",
       .arity = -3,
       .flags = kWrite | kFast,
       .key_flags = "RW delete",
       .handler = HDel,
       .since = "2.0.0",
       .summary = "Deletes one or more fields and their values from a hash. Deletes the hash if "
                  "no fields remain.",
       .complexity = "O(N) where N is the number of fields to be removed.",
       .syntax = "key field [field ...]"});
  row({.name = "hincrby",
       .arity = 4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = HIncrBy,
       .since = "2.0.0",
       .summary = "Increments the integer value of a field in a hash by a number. Uses 0 as "
                  "initial value if the field doesn't exist.",
       .complexity = kO1,
       .syntax = "key field increment"});
  row({.name = "hincrbyfloat",
       .arity = 4,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = HIncrByFloat,
       .since = "2.6.0",
       .summary = "Increments the floating point value of a field by a number. Uses 0 as "
                  "initial value if the field doesn't exist.",
       .complexity = kO1,
       .syntax = "key field increment"});
  row({.name = "hrandfield",
       .arity = -2,
       .flags = kReadOnly | kRandomReply,
       .key_flags = "RO access",
       .handler = HRandField,
       .since = "6.2.0",
       .summary = "Returns one or more random fields from a hash.",
       .complexity = "O(N) where N is the number of fields returned",
       .syntax = "key [count [WITHVALUES]]"});
  row({.name = "hscan",
       .arity = -3,
       .flags = kReadOnly | kRandomReply,
       .key_flags = "RO access",
       .handler = HScan,
       .since = "2.8.0",
       .summary = "Iterates over fields and values of a hash.",
       .complexity = "O(1) for every call. O(N) for a complete iteration, including enough "
                     "command calls for the cursor to return back to 0. N is the number of "
                     "elements inside the collection.",
       .syntax = "key cursor [MATCH pattern] [COUNT count] [NOVALUES]"});
}

}  // namespace tidekv::commands
