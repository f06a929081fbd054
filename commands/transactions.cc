// Transactions: MULTI EXEC DISCARD WATCH UNWATCH, and TIDEKV.GROUP, the frame an atomic
// group of effects travels in (DESIGN.md §3, §11; engine/transaction.h).

#include <fmt/format.h>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/transaction.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

void Multi(CommandContext& ctx) {
  if (ctx.session.in_multi) return ctx.Error("ERR MULTI calls can not be nested");
  ctx.session.in_multi = true;
  ctx.session.multi_error = false;
  ctx.session.queued.Clear();
  ctx.reply.Ok();
}

void Exec(CommandContext& ctx) {
  if (!ctx.session.in_multi) return ctx.Error("ERR EXEC without MULTI");
  ctx.engine.ExecQueued(ctx.session, ctx.reply, ctx.now_ms * 1000);
}

void Discard(CommandContext& ctx) {
  if (!ctx.session.in_multi) return ctx.Error("ERR DISCARD without MULTI");
  ctx.engine.DiscardTransaction(ctx.session);
  ctx.reply.Ok();
}

void Watch(CommandContext& ctx) {
  if (ctx.session.in_multi) return ctx.Error("ERR WATCH inside MULTI is not allowed");
  for (size_t i = 1; i < ctx.argc(); i++) {
    // Peek, not a lookup: WATCH neither expires the key nor counts as a hit.
    const Entry* e = ctx.db.Peek(ctx.arg(i), INT64_MIN);
    const bool stale = e != nullptr && e->ExpiredAt(ctx.now_ms);
    ctx.engine.watches().Watch(ctx.session, ctx.session.db, ctx.arg(i), stale);
  }
  ctx.reply.Ok();
}

void Unwatch(CommandContext& ctx) {
  ctx.engine.watches().Unwatch(ctx.session);
  ctx.reply.Ok();
}

// TIDEKV.GROUP <n> (<db> <argc> <arg>...){n}: the effects of one EXEC (or script), applied
// whole. Every part is checked before anything runs, so a malformed group changes nothing.
struct GroupEffect {
  int db;
  std::span<const std::string_view> argv;
  const CommandSpec* spec;
};

std::string ParseGroup(CommandContext& ctx, std::vector<GroupEffect>* effects) {
  const std::optional<uint64_t> n = ParseUint64(ctx.arg(1));
  if (!n || *n == 0) return "effect count is not a positive integer";
  size_t i = 2;
  for (uint64_t k = 0; k < *n; k++) {
    if (i + 2 > ctx.argc()) return fmt::format("effect {} is missing", k);
    const std::optional<uint64_t> db = ParseUint64(ctx.arg(i));
    const std::optional<uint64_t> argc = ParseUint64(ctx.arg(i + 1));
    if (!db || *db >= static_cast<uint64_t>(ctx.engine.keyspace().num_databases())) {
      return fmt::format("effect {} names a database this node does not have", k);
    }
    if (!argc || *argc == 0 || *argc > ctx.argc() - i - 2) {
      return fmt::format("effect {} has a bad argument count", k);
    }
    const auto argv = ctx.argv.subspan(i + 2, static_cast<size_t>(*argc));
    const CommandSpec* spec = ctx.engine.commands().Resolve(argv);
    const bool replicated = spec != nullptr && (HasFlag(spec->flags, F::kWrite) ||
                                                HasFlag(spec->flags, F::kMayReplicate));
    if (!replicated || HasFlag(spec->flags, F::kInternal)) {
      return fmt::format("effect {} carries '{}', which is not a write", k, argv[0].substr(0, 64));
    }
    effects->push_back({static_cast<int>(*db), argv, spec});
    i += 2 + static_cast<size_t>(*argc);
  }
  if (i != ctx.argc()) return "arguments left after the last effect";
  return {};
}

void Group(CommandContext& ctx) {
  std::vector<GroupEffect> effects;
  if (std::string why = ParseGroup(ctx, &effects); !why.empty()) {
    return ctx.Error("ERR malformed group: " + why);
  }
  const int selected = ctx.session.db;
  std::string scratch;
  proto::ReplyBuilder sub_reply(&scratch);
  std::string first_error;
  ctx.engine.BeginGroup(ctx.session.id);
  for (size_t k = 0; k < effects.size(); k++) {
    ctx.session.db = effects[k].db;
    scratch.clear();
    ctx.engine.Execute(ctx.session, effects[k].argv, sub_reply, effects[k].spec);
    if (first_error.empty() && !scratch.empty() && scratch[0] == '-') {
      first_error = fmt::format("effect {} ({}) failed: {}", k, effects[k].argv[0].substr(0, 64),
                                scratch.substr(1, scratch.size() - 3));
    }
  }
  ctx.engine.EndGroup(&ctx.session);
  ctx.session.db = selected;
  if (!first_error.empty()) return ctx.Error("ERR " + first_error);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  table.Add({.name = "multi",
             .arity = 1,
             .flags = F::kAllowBusy | F::kTxControl | F::kNoScript | F::kFast | F::kStale |
                      F::kLoading | F::kKeyless,
             .handler = Multi,
             .group = "transactions",
             .since = "1.2.0",
             .summary = "Starts a transaction: the commands that follow are queued until EXEC.",
             .complexity = "O(1)",
             .syntax = ""});
  table.Add({.name = "exec",
             .arity = 1,
             .flags = F::kTxControl | F::kNoScript | F::kQueuedReplies | F::kStale | F::kLoading |
                      F::kSkipSlowlog,
             .handler = Exec,
             .group = "transactions",
             .since = "1.2.0",
             .summary = "Runs the queued commands of a transaction, all together.",
             .complexity = "The sum of the queued commands' complexities.",
             .syntax = ""});
  table.Add({.name = "discard",
             .arity = 1,
             .flags = F::kAllowBusy | F::kTxControl | F::kNoScript | F::kFast | F::kStale |
                      F::kLoading | F::kKeyless,
             .handler = Discard,
             .group = "transactions",
             .since = "2.0.0",
             .summary = "Drops the queued commands of a transaction.",
             .complexity = "O(N), N the number of queued commands",
             .syntax = ""});
  table.Add({.name = "watch",
             .arity = -2,
             .flags = F::kAllowBusy | F::kTxControl | F::kNoScript | F::kReadOnly | F::kFast |
                      F::kStale | F::kLoading,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "RO",
             .handler = Watch,
             .group = "transactions",
             .since = "2.2.0",
             .summary = "Makes the next EXEC fail if any of the keys changes before it runs.",
             .complexity = "O(1) per key",
             .syntax = "key [key ...]"});
  table.Add(
      {.name = "unwatch",
       .arity = 1,
       .flags = F::kAllowBusy | F::kNoScript | F::kFast | F::kStale | F::kLoading | F::kKeyless,
       .handler = Unwatch,
       .group = "transactions",
       .since = "2.2.0",
       .summary = "Forgets every key WATCH was given.",
       .complexity = "O(1)",
       .syntax = ""});
  table.Add({.name = "tidekv.group",
             .arity = -5,
             .flags = F::kInternal | F::kWrite | F::kStale | F::kLoading,
             .handler = Group,
             .group = "transactions",
             .since = "",
             .summary = "The effects of one transaction or script, applied whole (frames only).",
             .complexity = "The sum of the effects' complexities.",
             .syntax = "count db argc arg [arg ...] [db argc arg [arg ...] ...]"});
}

}  // namespace tidekv::commands
