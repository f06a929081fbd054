// Generic key commands (Redis's "generic" group): deletion, existence, type, iteration,
// renaming, copying and moving, expiry, OBJECT introspection and SWAPDB.
//
// Replies and error texts follow Redis 7. Expired keys are never reported: every lookup goes
// through Database::Find (lazy expiry), and the iterating commands (KEYS, SCAN) check each
// entry's expiry themselves because they walk the table directly.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "commands/scan_args.h"
#include "common/strings.h"
#include "engine/command_context.h"
#include "engine/command_table.h"
#include "engine/engine.h"
#include "engine/errors.h"

namespace tidekv::commands {

namespace {

// A lookup that counts keyspace hits/misses but leaves the key's LRU alone: Redis's
// LOOKUP_NOTOUCH, used by commands that inspect a key without "using" it (EXISTS, TYPE, TTL,
// OBJECT), so OBJECT IDLETIME is not reset by looking at it.
Entry* LookupNoTouch(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.Find(key, ctx.now_ms);
  KeyspaceStats& stats = ctx.engine.keyspace().stats();
  if (e == nullptr) {
    stats.keyspace_misses++;
  } else {
    stats.keyspace_hits++;
  }
  return e;
}

// Creates `key` in `db` holding src's value and TTL (RENAME, MOVE, COPY). The key must be
// absent (or expired) in db. `take` moves the value out of src instead of copying it.
Entry* PlaceValue(Database& db, std::string_view key, Entry& src, bool take, int64_t now_ms) {
  Entry* dst = db.Insert(key, now_ms);
  if (take) {
    dst->TakeValueFrom(src);
  } else {
    dst->CopyValueFrom(src);
  }
  if (src.HasExpiry()) db.SetExpire(dst, src.expire_at());
  return dst;
}

// ---- deletion and existence -------------------------------------------------------------

// DEL and UNLINK; UNLINK leaves large values to the lazy-free thread.
void DeleteKeys(CommandContext& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    // An expired key counts as expired, not deleted, exactly as Redis's expireIfNeeded
    // before dbSyncDelete.
    if (ctx.db.Erase(ctx.arg(i), ctx.now_ms, lazy)) deleted++;
  }
  ctx.Changed(static_cast<uint64_t>(deleted));
  ctx.reply.Integer(deleted);
}

void Del(CommandContext& ctx) { DeleteKeys(ctx, /*lazy=*/false); }
void Unlink(CommandContext& ctx) { DeleteKeys(ctx, /*lazy=*/true); }

void Exists(CommandContext& ctx) {
  // Duplicated keys are counted each time (EXISTS k k -> 2), like Redis.
  int64_t count = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    if (LookupNoTouch(ctx, ctx.arg(i)) != nullptr) count++;
  }
  ctx.reply.Integer(count);
}

void Touch(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    if (ctx.LookupRead(ctx.arg(i)) != nullptr) count++;
  }
  ctx.reply.Integer(count);
}

void Type(CommandContext& ctx) {
  Entry* e = LookupNoTouch(ctx, ctx.arg(1));
  ctx.reply.Simple(e == nullptr ? std::string_view("none") : TypeName(e->type()));
}

// ---- iteration ----------------------------------------------------------------------------

void Keys(CommandContext& ctx) {
  const std::string_view pattern = ctx.arg(1);
  const bool all = pattern == "*";
  std::vector<std::string_view> keys;
  // Expired keys are skipped rather than deleted: ForEach forbids modifying the table, and
  // Redis 7's KEYS skips them the same way.
  ctx.db.dict().ForEach([&](Entry* e) {
    if (e->ExpiredAt(ctx.now_ms)) return;
    if (all || GlobMatch(pattern, e->key())) keys.push_back(e->key());
  });
  ctx.reply.Array(keys.size());
  for (std::string_view k : keys) ctx.reply.Bulk(k);
}

