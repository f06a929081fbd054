// String commands (Redis's "string" group): GET/SET and their variants, multi-key forms,
// counters, ranges and APPEND (LCS has its own file, lcs.cc).
//
// Replies, option rules and error texts follow Redis 7. GET and SET are the benchmarked hot
// path: they do one lookup, write the reply straight from the entry and allocate nothing
// beyond what storing the value needs.
#include "common/strings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "engine/command_context.h"
#include "engine/command_table.h"
#include "engine/engine.h"
#include "engine/errors.h"

namespace tidekv::commands {

namespace {

constexpr std::string_view kFloatWouldOverflow = "ERR increment would produce NaN or Infinity";
constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";

// Creates key (which must be absent) with an empty string. New keys start with a fresh
// access word (Database::Insert), as Redis's createObject does, so OBJECT IDLETIME of a new
// key is 0. value_capacity sizes the inline room for the value about to be stored.
Entry* CreateKey(CommandContext& ctx, std::string_view key, size_t value_capacity = 0) {
  return ctx.db.Insert(key, ctx.now_ms, value_capacity);
}

// Stores value under key the way Redis's setKey does: a value of another type is replaced
// (SET ignores the old type), and the TTL is dropped unless keep_ttl (SET ... KEEPTTL).
// e is the key's live entry, or nullptr when the key is absent.
Entry* StoreString(CommandContext& ctx, Entry* e, std::string_view key, std::string_view value,
                   bool keep_ttl) {
  if (e == nullptr) {
    e = CreateKey(ctx, key, value.size());
  } else if (!e->IsString()) {
    const int64_t ttl = e->expire_at();
    ctx.db.Erase(e);
    e = CreateKey(ctx, key, value.size());
    if (keep_ttl && ttl != 0) ctx.db.SetExpire(e, ttl);
  } else if (!keep_ttl && e->HasExpiry()) {
    ctx.db.SetExpire(e, 0);
  }
  e->SetString(value);
  return e;
}

// checkStringLength: growing a string to size + append bytes must stay within
// limits.max_bulk_bytes (Redis's proto-max-bulk-len). Replies the error when it would not.
bool CheckStringLength(CommandContext& ctx, uint64_t size, uint64_t append) {
  const uint64_t max = static_cast<uint64_t>(ctx.engine.config().max_bulk_bytes);
  if (size > max || append > max - size) {
    ctx.Error(err::kStringTooLong);
    return false;
  }
  return true;
}

void InvalidExpireError(CommandContext& ctx) {
  // err::kInvalidExpire carries a printf-style "%s" for the command name.
  std::string_view format = err::kInvalidExpire;
  const size_t at = format.find("%s");
  std::string message(format.substr(0, at));
  message += ctx.spec.name;
  message += format.substr(at + 2);
  ctx.Error(message);
}

// ---- SET / GETEX options ----------------------------------------------------------------

enum StringOption : uint32_t {
  kOptNx = 1u << 0,
  kOptXx = 1u << 1,
  kOptGet = 1u << 2,
  kOptKeepTtl = 1u << 3,
  kOptPersist = 1u << 4,
  kOptEx = 1u << 5,    // relative seconds
  kOptPx = 1u << 6,    // relative milliseconds
  kOptExAt = 1u << 7,  // absolute Unix seconds
  kOptPxAt = 1u << 8,  // absolute Unix milliseconds
};
constexpr uint32_t kOptAnyExpire = kOptEx | kOptPx | kOptExAt | kOptPxAt;

struct StringOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the argument of EX/PX/EXAT/PXAT
};

enum class OptionsOf { kSet, kGetEx };

// Parses SET's options (NX XX GET KEEPTTL EX PX EXAT PXAT) or GETEX's (EX PX EXAT PXAT
// PERSIST) from argv[first] on, with Redis's conflict rules: NX/XX exclude each other, and at
// most one kind of expiry (a kind may repeat, the last value wins). Replies "syntax error".
bool ParseStringOptions(CommandContext& ctx, size_t first, OptionsOf which, StringOptions* out) {
  const bool set = which == OptionsOf::kSet;
  uint32_t& f = out->flags;
  for (size_t i = first; i < ctx.argc(); i++) {
    uint32_t expire_kind = 0;
    if (set && ctx.ArgIs(i, "nx") && !(f & kOptXx)) {
      f |= kOptNx;
    } else if (set && ctx.ArgIs(i, "xx") && !(f & kOptNx)) {
      f |= kOptXx;
    } else if (set && ctx.ArgIs(i, "get")) {
      f |= kOptGet;
    } else if (set && ctx.ArgIs(i, "keepttl") && !(f & kOptAnyExpire)) {
      f |= kOptKeepTtl;
    } else if (!set && ctx.ArgIs(i, "persist") && !(f & kOptAnyExpire)) {
      f |= kOptPersist;
    } else if (ctx.ArgIs(i, "ex")) {
      expire_kind = kOptEx;
    } else if (ctx.ArgIs(i, "px")) {
      expire_kind = kOptPx;
    } else if (ctx.ArgIs(i, "exat")) {
      expire_kind = kOptExAt;
    } else if (ctx.ArgIs(i, "pxat")) {
      expire_kind = kOptPxAt;
    } else {
      ctx.SyntaxError();
      return false;
    }
    if (expire_kind != 0) {
      const uint32_t conflicts = kOptKeepTtl | kOptPersist | (kOptAnyExpire & ~expire_kind);
      if ((f & conflicts) || i + 1 >= ctx.argc()) {
        ctx.SyntaxError();
        return false;
      }
      f |= expire_kind;
      out->expire = ctx.arg(++i);
    }
  }
  return true;
}

// Converts the EX/PX/EXAT/PXAT argument to an absolute Unix time in ms. Non-positive values
// and values that overflow once converted are "invalid expire time in '<cmd>' command".
std::optional<int64_t> ExpireAtMs(CommandContext& ctx, uint32_t flags, std::string_view arg) {
  std::optional<int64_t> v = ParseInt64(arg);
  if (!v) {
    ctx.Error(err::kNotInteger);
    return std::nullopt;
  }
  int64_t ms = *v;
  const bool seconds = (flags & (kOptEx | kOptExAt)) != 0;
  if (ms <= 0 || (seconds && ms > INT64_MAX / 1000)) {
    InvalidExpireError(ctx);
    return std::nullopt;
  }
  if (seconds) ms *= 1000;
  if ((flags & (kOptEx | kOptPx)) && __builtin_add_overflow(ms, ctx.now_ms, &ms)) {
    InvalidExpireError(ctx);
    return std::nullopt;
  }
  return ms;
}

// ---- GET / SET family -------------------------------------------------------------------

void Get(CommandContext& ctx) {
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(e->str());
  }
}

