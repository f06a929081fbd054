// SLOWLOG GET / LEN / RESET / HELP (engine/slowlog.h holds the entries, the engine decides
// what goes in).

#include "engine/slowlog.h"

#include "commands/commands.h"
#include "common/strings.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

void SlowlogGet(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.argc() == 3) {
    // Not a number is the same error as one too small (as Redis).
    const std::optional<int64_t> n = ParseInt64(ctx.arg(2));
    if (!n || *n < -1) return ctx.Error("ERR count should be greater than or equal to -1");
    count = *n;
  }
  const auto& entries = ctx.engine.slowlog().entries();
  const size_t shown =
      count == -1 ? entries.size() : std::min(entries.size(), static_cast<size_t>(count));
  ctx.reply.Array(shown);
  for (size_t i = 0; i < shown; i++) {
    const engine::SlowLogEntry& e = entries[i];
    ctx.reply.Array(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.Array(e.argv.size());
    for (const std::string& arg : e.argv) ctx.reply.Bulk(arg);
    ctx.reply.Bulk(e.peer);
    ctx.reply.Bulk(e.name);
  }
}

void SlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.engine.slowlog().size()));
}

void SlowlogReset(CommandContext& ctx) {
  ctx.engine.slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterSlowlogCommands(CommandTable& table) {
  constexpr CommandFlag kAdmin = F::kAdmin | F::kLoading | F::kStale | F::kVolatileReply;
  CommandSpec& slowlog = table.Add({.name = "slowlog",
                                    .arity = -2,
                                    .flags = F::kVolatileReply,
                                    .group = "server",
                                    .since = "2.2.12",
                                    .summary = "A container for slow log commands.",
                                    .complexity = "Depends on subcommand."});
  table.AddSubcommand(slowlog, {.name = "get",
                                .arity = -2,
                                .flags = kAdmin,
                                .handler = SlowlogGet,
                                .summary = "Returns the slow log's entries.",
                                .complexity = "O(N) where N is the number of entries returned",
                                .syntax = "[count]"});
  table.AddSubcommand(slowlog, {.name = "len",
                                .arity = 2,
                                .flags = kAdmin,
                                .handler = SlowlogLen,
                                .summary = "Returns the number of entries in the slow log.",
                                .complexity = "O(1)",
                                .syntax = ""});
  table.AddSubcommand(slowlog,
                      {.name = "reset",
                       .arity = 2,
                       .flags = kAdmin,
                       .handler = SlowlogReset,
                       .summary = "Clears all entries from the slow log.",
                       .complexity = "O(N) where N is the number of entries in the slowlog",
                       .syntax = ""});
  table.AddSubcommand(slowlog, {.name = "help",
                                .arity = 2,
                                .flags = F::kLoading | F::kStale,
                                .handler = SlowlogHelp,
                                .since = "6.2.0",
                                .summary = "Returns helpful text about the different subcommands.",
                                .complexity = "O(1)",
                                .syntax = ""});
}

}  // namespace tidekv::commands