void Scan(CommandContext& ctx) {
  std::optional<ScanArgs> args = ParseScanArgs(ctx, 1, ScanKind::kKeys);
  if (!args) return;
  const std::optional<std::string_view>& pattern = args->pattern;
  const std::optional<std::string_view>& type = args->type;

  // Like Redis: visit home buckets until `count` keys were collected, giving up after 10
  // buckets per requested key so a sparse table cannot make one call walk it all.
  const Dict& dict = ctx.db.dict();
  std::vector<Entry*> found;
  const size_t wanted = args->count;
  size_t budget = wanted * 10;
  uint64_t next = args->cursor;
  do {
    next = dict.Scan(next, 1, [&](Entry* e) { found.push_back(e); });
  } while (next != 0 && --budget > 0 && found.size() < wanted);

  // Filter after the walk: Scan's callback may not modify the table, while dropping an
  // expired key below deletes it (lazy expiry, like Redis's SCAN). Deleting one entry never
  // frees another, so the remaining pointers stay valid.
  std::vector<std::string_view> keys;
  keys.reserve(found.size());
  for (Entry* e : found) {
    if (pattern && !GlobMatch(*pattern, e->key())) continue;
    if (type && !EqualsIgnoreCase(*type, TypeName(e->type()))) continue;
    if (e->ExpiredAt(ctx.now_ms)) {
      ctx.db.Find(e->key(), ctx.now_ms);  // deletes it through the lazy-expiry path
      continue;
    }
    keys.push_back(e->key());
  }
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(keys.size());
  for (std::string_view k : keys) ctx.reply.Bulk(k);
}

void RandomKey(CommandContext& ctx) {
  // RandomEntry gives up after a bounded number of expired hits (deleting them). On a
  // database with many expired keys that can happen while live keys remain, so retry while
  // each attempt makes progress; Redis keeps looping in that case too.
  Entry* e = nullptr;
  for (;;) {
    const size_t before = ctx.db.size();
    e = ctx.db.RandomEntry(ctx.now_ms);
    if (e != nullptr || ctx.db.size() == 0 || ctx.db.size() == before) break;
  }
  if (e == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(e->key());
  }
}

// ---- renaming, copying, moving ------------------------------------------------------------

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view from = ctx.arg(1);
  const std::string_view to = ctx.arg(2);
  Entry* src = ctx.LookupWrite(from);
  if (src == nullptr) {
    ctx.Error(err::kNoSuchKey);
    return;
  }
  // Renaming a key onto itself changes nothing but still requires the key to exist.
  if (from == to) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (Entry* old = ctx.LookupWrite(to)) {
    if (nx) {
      ctx.reply.Integer(0);
      return;
    }
    ctx.db.Erase(old);
  }
  Entry* dst = PlaceValue(ctx.db, to, *src, /*take=*/true, ctx.now_ms);
  dst->Touch(src->lru());  // the value moved, and its access time with it
  ctx.db.Erase(src);
  ctx.Changed();
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, /*nx=*/false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, /*nx=*/true); }

