// HyperLogLog commands (Redis's "hyperloglog" group): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
// PFSELFTEST, over string values in Redis's HLL representation (ds/hyperloglog.h).
//
// A sketch is a plain string (TYPE string, OBJECT ENCODING raw), so it is stored, sealed,
// replicated, DUMPed and RESTOREd like any string; the commands edit its bytes in place as
// SETRANGE does and go through the normal write path (ctx.Changed: effect, key events,
// keyspace events "pfadd" for PFADD and PFMERGE, as Redis 7.0 names both).
//
// Difference from Redis, on damaged values only: PFADD edits a damaged sparse payload where
// it can, as Redis does, but when one of its elements cannot be added (its register lies in
// the damage, or a dense conversion fails) the value is put back as it was before the
// command, where Redis keeps the edits made for the elements before it (in memory only:
// they are not propagated).
#include "ds/hyperloglog.h"

#include <optional>
#include <string>
#include <string_view>

#include "commands/commands.h"
#include "common/strings.h"
#include "types/value.h"

namespace tidekv::commands {

namespace {

namespace hll = ds::hll;

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

size_t SparseMaxBytes(const CommandContext& ctx) {
  return static_cast<size_t>(ctx.engine.config().hll_sparse_max_bytes);
}

// isHLLObjectOrReply: a string with a valid HLL header, else Redis's WRONGTYPE reply.
bool CheckHll(CommandContext& ctx, const Entry* e) {
  if (hll::HeaderValid(e->str())) return true;
  ctx.Error(kNotHll);
  return false;
}

// The sketch's bytes, opened for an in-place edit (as SETRANGE edits a string).
std::string& Edit(Entry* e) {
  e->MarkRaw();
  return e->mutable_str();
}

Entry* CreateSketch(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.Insert(key, ctx.now_ms);
  e->SetString(hll::MakeEmpty());
  e->MarkRaw();  // Redis creates it with createObject: "raw" at any size
  return e;
}

// ---- PFADD --------------------------------------------------------------------------------

void PfAdd(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  uint64_t updated = 0;
  if (e == nullptr) {
    e = CreateSketch(ctx, key);
    updated++;
  } else if (!CheckHll(ctx, e)) {
    return;
  }
  if (ctx.argc() > 2) {
    // A damaged sparse payload is edited as Redis edits it (registers found before the
    // damage), but one element it cannot take undoes the whole command (see the top).
    std::optional<std::string> undo;
    if (hll::EncodingOf(e->str()) == hll::Encoding::kSparse && !hll::SparseValid(e->str())) {
      undo.emplace(e->str());
    }
    std::string& value = Edit(e);
    const size_t sparse_max = SparseMaxBytes(ctx);
    for (size_t i = 2; i < ctx.argc(); i++) {
      const hll::Edit edit = hll::Add(value, ctx.arg(i), sparse_max);
      if (edit == hll::Edit::kCorrupt) {
        if (undo) value = std::move(*undo);
        ctx.Error(kCorrupt);
        return;
      }
      if (edit == hll::Edit::kChanged) updated++;
    }
  }
  if (updated > 0) ctx.Changed(updated);
  ctx.reply.Integer(updated > 0 ? 1 : 0);
}

// ---- PFCOUNT ------------------------------------------------------------------------------

// PFCOUNT k1 k2 ...: the union's estimate, nothing written.
void CountUnion(CommandContext& ctx) {
  hll::Registers max{};
  for (size_t i = 1; i < ctx.argc(); i++) {
    auto found = ctx.Read<StringValue>(ctx.arg(i));
    if (!found.ok) return;
    if (found.entry == nullptr) continue;  // an absent key is an empty sketch
    if (!CheckHll(ctx, found.entry)) return;
    if (!hll::MergeInto(found.entry->str(), &max)) {
      ctx.Error(kCorrupt);
      return;
    }
  }
  ctx.reply.Integer(static_cast<int64_t>(hll::Count(max)));
}

// PFCOUNT key: the cached estimate, or a new one, which is cached in the value as Redis does
// (a read-only command that writes). The new cache bytes are the effect, as SETRANGE, so
// replicas and the log hold the same bytes. A replica keeps its primary's bytes and only
// answers.
void PfCount(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    CountUnion(ctx);
    return;
  }
  const std::string_view key = ctx.arg(1);
  auto found = ctx.Read<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!CheckHll(ctx, e)) return;
  if (std::optional<uint64_t> cached = hll::CachedCount(e->str())) {
    ctx.reply.Integer(static_cast<int64_t>(*cached));
    return;
  }
  std::optional<uint64_t> count = hll::Count(e->str());
  if (!count) {
    ctx.Error(kCorrupt);
    return;
  }
  if (!ctx.engine.keyspace().replica_mode()) {
    e = ctx.LookupWrite(key);  // the same entry, now noted as written (key events)
    std::string& value = Edit(e);
    hll::StoreCachedCount(value, *count);
    ctx.Changed();
    const std::string cache = value.substr(hll::kCacheOffset, 8);
    ctx.Propagate({"SETRANGE", key, "8", cache});
  }
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

// ---- PFMERGE ------------------------------------------------------------------------------

void PfMerge(CommandContext& ctx) {
  // The union of every key named, the destination included.
  hll::Registers max{};
  bool any_dense = false;
  for (size_t i = 1; i < ctx.argc(); i++) {
    auto found = ctx.Read<StringValue>(ctx.arg(i));
    if (!found.ok) return;
    if (found.entry == nullptr) continue;
    if (!CheckHll(ctx, found.entry)) return;
    const std::string_view value = found.entry->str();
    any_dense |= hll::EncodingOf(value) == hll::Encoding::kDense;
    if (!hll::MergeInto(value, &max)) {
      ctx.Error(kCorrupt);
      return;
    }
  }
  const std::string_view dest = ctx.arg(1);
  Entry* e = ctx.LookupWrite(dest);  // checked above: absent or a valid sketch
  if (e == nullptr) e = CreateSketch(ctx, dest);
  if (!hll::StoreUnion(Edit(e), max, any_dense, SparseMaxBytes(ctx))) {
    ctx.Error(kCorrupt);  // not reached: the destination was merged from above
    return;
  }
  ctx.Changed();
  ctx.reply.Ok();
}

// ---- PFDEBUG / PFSELFTEST -----------------------------------------------------------------

// Sparse to dense in place for GETREG and TODENSE. Redis counts the conversion as a change
// (so the command is propagated) without a keyspace event.
bool MakeDense(CommandContext& ctx, Entry* e) {
  if (hll::EncodingOf(e->str()) == hll::Encoding::kDense) return true;
  if (!hll::ToDense(Edit(e))) {  // leaves the value as it was when it fails
    ctx.Error(kCorrupt);
    return false;
  }
  ctx.Changed();
  return true;
}

void PfDebug(CommandContext& ctx) {
  const std::string_view key = ctx.arg(2);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return;
  Entry* e = found.entry;
  if (e == nullptr) {
    ctx.Error("ERR The specified key does not exist");
    return;
  }
  if (!CheckHll(ctx, e)) return;
  if (ctx.ArgIs(1, "getreg")) {
    if (!MakeDense(ctx, e)) return;
    const std::optional<hll::Registers> regs = hll::RegistersOf(e->str());
    ctx.reply.Array(hll::kRegisters);
    for (uint8_t r : *regs) ctx.reply.Integer(r);
  } else if (ctx.ArgIs(1, "decode")) {
    if (hll::EncodingOf(e->str()) != hll::Encoding::kSparse) {
      ctx.Error("ERR HLL encoding is not sparse");
      return;
    }
    ctx.reply.Bulk(hll::DescribeSparse(e->str()));
  } else if (ctx.ArgIs(1, "encoding")) {
    ctx.reply.Simple(hll::EncodingOf(e->str()) == hll::Encoding::kDense ? "dense" : "sparse");
  } else if (ctx.ArgIs(1, "todense")) {
    const bool was_sparse = hll::EncodingOf(e->str()) == hll::Encoding::kSparse;
    if (!MakeDense(ctx, e)) return;
    ctx.reply.Integer(was_sparse ? 1 : 0);
  } else {
    ctx.Error("ERR Unknown PFDEBUG subcommand '" + std::string(ctx.arg(1)) + "'");
  }
}

void PfSelfTest(CommandContext& ctx) {
  const std::string failure = hll::SelfTest(types::Rng()(), SparseMaxBytes(ctx));
  if (failure.empty()) {
    ctx.reply.Ok();
  } else {
    ctx.Error(failure);
  }
}

}  // namespace