// setGenericCommand: SET, SETNX, SETEX, PSETEX and GETSET. `counted` selects SETNX's :1/:0
// replies instead of OK/nil.
void SetGeneric(CommandContext& ctx, const StringOptions& opts, std::string_view value,
                bool counted = false) {
  const std::string_view key = ctx.arg(1);
  const uint32_t f = opts.flags;
  int64_t expire_at = 0;
  if (f & kOptAnyExpire) {
    std::optional<int64_t> at = ExpireAtMs(ctx, f, opts.expire);
    if (!at) return;
    expire_at = *at;
  }

  Entry* e;
  if (f & kOptGet) {
    // The old value is the reply, whatever NX/XX decide next; written before it is replaced.
    auto found = ctx.Read<StringValue>(key);
    if (!found.ok) return;
    e = found.entry;
    if (e == nullptr) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(e->str());
    }
  } else {
    e = ctx.LookupWrite(key);
  }

  if (((f & kOptNx) && e != nullptr) || ((f & kOptXx) && e == nullptr)) {
    if (f & kOptGet) return;
    if (counted) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Null();
    }
    return;
  }

  ctx.Changed();
  // The effect is a plain SET whatever the form (SETNX, SETEX, GETSET, NX/XX/GET options):
  // the conditions were decided here, and relative expiries become PXAT.
  if (expire_at != 0 && expire_at <= ctx.now_ms) {
    // EXAT/PXAT already in the past: the key would be born expired, so it just ends up absent.
    if (e != nullptr) ctx.db.Erase(e);
    ctx.Propagate({"DEL", key});
  } else {
    // A new expiry overwrites the old one, so there is no point dropping it first.
    const bool keep_ttl = (f & kOptKeepTtl) != 0;
    e = StoreString(ctx, e, key, value, keep_ttl || expire_at != 0);
    if (expire_at != 0) {
      ctx.db.SetExpire(e, expire_at);
      const std::string at = std::to_string(expire_at);
      ctx.Propagate({"SET", key, value, "PXAT", at});
    } else if (keep_ttl) {
      ctx.Propagate({"SET", key, value, "KEEPTTL"});
    } else {
      ctx.Propagate({"SET", key, value});
    }
  }

  if (f & kOptGet) return;
  if (counted) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void Set(CommandContext& ctx) {
  StringOptions opts;
  if (ctx.argc() > 3 && !ParseStringOptions(ctx, 3, OptionsOf::kSet, &opts)) return;
  SetGeneric(ctx, opts, ctx.arg(2));
}

