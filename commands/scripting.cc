// Scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT (engine/script_host.h).

#include <fmt/format.h>

#include "commands/commands.h"
#include "engine/script_host.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

void Eval(CommandContext& ctx) { ctx.engine.scripts().Eval(ctx, false, false); }
void EvalSha(CommandContext& ctx) { ctx.engine.scripts().Eval(ctx, true, false); }
void EvalRo(CommandContext& ctx) { ctx.engine.scripts().Eval(ctx, false, true); }
void EvalShaRo(CommandContext& ctx) { ctx.engine.scripts().Eval(ctx, true, true); }

void ScriptLoad(CommandContext& ctx) {
  std::string sha;
  std::string error;
  if (!ctx.engine.scripts().Load(ctx.arg(2), &sha, &error)) return ctx.Error(error);
  ctx.reply.Bulk(sha);
}

void ScriptExists(CommandContext& ctx) {
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Integer(ctx.engine.scripts().Exists(ctx.arg(i)) ? 1 : 0);
  }
}

void ScriptFlush(CommandContext& ctx) {
  if (ctx.argc() > 3 || (ctx.argc() == 3 && !ctx.ArgIs(2, "SYNC") && !ctx.ArgIs(2, "ASYNC"))) {
    return ctx.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  ctx.engine.scripts().Flush();
  ctx.reply.Ok();
}

void ScriptKill(CommandContext& ctx) { ctx.Error("NOTBUSY No scripts in execution right now."); }

void ScriptHelp(CommandContext& ctx) {
  constexpr std::string_view kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
  };
  ReplyHelp(ctx, kLines);
}

void EvalKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  KeysAfterNumkeysAt(2, argv, out);
}

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  auto eval = [&table](std::string name, engine::CommandHandler handler, CommandFlag extra,
                       std::string_view summary, std::string_view syntax) {
    table.Add({.name = std::move(name),
               .arity = -3,
               .flags = F::kNoScript | F::kStale | extra,
               .handler = handler,
               .group = "scripting",
               .since = extra == F::kNone ? "2.6.0" : "7.0.0",
               .summary = summary,
               .complexity = "Depends on the script that is executed.",
               .syntax = syntax,
               .find_keys = EvalKeys});
  };
  eval("eval", Eval, F::kNone, "Executes a server-side Lua script.",
       "script numkeys [key [key ...]] [arg [arg ...]]");
  eval("evalsha", EvalSha, F::kNone, "Executes a server-side Lua script by SHA1 digest.",
       "sha1 numkeys [key [key ...]] [arg [arg ...]]");
  eval("eval_ro", EvalRo, F::kReadOnly, "Executes a read-only server-side Lua script.",
       "script numkeys [key [key ...]] [arg [arg ...]]");
  eval("evalsha_ro", EvalShaRo, F::kReadOnly,
       "Executes a read-only server-side Lua script by SHA1 digest.",
       "sha1 numkeys [key [key ...]] [arg [arg ...]]");

  CommandSpec& script = table.Add({.name = "script",
                                   .arity = -2,
                                   .flags = F::kNoScript,
                                   .group = "scripting",
                                   .since = "2.6.0",
                                   .summary = "A container for Lua scripts management commands.",
                                   .complexity = "Depends on subcommand."});
  table.AddSubcommand(script,
                      {.name = "load",
                       .arity = 3,
                       .flags = F::kNoScript | F::kStale,
                       .handler = ScriptLoad,
                       .since = "2.6.0",
                       .summary = "Loads a server-side Lua script to the script cache.",
                       .complexity = "O(N) with N being the length in bytes of the script body.",
                       .syntax = "script"});
  table.AddSubcommand(
      script, {.name = "exists",
               .arity = -3,
               .flags = F::kNoScript,
               .handler = ScriptExists,
               .since = "2.6.0",
               .summary = "Determines whether server-side Lua scripts exist in the script cache.",
               .complexity = "O(N) with N being the number of scripts to check.",
               .syntax = "sha1 [sha1 ...]"});
  table.AddSubcommand(script,
                      {.name = "flush",
                       .arity = -2,
                       .flags = F::kNoScript,
                       .handler = ScriptFlush,
                       .since = "2.6.0",
                       .summary = "Removes all server-side Lua scripts from the script cache.",
                       .complexity = "O(N) with N being the number of scripts in cache",
                       .syntax = "[ASYNC | SYNC]"});
  table.AddSubcommand(script, {.name = "kill",
                               .arity = 2,
                               .flags = F::kNoScript,
                               .handler = ScriptKill,
                               .since = "2.6.0",
                               .summary = "Terminates a server-side Lua script during execution.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(script, {.name = "help",
                               .arity = 2,
                               .flags = F::kStale | F::kLoading,
                               .handler = ScriptHelp,
                               .since = "5.0.0",
                               .summary = "Returns helpful text about the different subcommands.",
                               .complexity = "O(1)",
                               .syntax = ""});
}

}  // namespace tidekv::commands