// GCC before 14 warns about members left out of a designated initializer (subcommands,
// stats), which is the point of designated initializers here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

void RegisterHyperLogLogCommands(CommandTable& table) {
  using enum CommandFlag;
  table.Add({.name = "pfadd",
             .arity = -2,
             .flags = kWrite | kDenyOom | kFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_flags = "RW insert",
             .handler = PfAdd,
             .group = "hyperloglog",
             .since = "2.8.9",
             .summary = "Adds the specified elements to the specified HyperLogLog.",
             .complexity = "O(1) to add every element.",
             .syntax = "key [element [element ...]]"});
  table.Add({.name = "pfcount",
             .arity = -2,
             .flags = kReadOnly | kMayReplicate,  // a CLIENT PAUSE WRITE holds it, as Redis
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             // RW: a single key's cached estimate may be written (see PfCount).
             .key_flags = "RW access",
             .handler = PfCount,
             .group = "hyperloglog",
             .since = "2.8.9",
             .summary = "Return the approximated cardinality of the set(s) observed by the "
                        "HyperLogLog at key(s).",
             .complexity = "O(1) with a very small average constant time when called with a "
                           "single key. O(N) with N being the number of keys, and much bigger "
                           "constant times, when called with multiple keys.",
             .syntax = "key [key ...]"});
  table.Add({.name = "pfmerge",
             .arity = -2,
             .flags = kWrite | kDenyOom,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RW access insert; RO access",
             .handler = PfMerge,
             .group = "hyperloglog",
             .since = "2.8.9",
             .summary = "Merge N different HyperLogLogs into a single one.",
             .complexity = "O(N) to merge N HyperLogLogs, but with high constant times.",
             .syntax = "destkey sourcekey [sourcekey ...]"});
  table.Add({.name = "pfdebug",
             .arity = 3,
             .flags = kWrite | kDenyOom | kAdmin,
             .first_key = 2,
             .last_key = 2,
             .key_step = 1,
             .key_flags = "RW access",
             .handler = PfDebug,
             .group = "hyperloglog",
             .since = "2.8.9",
             .summary = "Internal commands for debugging HyperLogLog values",
             .complexity = "N/A",
             .syntax = "subcommand key"});
  table.Add({.name = "pfselftest",
             .arity = 1,
             .flags = kAdmin,
             .handler = PfSelfTest,
             .group = "hyperloglog",
             .since = "2.8.9",
             .summary = "An internal command for testing HyperLogLog values",
             .complexity = "N/A"});
}
#pragma GCC diagnostic pop

}  // namespace tidekv::commands