void Copy(CommandContext& ctx) {
  Keyspace& keyspace = ctx.engine.keyspace();
  int dst_index = ctx.db.index();
  bool replace = false;
  for (size_t i = 3; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "replace")) {
      replace = true;
    } else if (ctx.ArgIs(i, "db") && i + 1 < ctx.argc()) {
      std::optional<int> index = ctx.DbIndexArg(++i);
      if (!index) return;
      dst_index = *index;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  Database& dst_db = keyspace.db(dst_index);
  const std::string_view from = ctx.arg(1);
  const std::string_view to = ctx.arg(2);
  if (&dst_db == &ctx.db && from == to) {
    ctx.Error(err::kSameObject);
    return;
  }
  Entry* src = ctx.LookupRead(from);
  if (src == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (Entry* old = dst_db.Find(to, ctx.now_ms)) {
    if (!replace) {
      ctx.reply.Integer(0);
      return;
    }
    dst_db.Erase(old);
  }
  // A copy is a new object: its access time starts now (Database::Insert).
  PlaceValue(dst_db, to, *src, /*take=*/false, ctx.now_ms);
  ctx.Changed();
  ctx.reply.Integer(1);
}

void Move(CommandContext& ctx) {
  std::optional<int> index = ctx.DbIndexArg(2);
  if (!index) return;
  Database& dst_db = ctx.engine.keyspace().db(*index);
  if (&dst_db == &ctx.db) {
    ctx.Error(err::kSameObject);
    return;
  }
  const std::string_view key = ctx.arg(1);
  Entry* src = ctx.LookupWrite(key);
  if (src == nullptr || dst_db.Find(key, ctx.now_ms) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  Entry* dst = PlaceValue(dst_db, key, *src, /*take=*/true, ctx.now_ms);
  dst->Touch(src->lru());
  ctx.db.Erase(src);
  ctx.Changed();
  ctx.reply.Integer(1);
}

void SwapDb(CommandContext& ctx) {
  std::optional<int> a = ctx.DbIndexArg(1, "ERR invalid first DB index");
  if (!a) return;
  std::optional<int> b = ctx.DbIndexArg(2, "ERR invalid second DB index");
  if (!b) return;
  // Sessions hold an index, not a Database pointer, so clients selected on either database
  // see the swapped contents, as in Redis.
  if (*a != *b) ctx.engine.keyspace().Swap(*a, *b);
  ctx.Changed();
  ctx.reply.Ok();
}

// ---- expiry ---------------------------------------------------------------------------------

enum ExpireFlag : unsigned { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. `base_ms` is added to the (unit-converted) time:
// now for the relative forms, 0 for the absolute ones.
void ExpireGeneric(CommandContext& ctx, int64_t base_ms, bool seconds) {
  // Options are checked before the time, as Redis does (so the option error wins).
  unsigned flags = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "nx")) {
      flags |= kExpireNx;
    } else if (ctx.ArgIs(i, "xx")) {
      flags |= kExpireXx;
    } else if (ctx.ArgIs(i, "gt")) {
      flags |= kExpireGt;
    } else if (ctx.ArgIs(i, "lt")) {
      flags |= kExpireLt;
    } else {
      ctx.Error("ERR Unsupported option " + std::string(ctx.arg(i)));
      return;
    }
  }
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    ctx.Error("ERR GT and LT options at the same time are not compatible");
    return;
  }

  std::optional<int64_t> when = ctx.IntArg(2);
  if (!when) return;
  auto invalid_time = [&] {
    std::string msg(err::kInvalidExpire);
    msg.replace(msg.find("%s"), 2, ctx.spec.name);
    ctx.Error(msg);
  };
  if (seconds) {
    if (*when > INT64_MAX / 1000 || *when < INT64_MIN / 1000) return invalid_time();
    *when *= 1000;
  }
  if (*when > INT64_MAX - base_ms) return invalid_time();
  *when += base_ms;

  Entry* e = ctx.LookupWrite(ctx.arg(1));
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  // A key without a TTL counts as expiring at infinity for GT and LT.
  const bool has_ttl = e->HasExpiry();
  const int64_t current = e->expire_at();
  if (((flags & kExpireNx) && has_ttl) || ((flags & kExpireXx) && !has_ttl) ||
      ((flags & kExpireGt) && (!has_ttl || *when <= current)) ||
      ((flags & kExpireLt) && has_ttl && *when >= current)) {
    ctx.reply.Integer(0);
    return;
  }

  // The effect names an absolute time (or the deletion), so replaying it later gives the
  // same state whatever the clock says then.
  const std::string_view key = ctx.arg(1);
  if (*when <= ctx.now_ms) {
    // A time already past deletes the key, like Redis.
    ctx.db.Erase(e);
    ctx.Propagate({"DEL", key});
  } else {
    ctx.db.SetExpire(e, *when);
    const std::string at = std::to_string(*when);
    ctx.Propagate({"PEXPIREAT", key, at});
  }
  ctx.Changed();
  ctx.reply.Integer(1);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, /*seconds=*/true); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, /*seconds=*/false); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, /*seconds=*/true); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, /*seconds=*/false); }

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 when the key is missing, -1 without a TTL.
void TtlGeneric(CommandContext& ctx, bool millis, bool absolute) {
  Entry* e = LookupNoTouch(ctx, ctx.arg(1));
  if (e == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  if (!e->HasExpiry()) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t v = absolute ? e->expire_at() : std::max<int64_t>(e->expire_at() - ctx.now_ms, 0);
  // Seconds round half up, as Redis's (ttl+500)/1000, written so that an expiry near
  // INT64_MAX (PEXPIREAT accepts it) cannot overflow.
  ctx.reply.Integer(millis ? v : v / 1000 + (v % 1000 >= 500 ? 1 : 0));
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, /*millis=*/false, /*absolute=*/false); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, /*millis=*/true, /*absolute=*/false); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, /*millis=*/false, /*absolute=*/true); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, /*millis=*/true, /*absolute=*/true); }