void SetNx(CommandContext& ctx) {
  SetGeneric(ctx, {.flags = kOptNx, .expire = {}}, ctx.arg(2), true);
}

void SetEx(CommandContext& ctx) {
  SetGeneric(ctx, {.flags = kOptEx, .expire = ctx.arg(2)}, ctx.arg(3));
}

void PSetEx(CommandContext& ctx) {
  SetGeneric(ctx, {.flags = kOptPx, .expire = ctx.arg(2)}, ctx.arg(3));
}

// GETSET is SET key value GET: old value (or nil) back, TTL dropped.
void GetSet(CommandContext& ctx) { SetGeneric(ctx, {.flags = kOptGet, .expire = {}}, ctx.arg(2)); }

void GetDel(CommandContext& ctx) {
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(e->str());
  ctx.db.Erase(e);
  ctx.Changed();
  ctx.Propagate({"DEL", ctx.arg(1)});
}

void GetEx(CommandContext& ctx) {
  StringOptions opts;
  if (!ParseStringOptions(ctx, 2, OptionsOf::kGetEx, &opts)) return;
  // Redis looks the key up before validating the expiry: a missing key is nil even when the
  // time is invalid.
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  int64_t expire_at = 0;
  if (opts.flags & kOptAnyExpire) {
    std::optional<int64_t> at = ExpireAtMs(ctx, opts.flags, opts.expire);
    if (!at) return;
    expire_at = *at;
  }
  ctx.reply.Bulk(e->str());
  const std::string_view key = ctx.arg(1);
  if (expire_at != 0 && expire_at <= ctx.now_ms) {
    ctx.db.Erase(e);
    ctx.Changed();
    ctx.Propagate({"DEL", key});
  } else if (expire_at != 0) {
    ctx.db.SetExpire(e, expire_at);
    ctx.Changed();
    const std::string at = std::to_string(expire_at);
    ctx.Propagate({"PEXPIREAT", key, at});
  } else if ((opts.flags & kOptPersist) && e->HasExpiry()) {
    ctx.db.SetExpire(e, 0);
    ctx.Changed();
    ctx.Propagate({"PERSIST", key});
  }
}

// ---- multi-key ----------------------------------------------------------------------------

void MGet(CommandContext& ctx) {
  ctx.reply.Array(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); i++) {
    // A key of another type is nil here, not an error (Redis does the same).
    Entry* e = ctx.LookupRead(ctx.arg(i));
    if (e == nullptr || !e->IsString()) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(e->str());
    }
  }
}

// MSET and MSETNX: all-or-nothing on one thread, so no partial state is ever visible.
void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc() % 2 == 0) {
    std::string message = "ERR wrong number of arguments for '";
    message += ctx.spec.name;
    message += "' command";
    ctx.Error(message);
    return;
  }
  if (nx) {
    for (size_t i = 1; i < ctx.argc(); i += 2) {
      if (ctx.LookupWrite(ctx.arg(i)) != nullptr) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    StoreString(ctx, ctx.LookupWrite(ctx.arg(i)), ctx.arg(i), ctx.arg(i + 1), false);
  }
  ctx.Changed((ctx.argc() - 1) / 2);
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void MSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

// ---- in-place edits -----------------------------------------------------------------------

void Append(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  const std::string_view value = ctx.arg(2);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    e = CreateKey(ctx, key);
    e->SetString(value);
  } else {
    if (!CheckStringLength(ctx, e->str().size(), value.size())) return;
    e->mutable_str().append(value);
    e->MarkRaw();
  }
  ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
}

