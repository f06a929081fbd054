// DUMP and RESTORE: a key's value as an opaque, checksummed payload, and back. The payload
// is tidekv's own (Redis's is an RDB fragment; clients treat both as opaque bytes):
//   [u8 type tag][value: a string's bytes, or the collection's value codec (types/)]
//   [u16 little-endian payload version = 1][u32 little-endian CRC32C of everything before]
// RESTORE checks version and checksum, then decodes through the type's codec, which
// validates everything, so a damaged or hostile payload is refused and changes nothing.
// RESTORE also reads Redis's payloads (types/redis_payload.h), so data moves from Redis to
// tidekv with DUMP/RESTORE or MIGRATE.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "commands/commands.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "types/redis_payload.h"
#include "types/value.h"

namespace tidekv::commands {
namespace {

constexpr uint16_t kDumpVersion = 1;
constexpr size_t kTrailer = 2 + 4;

void Dump(CommandContext& ctx) {
  Entry* e = ctx.LookupRead(ctx.arg(1));
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Bulk(DumpPayload(*e));
}

// The payload's type and value bytes, or nullopt when the trailer does not check.
std::optional<std::pair<uint8_t, std::string_view>> OpenPayload(std::string_view payload) {
  if (payload.size() < 1 + kTrailer) return std::nullopt;
  const size_t body = payload.size() - 4;
  if (DecodeFixed32(payload.data() + body) != Crc32c(payload.substr(0, body))) return std::nullopt;
  const auto version = static_cast<uint16_t>(static_cast<uint8_t>(payload[body - 2]) |
                                             (static_cast<uint8_t>(payload[body - 1]) << 8));
  if (version != kDumpVersion) return std::nullopt;
  return std::make_pair(static_cast<uint8_t>(payload[0]), payload.substr(1, body - 3));
}

void Restore(CommandContext& ctx) {
  std::optional<int64_t> ttl = ctx.IntArg(2);
  if (!ttl) return;
  bool replace = false, absolute = false;
  int64_t idle = -1;
  int64_t freq = -1;
  for (size_t i = 4; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "replace")) {
      replace = true;
    } else if (ctx.ArgIs(i, "absttl")) {
      absolute = true;
    } else if (ctx.ArgIs(i, "idletime") && i + 1 < ctx.argc() && freq < 0) {
      std::optional<int64_t> v = ctx.IntArg(++i);
      if (!v) return;
      if (*v < 0) return ctx.Error("ERR Invalid IDLETIME value, must be >= 0");
      idle = *v;
    } else if (ctx.ArgIs(i, "freq") && i + 1 < ctx.argc() && idle < 0) {
      std::optional<int64_t> v = ctx.IntArg(++i);
      if (!v) return;
      if (*v < 0 || *v > 255) return ctx.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      freq = *v;
    } else {
      return ctx.SyntaxError();
    }
  }
  if (*ttl < 0) return ctx.Error("ERR Invalid TTL value, must be >= 0");
  Entry* old = ctx.LookupWrite(ctx.arg(1));
  if (old != nullptr && !replace) return ctx.Error("BUSYKEY Target key name already exists.");
  const types::TypeOps* ops = nullptr;
  types::Value* object = nullptr;
  std::string_view bytes;  // a string's value
  std::string redis_string;
  if (auto opened = OpenPayload(ctx.arg(3))) {
    bytes = opened->second;
    ops = types::OpsFor(opened->first);
    if (ops == nullptr) return ctx.Error("ERR Bad data format");
    if (ops->type != ValueType::kString) {
      Result<types::Value*> decoded = ops->decode(bytes);
      if (!decoded.ok()) return ctx.Error("ERR Bad data format");
      object = decoded.value();
    }
  } else if (types::IsRedisPayload(ctx.arg(3))) {
    // A payload from Redis's own DUMP (RESTORE from a client, MIGRATE from a Redis server).
    Result<types::RedisObject> decoded = types::DecodeRedisPayload(ctx.arg(3));
    if (!decoded.ok()) return ctx.Error(decoded.status().message());
    ops = types::OpsFor(decoded.value().type);
    object = decoded.value().object;
    redis_string = std::move(decoded.value().str);
    bytes = redis_string;
  } else {
    return ctx.Error("ERR DUMP payload version or checksum are wrong");
  }
  int64_t at = 0;
  if (*ttl > 0) {
    at = absolute ? *ttl : ctx.now_ms + *ttl;
    if (!absolute && at < ctx.now_ms) at = INT64_MAX;  // overflow: as good as forever
  }
  if (old != nullptr) ctx.db.Erase(old);
  if (at != 0 && at <= ctx.now_ms) {
    // Already expired: nothing is created (an old key it replaced is gone).
    if (object != nullptr) ops->destroy(object);
    if (old != nullptr) {
      ctx.Changed();
      ctx.Propagate({"DEL", ctx.arg(1)});
    }
    return ctx.reply.Ok();
  }
  Entry* e = ctx.db.Insert(ctx.arg(1), ctx.now_ms, object == nullptr ? bytes.size() : 0);
  if (object != nullptr) {
    e->SetObject(ops->type, object);
  } else {
    e->SetString(bytes);
  }
  if (at != 0) ctx.db.SetExpire(e, at);
  // IDLETIME sets the LRU time under an LRU (or no) policy, FREQ the counter under an LFU
  // one; otherwise the key starts fresh (Redis's objectSetLRUOrLFU).
  if (ctx.engine.evictor().lfu()) {
    if (freq >= 0)
      e->Touch(keyspace::LfuWord(ctx.engine.lfu_minutes(), static_cast<uint32_t>(freq)));
  } else if (idle >= 0) {
    const uint32_t now_s = ctx.engine.lru_clock();
    e->Touch(idle < now_s ? now_s - static_cast<uint32_t>(idle) : now_s);
  }
  ctx.Changed();
  // Deterministic for replicas and the log: the absolute time, and REPLACE (checked here).
  const std::string at_text = std::to_string(at);
  ctx.Propagate({"RESTORE", ctx.arg(1), at_text, ctx.arg(3), "REPLACE", "ABSTTL"});
  ctx.reply.Ok();
}

}  // namespace

std::string DumpPayload(const Entry& e) {
  std::string payload(1, static_cast<char>(e.type()));
  if (e.IsString()) {
    payload.append(e.str());
  } else {
    types::OpsFor(e.type())->encode(*e.object(), &payload);
  }
  payload.push_back(static_cast<char>(kDumpVersion & 0xFF));
  payload.push_back(static_cast<char>(kDumpVersion >> 8));
  PutFixed32(&payload, Crc32c(payload));
  return payload;
}

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterDumpCommands(CommandTable& table) {
  using enum CommandFlag;
  table.Add({.name = "dump",
             .arity = 2,
             .flags = kReadOnly,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = Dump,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Returns a serialized representation of the value stored at a key.",
             .complexity = "O(1) to access the key and additional O(N*M) to serialize it, where "
                           "N is the number of Redis objects composing the value and M their "
                           "average size.",
             .syntax = "key"});
  table.Add({.name = "restore",
             .arity = -4,
             .flags = kWrite | kDenyOom,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "OW update",
             .handler = Restore,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Creates a key from the serialized representation of a value.",
             .complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the "
                           "serialized value, where N is the number of Redis objects composing "
                           "the value and M their average size.",
             .syntax = "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] "
                       "[FREQ frequency]"});
}

}  // namespace tidekv::commands