void Persist(CommandContext& ctx) {
  Entry* e = ctx.LookupWrite(ctx.arg(1));
  if (e == nullptr || !e->HasExpiry()) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.db.SetExpire(e, 0);
  ctx.Changed();
  ctx.reply.Integer(1);
}

// ---- OBJECT -------------------------------------------------------------------------------

void ObjectEncoding(CommandContext& ctx) {
  Entry* e = LookupNoTouch(ctx, ctx.arg(2));
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(e->Encoding());
}

void ObjectRefcount(CommandContext& ctx) {
  // Values are never shared between keys, so every value has one reference, except that
  // small integers answer as Redis's shared integer objects do (OBJ_SHARED_REFCOUNT).
  Entry* e = LookupNoTouch(ctx, ctx.arg(2));
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  // Redis shares them only while no LRU/LFU policy with a limit needs per-key access words.
  const bool shared = e->SharedInteger() && !ctx.engine.evictor().per_key_access();
  ctx.reply.Integer(shared ? INT_MAX : 1);
}

void ObjectIdletime(CommandContext& ctx) {
  Entry* e = LookupNoTouch(ctx, ctx.arg(2));
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  // Under an LFU policy the access word holds a counter, not a time.
  if (ctx.engine.evictor().lfu()) {
    return ctx.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
  // A clock set backwards (tests, replay) reports 0, not a huge unsigned idle time.
  ctx.reply.Integer(e->IdleSeconds(ctx.engine.lru_clock()));
}

void ObjectFreq(CommandContext& ctx) {
  Entry* e = LookupNoTouch(ctx, ctx.arg(2));
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (!ctx.engine.evictor().lfu()) {
    return ctx.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
        "note that when switching between policies at runtime LRU and LFU data will take some "
        "time to adjust.");
  }
  // The counter as decayed now (not written back: only accesses update it).
  ctx.reply.Integer(keyspace::LfuDecayedCounter(e->lru(), ctx.engine.lfu_minutes(),
                                                ctx.engine.evictor().lfu_decay_time()));
}

void ObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  using enum CommandFlag;
  constexpr std::string_view kO1 = "O(1)";

  table.Add({.name = "del",
             .arity = -2,
             .flags = kWrite,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RM delete",
             .handler = Del,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Deletes one or more keys.",
             .complexity = "O(N) where N is the number of keys that will be removed. When a "
                           "key to remove holds a value other than a string, the individual "
                           "complexity for this key is O(M) where M is the number of elements "
                           "in the list, set, sorted set or hash. Removing a single key that "
                           "holds a string value is O(1).",
             .syntax = "key [key ...]"});
  table.Add({.name = "unlink",
             .arity = -2,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RM delete",
             .handler = Unlink,
             .group = "generic",
             .since = "4.0.0",
             .summary = "Asynchronously deletes one or more keys.",
             .complexity = "O(1) for each key removed regardless of its size. Then the "
                           "command does O(N) work in a different thread in order to reclaim "
                           "memory, where N is the number of allocations the deleted objects "
                           "where composed of.",
             .syntax = "key [key ...]"});
  table.Add({.name = "exists",
             .arity = -2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RO",
             .handler = Exists,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Determines whether one or more keys exist.",
             .complexity = "O(N) where N is the number of keys to check.",
             .syntax = "key [key ...]"});
  table.Add({.name = "touch",
             .arity = -2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RO",
             .handler = Touch,
             .group = "generic",
             .since = "3.2.1",
             .summary = "Returns the number of existing keys out of those specified after "
                        "updating the time they were last accessed.",
             .complexity = "O(N) where N is the number of keys that will be touched.",
             .syntax = "key [key ...]"});
  table.Add({.name = "type",
             .arity = 2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RO",
             .handler = Type,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Determines the type of value stored at a key.",
             .complexity = kO1,
             .syntax = "key"});
  table.Add({.name = "keys",
             .arity = 2,
             .flags = kReadOnly | kRandomReply,
             .handler = Keys,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Returns all key names that match a pattern.",
             .complexity = "O(N) with N being the number of keys in the database, under the "
                           "assumption that the key names in the database and the given "
                           "pattern have limited length.",
             .syntax = "pattern"});
  table.Add({.name = "scan",
             .arity = -2,
             .flags = kReadOnly | kRandomReply,
             .handler = Scan,
             .group = "generic",
             .since = "2.8.0",
             .summary = "Iterates over the key names in the database.",
             .complexity = "O(1) for every call. O(N) for a complete iteration, including "
                           "enough command calls for the cursor to return back to 0. N is the "
                           "number of elements inside the collection.",
             .syntax = "cursor [MATCH pattern] [COUNT count] [TYPE type]"});
  table.Add({.name = "randomkey",
             .arity = 1,
             .flags = kReadOnly | kRandomReply,
             .handler = RandomKey,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Returns a random key name from the database.",
             .complexity = kO1,
             .syntax = ""});
  table.Add({.name = "rename",
             .arity = 3,
             .flags = kWrite,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .key_flags = "RW access delete; OW update",
             .handler = Rename,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Renames a key and overwrites the destination.",
             .complexity = kO1,
             .syntax = "key newkey"});
  table.Add({.name = "renamenx",
             .arity = 3,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .key_flags = "RW access delete; OW insert",
             .handler = RenameNx,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Renames a key only when the target key name doesn't exist.",
             .complexity = kO1,
             .syntax = "key newkey"});
  table.Add({.name = "copy",
             .arity = -3,
             .flags = kWrite | kDenyOom,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .key_flags = "RO access; OW update",
             .handler = Copy,
             .group = "generic",
             .since = "6.2.0",
             .summary = "Copies the value of a key to a new key.",
             .complexity = "O(N) worst case for collections, where N is the number of nested "
                           "items. O(1) for string values.",
             .syntax = "source destination [DB destination-db] [REPLACE]"});
  table.Add({.name = "move",
             .arity = 3,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW access update",
             .handler = Move,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Moves a key to another database.",
             .complexity = kO1,
             .syntax = "key db"});
  table.Add({.name = "swapdb",
             .arity = 3,
             .flags = kWrite | kFast,
             .handler = SwapDb,
             .group = "server",
             .since = "4.0.0",
             .summary = "Swaps two Redis databases.",
             .complexity = "O(N) where N is the count of clients watching or blocking on keys "
                           "from both databases.",
             .syntax = "index1 index2"});

  table.Add({.name = "expire",
             .arity = -3,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW update",
             .handler = Expire,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Sets the expiration time of a key in seconds.",
             .complexity = kO1,
             .syntax = "key seconds [NX | XX | GT | LT]"});
  table.Add({.name = "pexpire",
             .arity = -3,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW update",
             .handler = PExpire,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Sets the expiration time of a key in milliseconds.",
             .complexity = kO1,
             .syntax = "key milliseconds [NX | XX | GT | LT]"});
  table.Add({.name = "expireat",
             .arity = -3,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW update",
             .handler = ExpireAt,
             .group = "generic",
             .since = "1.2.0",
             .summary = "Sets the expiration time of a key to a Unix timestamp.",
             .complexity = kO1,
             .syntax = "key unix-time-seconds [NX | XX | GT | LT]"});
  table.Add({.name = "pexpireat",
             .arity = -3,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW update",
             .handler = PExpireAt,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Sets the expiration time of a key to a Unix milliseconds timestamp.",
             .complexity = kO1,
             .syntax = "key unix-time-milliseconds [NX | XX | GT | LT]"});
  table.Add({.name = "ttl",
             .arity = 2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = Ttl,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Returns the expiration time in seconds of a key.",
             .complexity = kO1,
             .syntax = "key"});
  table.Add({.name = "pttl",
             .arity = 2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = PTtl,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Returns the expiration time in milliseconds of a key.",
             .complexity = kO1,
             .syntax = "key"});
  table.Add({.name = "expiretime",
             .arity = 2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = ExpireTime,
             .group = "generic",
             .since = "7.0.0",
             .summary = "Returns the expiration time of a key as a Unix timestamp.",
             .complexity = kO1,
             .syntax = "key"});
  table.Add({.name = "pexpiretime",
             .arity = 2,
             .flags = kReadOnly | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = PExpireTime,
             .group = "generic",
             .since = "7.0.0",
             .summary = "Returns the expiration time of a key as a Unix milliseconds timestamp.",
             .complexity = kO1,
             .syntax = "key"});
  table.Add({.name = "persist",
             .arity = 2,
             .flags = kWrite | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW update",
             .handler = Persist,
             .group = "generic",
             .since = "2.2.0",
             .summary = "Removes the expiration time of a key.",
             .complexity = kO1,
             .syntax = "key"});

  // Like Redis, the container carries no flags of its own: the dispatcher runs the
  // subcommand's row.
  CommandSpec& object = table.Add({.name = "object",
                                   .arity = -2,
                                   .flags = CommandFlag::kVolatileReply,
                                   .group = "generic",
                                   .since = "2.2.3",
                                   .summary = "A container for object introspection commands.",
                                   .complexity = "Depends on subcommand."});
  table.AddSubcommand(object, {.name = "encoding",
                               .arity = 3,
                               .flags = kReadOnly,
                               .first_key = 2,
                               .last_key = 2,
                               .key_step = 1,
                               .key_flags = "RO",
                               .handler = ObjectEncoding,
                               .since = "2.2.3",
                               .summary = "Returns the internal encoding of a Redis object.",
                               .complexity = kO1,
                               .syntax = "key"});
  table.AddSubcommand(object, {.name = "freq",
                               .arity = 3,
                               .flags = kReadOnly,
                               .first_key = 2,
                               .last_key = 2,
                               .key_step = 1,
                               .key_flags = "RO",
                               .handler = ObjectFreq,
                               .since = "4.0.0",
                               .summary = "Returns the logarithmic access frequency counter "
                                          "of a Redis object.",
                               .complexity = kO1,
                               .syntax = "key"});
  table.AddSubcommand(object, {.name = "idletime",
                               .arity = 3,
                               .flags = kReadOnly,
                               .first_key = 2,
                               .last_key = 2,
                               .key_step = 1,
                               .key_flags = "RO",
                               .handler = ObjectIdletime,
                               .since = "2.2.3",
                               .summary = "Returns the time since the last access to a Redis "
                                          "object.",
                               .complexity = kO1,
                               .syntax = "key"});
  table.AddSubcommand(object, {.name = "refcount",
                               .arity = 3,
                               .flags = kReadOnly,
                               .first_key = 2,
                               .last_key = 2,
                               .key_step = 1,
                               .key_flags = "RO",
                               .handler = ObjectRefcount,
                               .since = "2.2.3",
                               .summary = "Returns the reference count of a value of a key.",
                               .complexity = kO1,
                               .syntax = "key"});
  table.AddSubcommand(object, {.name = "help",
                               .arity = 2,
                               .flags = kKeyless | kLoading | kStale,
                               .handler = ObjectHelp,
                               .since = "6.2.0",
                               .summary = "Returns helpful text about the different "
                                          "subcommands.",
                               .complexity = kO1,
                               .syntax = ""});
}

}  // namespace tidekv::commands
