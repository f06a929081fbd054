// Hash field expiry (Redis 7.4 / Valkey 9): HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT, HTTL
// HPTTL HEXPIRETIME HPEXPIRETIME, HPERSIST. Fields whose time passes are deleted by the
// keyspace (keyspace/field_expiry.cc) and propagated as HDEL; a command that sets times
// propagates HPEXPIREAT with absolute milliseconds and only the fields it changed, and HDEL
// for fields it deleted because their time was already past.
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/strings.h"
#include "types/hash.h"

namespace tidekv::commands {
namespace {

using types::HashValue;
using types::kMaxFieldExpireMs;

// Per-field results, as Redis numbers them.
constexpr int64_t kNoField = -2;
constexpr int64_t kNoTtl = -1;
constexpr int64_t kConditionNotMet = 0;
constexpr int64_t kSet = 1;
constexpr int64_t kDeleted = 2;

// The `FIELDS numfields field...` tail starting at argv[at]; replies the error and returns
// false when it is malformed. On success *first is the first field's index.
bool ParseFields(CommandContext& ctx, size_t at, std::string_view count_error, size_t* first) {
  if (at >= ctx.argc() || !ctx.ArgIs(at, "fields")) {
    ctx.Error("ERR Mandatory argument FIELDS is missing or not at the right position");
    return false;
  }
  const std::optional<int64_t> n = at + 1 < ctx.argc() ? ParseInt64(ctx.arg(at + 1)) : std::nullopt;
  if (!n || *n < 1) {
    ctx.Error(count_error);
    return false;
  }
  if (static_cast<uint64_t>(*n) != ctx.argc() - at - 2) {
    ctx.Error("ERR The `numfields` parameter must match the number of arguments");
    return false;
  }
  *first = at + 2;
  return true;
}

enum class Condition { kAlways, kNx, kXx, kGt, kLt };

bool ConditionHolds(Condition cond, int64_t current, int64_t wanted) {
  switch (cond) {
    case Condition::kAlways:
      return true;
    case Condition::kNx:
      return current == 0;
    case Condition::kXx:
      return current != 0;
    case Condition::kGt:  // no expiry counts as forever
      return current != 0 && wanted > current;
    case Condition::kLt:
      return current == 0 || wanted < current;
  }
  return false;
}

// HEXPIRE and family: `unit_ms` is 1000 for seconds; `relative` adds the command's now.
void SetFieldTimes(CommandContext& ctx, int64_t unit_ms, bool relative) {
  const std::optional<int64_t> amount = ctx.IntArg(2);
  if (!amount) return;
  if (*amount < 0) return ctx.Error("ERR invalid expire time, must be >= 0");
  const int64_t base = relative ? ctx.now_ms : 0;
  const std::string bad_time =
      fmt::format("ERR invalid expire time in '{}' command", ctx.spec.name);
  if (*amount > kMaxFieldExpireMs / unit_ms) return ctx.Error(bad_time);
  const int64_t ms = *amount * unit_ms;
  if (ms > kMaxFieldExpireMs - base) return ctx.Error(bad_time);
  const int64_t at = ms + base;

  Condition cond = Condition::kAlways;
  size_t fields_at = 3;
  if (ctx.argc() > 3) {
    static constexpr std::pair<std::string_view, Condition> kWords[] = {{"nx", Condition::kNx},
                                                                        {"xx", Condition::kXx},
                                                                        {"gt", Condition::kGt},
                                                                        {"lt", Condition::kLt}};
    for (const auto& [word, c] : kWords) {
      if (ctx.ArgIs(3, word)) {
        cond = c;
        fields_at = 4;
      }
    }
  }
  size_t first = 0;
  if (!ParseFields(ctx, fields_at, "ERR Parameter `numFields` should be greater than 0", &first)) {
    return;
  }
  auto h = ctx.Write<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  ctx.reply.Array(ctx.argc() - first);
  std::vector<std::string_view> set, deleted;
  for (size_t i = first; i < ctx.argc(); i++) {
    const std::string_view field = ctx.arg(i);
    if (h.value == nullptr || !h.value->Contains(field)) {
      ctx.reply.Integer(kNoField);
      continue;
    }
    if (!ConditionHolds(cond, h.value->FieldExpireAt(field), at)) {
      ctx.reply.Integer(kConditionNotMet);
      continue;
    }
    if (at <= ctx.now_ms) {
      h.value->Delete(field);
      deleted.push_back(field);
      ctx.reply.Integer(kDeleted);
      continue;
    }
    h.value->SetFieldExpireAt(field, at);
    set.push_back(field);
    ctx.reply.Integer(kSet);
  }
  if (set.empty() && deleted.empty()) return;
  ctx.Changed(set.size() + deleted.size());
  if (!deleted.empty()) {
    std::vector<std::string_view> effect = {"HDEL", ctx.arg(1)};
    effect.insert(effect.end(), deleted.begin(), deleted.end());
    ctx.Propagate(effect);
    ctx.DeleteIfEmpty(h.entry);
  }
  if (!set.empty()) {
    const std::string at_text = std::to_string(at);
    const std::string count = std::to_string(set.size());
    std::vector<std::string_view> effect = {"HPEXPIREAT", ctx.arg(1), at_text, "FIELDS", count};
    effect.insert(effect.end(), set.begin(), set.end());
    ctx.Propagate(effect);
  }
}

void HExpire(CommandContext& ctx) { SetFieldTimes(ctx, 1000, true); }
void HPExpire(CommandContext& ctx) { SetFieldTimes(ctx, 1, true); }
void HExpireAt(CommandContext& ctx) { SetFieldTimes(ctx, 1000, false); }
void HPExpireAt(CommandContext& ctx) { SetFieldTimes(ctx, 1, false); }

// A field's expiry as HTTL and HPERSIST see it: kNoField (absent, or due: a replica shows a
// due field until the primary's HDEL), kNoTtl, or the time.
int64_t LiveFieldTime(const HashValue* h, std::string_view field, int64_t now_ms) {
  if (h == nullptr || !h->Contains(field)) return kNoField;
  const int64_t at = h->FieldExpireAt(field);
  if (at == 0) return kNoTtl;
  return at <= now_ms ? kNoField : at;
}

// HTTL and family: the time left (`relative`) or the absolute time, in seconds (rounded up,
// as Redis) or milliseconds.
void FieldTimes(CommandContext& ctx, bool seconds, bool relative) {
  size_t first = 0;
  if (!ParseFields(ctx, 2, "ERR Number of fields must be a positive integer", &first)) return;
  auto h = ctx.Read<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  ctx.reply.Array(ctx.argc() - first);
  const int64_t base = relative ? ctx.now_ms : 0;
  for (size_t i = first; i < ctx.argc(); i++) {
    const int64_t at = LiveFieldTime(h.value, ctx.arg(i), ctx.now_ms);
    if (at < 0) {
      ctx.reply.Integer(at);
    } else {
      ctx.reply.Integer(seconds ? (at + 999 - base) / 1000 : at - base);
    }
  }
}

void HTtl(CommandContext& ctx) { FieldTimes(ctx, true, true); }
void HPTtl(CommandContext& ctx) { FieldTimes(ctx, false, true); }
void HExpireTime(CommandContext& ctx) { FieldTimes(ctx, true, false); }
void HPExpireTime(CommandContext& ctx) { FieldTimes(ctx, false, false); }

void HPersist(CommandContext& ctx) {
  size_t first = 0;
  if (!ParseFields(ctx, 2, "ERR Number of fields must be a positive integer", &first)) return;
  auto h = ctx.Write<HashValue>(ctx.arg(1));
  if (!h.ok) return;
  ctx.reply.Array(ctx.argc() - first);
  uint64_t changed = 0;
  for (size_t i = first; i < ctx.argc(); i++) {
    const int64_t at = LiveFieldTime(h.value, ctx.arg(i), ctx.now_ms);
    if (at < 0) {
      ctx.reply.Integer(at);
    } else {
      h.value->SetFieldExpireAt(ctx.arg(i), 0);
      changed++;
      ctx.reply.Integer(kSet);
    }
  }
  if (changed > 0) ctx.Changed(changed);
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterHashExpireCommands(CommandTable& table) {
  using enum CommandFlag;
  auto row = [&table](CommandSpec spec) {
    spec.first_key = 1;
    spec.last_key = 1;
    spec.key_step = 1;
    spec.group = "hash";
    spec.since = "7.4.0";
    spec.complexity = "O(N) where N is the number of specified fields";
    table.Add(std::move(spec));
  };
  const auto setter = [&](std::string_view name, void (*handler)(CommandContext&),
                          std::string_view summary, std::string_view syntax) {
    row({.name = std::string(name),
         .arity = -6,
         .flags = kWrite | kDenyOom | kFast,
         .key_flags = "RW update",
         .handler = handler,
         .summary = summary,
         .syntax = syntax});
  };
  setter("hexpire", HExpire, "Set expiry for hash field using relative time to expire (seconds)",
         "key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]");
  setter("hpexpire", HPExpire,
         "Set expiry for hash field using relative time to expire (milliseconds)",
         "key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]");
  setter("hexpireat", HExpireAt,
         "Set expiry for hash field using an absolute Unix timestamp (seconds)",
         "key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]");
  setter("hpexpireat", HPExpireAt,
         "Set expiry for hash field using an absolute Unix timestamp (milliseconds)",
         "key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]");
  const auto reader = [&](std::string_view name, void (*handler)(CommandContext&),
                          std::string_view summary) {
    row({.name = std::string(name),
         .arity = -5,
         .flags = kReadOnly | kFast,
         .key_flags = "RO access",
         .handler = handler,
         .summary = summary,
         .syntax = "key FIELDS numfields field [field ...]"});
  };
  reader("httl", HTtl, "Returns the TTL in seconds of a hash field.");
  reader("hpttl", HPTtl, "Returns the TTL in milliseconds of a hash field.");
  reader("hexpiretime", HExpireTime,
         "Returns the expiration time of a hash field as a Unix timestamp, in seconds.");
  reader("hpexpiretime", HPExpireTime,
         "Returns the expiration time of a hash field as a Unix timestamp, in msec.");
  row({.name = "hpersist",
       .arity = -5,
       .flags = kWrite | kFast,
       .key_flags = "RW update",
       .handler = HPersist,
       .summary = "Removes the expiration time for each specified field",
       .syntax = "key FIELDS numfields field [field ...]"});
}

}  // namespace tidekv::commands