void StrLen(CommandContext& ctx) {
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.reply.Integer(0);
  } else {
    ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
  }
}

// GETRANGE and SUBSTR: inclusive [start, end], negative indices count from the end.
void GetRange(CommandContext& ctx) {
  std::optional<int64_t> start = ctx.IntArg(2);
  if (!start) return;
  std::optional<int64_t> end = ctx.IntArg(3);
  if (!end) return;
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  const std::string_view s = e->str();
  const int64_t len = static_cast<int64_t>(s.size());
  int64_t from = *start;
  int64_t to = *end;
  // Both negative and reversed is empty, even when clamping to 0 would make them meet.
  if (from < 0 && to < 0 && from > to) {
    ctx.reply.Bulk("");
    return;
  }
  if (from < 0) from += len;
  if (to < 0) to += len;
  if (from < 0) from = 0;
  if (to < 0) to = 0;
  if (to >= len) to = len - 1;
  if (from > to || len == 0) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Bulk(
        std::string_view(s).substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1)));
  }
}

void SetRange(CommandContext& ctx) {
  std::optional<int64_t> offset = ctx.IntArg(2);
  if (!offset) return;
  if (*offset < 0) {
    ctx.Error(err::kOffsetRange);
    return;
  }
  const std::string_view key = ctx.arg(1);
  const std::string_view value = ctx.arg(3);
  const uint64_t at = static_cast<uint64_t>(*offset);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    // Writing nothing to a missing key must not create it.
    if (value.empty()) {
      ctx.reply.Integer(0);
      return;
    }
    if (!CheckStringLength(ctx, at, value.size())) return;
    e = CreateKey(ctx, key);
  } else {
    if (value.empty()) {
      ctx.reply.Integer(static_cast<int64_t>(e->str().size()));
      return;
    }
    if (!CheckStringLength(ctx, at, value.size())) return;
  }
  std::string& s = e->mutable_str();
  const size_t needed = static_cast<size_t>(at) + value.size();
  if (s.size() < needed) s.resize(needed, '\0');
  std::memcpy(s.data() + at, value.data(), value.size());
  e->MarkRaw();
  ctx.Changed();
  ctx.reply.Integer(static_cast<int64_t>(s.size()));
}

// ---- counters -----------------------------------------------------------------------------

// incrDecrCommand: the value must be a canonical int64; the TTL is kept.
void IncrDecr(CommandContext& ctx, int64_t delta) {
  const std::string_view key = ctx.arg(1);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  int64_t value = 0;
  if (e != nullptr) {
    std::optional<int64_t> v = ParseInt64(e->str());
    if (!v) {
      ctx.Error(err::kNotInteger);
      return;
    }
    value = *v;
  }
  int64_t result;
  if (__builtin_add_overflow(value, delta, &result)) {
    ctx.Error(err::kOverflow);
    return;
  }
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, result);
  if (e == nullptr) e = CreateKey(ctx, key, 20);  // room for any int64, so counters stay inline
  e->SetString(std::string_view(buf, static_cast<size_t>(end - buf)));
  ctx.Changed();
  ctx.reply.Integer(result);
}

void Incr(CommandContext& ctx) { IncrDecr(ctx, 1); }
void Decr(CommandContext& ctx) { IncrDecr(ctx, -1); }

void IncrBy(CommandContext& ctx) {
  std::optional<int64_t> delta = ctx.IntArg(2);
  if (delta) IncrDecr(ctx, *delta);
}

void DecrBy(CommandContext& ctx) {
  std::optional<int64_t> delta = ctx.IntArg(2);
  if (!delta) return;
  if (*delta == INT64_MIN) {  // its negation does not exist
    ctx.Error(kDecrementOverflow);
    return;
  }
  IncrDecr(ctx, -*delta);
}

bool IsInfinityLiteral(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity");
}

// Redis's string2ld: a finite long double, where an overflowing literal such as 1e5000 is
// invalid but the literal "inf" is accepted (INCRBYFLOAT then fails with "would produce NaN or
// Infinity" rather than "not a valid float").
std::optional<long double> ParseIncrFloat(std::string_view s) {
  std::optional<long double> v = ParseLongDouble(s);
  if (v || !IsInfinityLiteral(s)) return v;
  return s[0] == '-' ? -HUGE_VALL : HUGE_VALL;
}

void IncrByFloat(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  long double value = 0;
  if (e != nullptr) {
    std::optional<long double> v = ParseIncrFloat(e->str());
    if (!v) {
      ctx.Error(err::kNotFloat);
      return;
    }
    value = *v;
  }
  std::optional<long double> incr = ParseIncrFloat(ctx.arg(2));
  if (!incr) {
    ctx.Error(err::kNotFloat);
    return;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.Error(kFloatWouldOverflow);
    return;
  }
  if (e == nullptr) e = CreateKey(ctx, key);
  e->SetString(FormatLongDouble(value));
  e->MarkNotInt();  // Redis stores the formatted text as is: "3" is embstr here, not int
  ctx.Changed();
  ctx.reply.Bulk(e->str());
  // Float formatting could differ between builds: the effect is the resulting string.
  ctx.Propagate({"SET", key, e->str(), "KEEPTTL"});
}

}  // namespace

// GCC before 14 warns about members left out of a designated initializer (subcommands,
// stats), which is the point of designated initializers here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
namespace {

// SET's key: only overwritten, unless GET reads the old value first (as Redis reports it).
uint32_t SetKeyFlags(std::span<const std::string_view> argv, size_t /*position*/) {
  for (size_t i = 3; i < argv.size(); i++) {
    if (EqualsIgnoreCase(argv[i], "GET")) {
      return key_flag::kRW | key_flag::kAccess | key_flag::kUpdate;
    }
  }
  return key_flag::kOW | key_flag::kUpdate;
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  using enum CommandFlag;
  constexpr std::string_view kO1 = "O(1)";
  constexpr std::string_view kSubstringComplexity =
      "O(N) where N is the length of the returned string. The complexity is ultimately "
      "determined by the returned length, but because creating a substring from an existing "
      "string is very cheap, it can be considered O(1) for small strings.";

  // One key at position 1.
  auto row = [&table](CommandSpec spec) {
    spec.first_key = 1;
    spec.last_key = 1;
    spec.key_step = 1;
    spec.group = "string";
    table.Add(std::move(spec));
  };

  row({.name = "get",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = Get,
       .since = "1.0.0",
       .summary = "Returns the string value of a key.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "set",
       .arity = -3,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW access update variable_flags",
       .handler = Set,
       .since = "1.0.0",
       .summary = "Sets the string value of a key, ignoring its type. The key is created if it "
                  "doesn't exist.",
       .complexity = kO1,
       .syntax = "key value [NX | XX] [GET] [EX seconds | PX milliseconds | "
                 "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
       .flags_for_args = SetKeyFlags});
  row({.name = "setnx",
       .arity = 3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "OW insert",
       .handler = SetNx,
       .since = "1.0.0",
       .summary = "Set the string value of a key only when the key doesn't exist.",
       .complexity = kO1,
       .syntax = "key value"});
  row({.name = "setex",
       .arity = 4,
       .flags = kWrite | kDenyOom,
       .key_flags = "OW update",
       .handler = SetEx,
       .since = "2.0.0",
       .summary = "Sets the string value and expiration time of a key. Creates the key if it "
                  "doesn't exist.",
       .complexity = kO1,
       .syntax = "key seconds value"});
  row({.name = "psetex",
       .arity = 4,
       .flags = kWrite | kDenyOom,
       .key_flags = "OW update",
       .handler = PSetEx,
       .since = "2.6.0",
       .summary = "Sets both string value and expiration time in milliseconds of a key. The key "
                  "is created if it doesn't exist.",
       .complexity = kO1,
       .syntax = "key milliseconds value"});
  row({.name = "getset",
       .arity = 3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = GetSet,
       .since = "1.0.0",
       .summary = "Returns the previous string value of a key after setting it to a new value.",
       .complexity = kO1,
       .syntax = "key value"});
  row({.name = "getdel",
       .arity = 2,
       .flags = kWrite | kFast,
       .key_flags = "RW access delete",
       .handler = GetDel,
       .since = "6.2.0",
       .summary = "Returns the string value of a key after deleting the key.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "getex",
       .arity = -2,
       .flags = kWrite | kFast,
       .key_flags = "RW access update",
       .handler = GetEx,
       .since = "6.2.0",
       .summary = "Returns the string value of a key after setting its expiration time.",
       .complexity = kO1,
       .syntax = "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
                 "PXAT unix-time-milliseconds | PERSIST]"});
  table.Add({.name = "mget",
             .arity = -2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = MGet,
             .group = "string",
             .since = "1.0.0",
             .summary = "Atomically returns the string values of one or more keys.",
             .complexity = "O(N) where N is the number of keys to retrieve.",
             .syntax = "key [key ...]"});
  table.Add({.name = "mset",
             .arity = -3,
             .flags = kWrite | kDenyOom,
             .first_key = 1,
             .last_key = -1,
             .key_step = 2,
             .key_flags = "OW update",
             .handler = MSet,
             .group = "string",
             .since = "1.0.1",
             .summary = "Atomically creates or modifies the string values of one or more keys.",
             .complexity = "O(N) where N is the number of keys to set.",
             .syntax = "key value [key value ...]"});
  table.Add({.name = "msetnx",
             .arity = -3,
             .flags = kWrite | kDenyOom,
             .first_key = 1,
             .last_key = -1,
             .key_step = 2,
             .key_flags = "OW insert",
             .handler = MSetNx,
             .group = "string",
             .since = "1.0.1",
             .summary = "Atomically modifies the string values of one or more keys only when all "
                        "keys don't exist.",
             .complexity = "O(N) where N is the number of keys to set.",
             .syntax = "key value [key value ...]"});
  row({.name = "append",
       .arity = 3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW insert",
       .handler = Append,
       .since = "2.0.0",
       .summary = "Appends a string to the value of a key. Creates the key if it doesn't exist.",
       .complexity = "O(1). The amortized time complexity is O(1) assuming the appended value "
                     "is small and the already present value is of any size, since the dynamic "
                     "string library used by Redis will double the free space available on "
                     "every reallocation.",
       .syntax = "key value"});
  row({.name = "strlen",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = StrLen,
       .since = "2.2.0",
       .summary = "Returns the length of a string value.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "incr",
       .arity = 2,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = Incr,
       .since = "1.0.0",
       .summary = "Increments the integer value of a key by one. Uses 0 as initial value if the "
                  "key doesn't exist.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "decr",
       .arity = 2,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = Decr,
       .since = "1.0.0",
       .summary = "Decrements the integer value of a key by one. Uses 0 as initial value if the "
                  "key doesn't exist.",
       .complexity = kO1,
       .syntax = "key"});
  row({.name = "incrby",
       .arity = 3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = IncrBy,
       .since = "1.0.0",
       .summary = "Increments the integer value of a key by a number. Uses 0 as initial value if "
                  "the key doesn't exist.",
       .complexity = kO1,
       .syntax = "key increment"});
  row({.name = "decrby",
       .arity = 3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = DecrBy,
       .since = "1.0.0",
       .summary = "Decrements a number from the integer value of a key. Uses 0 as initial value "
                  "if the key doesn't exist.",
       .complexity = kO1,
       .syntax = "key decrement"});
  row({.name = "incrbyfloat",
       .arity = 3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW access update",
       .handler = IncrByFloat,
       .since = "2.6.0",
       .summary = "Increment the floating point value of a key by a number. Uses 0 as initial "
                  "value if the key doesn't exist.",
       .complexity = kO1,
       .syntax = "key increment"});
  row({.name = "getrange",
       .arity = 4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = GetRange,
       .since = "2.4.0",
       .summary = "Returns a substring of the string stored at a key.",
       .complexity = kSubstringComplexity,
       .syntax = "key start end"});
  row({.name = "substr",
       .arity = 4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = GetRange,
       .since = "1.0.0",
       .summary = "Returns a substring from a string value.",
       .complexity = kSubstringComplexity,
       .syntax = "key start end"});
  row({.name = "setrange",
       .arity = 4,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW update",
       .handler = SetRange,
       .since = "2.2.0",
       .summary = "Overwrites a part of a string value with another by an offset. Creates the "
                  "key if it doesn't exist.",
       .complexity = "O(1), not counting the time taken to copy the new string in place. "
                     "Usually, this string is very small so the amortized complexity is O(1). "
                     "Otherwise, complexity is O(M) with M being the length of the value "
                     "argument.",
       .syntax = "key offset value"});
}
#pragma GCC diagnostic pop

}  // namespace tidekv::commands
