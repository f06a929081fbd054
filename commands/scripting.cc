// Scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT, FCALL FCALL_RO FUNCTION
// (engine/script_host.h).

#include <fmt/format.h>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/script_host.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

// The script commands are skip_monitor in the table and show themselves to MONITOR before
// they run, so the commands the script calls (shown as "[db lua]") follow them, as in Redis.
void RunEval(CommandContext& ctx, bool sha, bool ro) {
  ctx.engine.FeedMonitors(ctx.session, ctx.argv);
  ctx.engine.scripts().Eval(ctx, sha, ro);
}
void Eval(CommandContext& ctx) { RunEval(ctx, false, false); }
void EvalSha(CommandContext& ctx) { RunEval(ctx, true, false); }
void EvalRo(CommandContext& ctx) { RunEval(ctx, false, true); }
void EvalShaRo(CommandContext& ctx) { RunEval(ctx, true, true); }

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

void Kill(CommandContext& ctx, bool function) {
  if (!ctx.engine.has_scripts()) return ctx.Error("NOTBUSY No scripts in execution right now.");
  const std::string error = ctx.engine.scripts().Kill(function);
  if (!error.empty()) return ctx.Error(error);
  ctx.reply.Ok();
}
void ScriptKill(CommandContext& ctx) { Kill(ctx, false); }
void FunctionKill(CommandContext& ctx) { Kill(ctx, true); }

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

// ---- FUNCTION and FCALL ---------------------------------------------------------------

void RunFcall(CommandContext& ctx, bool ro) {
  ctx.engine.FeedMonitors(ctx.session, ctx.argv);
  ctx.engine.scripts().Fcall(ctx, ro);
}
void Fcall(CommandContext& ctx) { RunFcall(ctx, false); }
void FcallRo(CommandContext& ctx) { RunFcall(ctx, true); }

void FunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < ctx.argc(); i++) {
    if (!ctx.ArgIs(i, "REPLACE")) {
      return ctx.Error(fmt::format("ERR Unknown option given: {}", ctx.arg(i)));
    }
    replace = true;
  }
  std::string name;
  std::string error;
  if (!ctx.engine.scripts().LoadLibrary(ctx.arg(i), replace, &name, &error)) {
    return ctx.Error(error);
  }
  ctx.Changed();
  ctx.reply.Bulk(name);
}

void FunctionDelete(CommandContext& ctx) {
  if (!ctx.engine.scripts().DeleteLibrary(ctx.arg(2))) return ctx.Error("ERR Library not found");
  ctx.Changed();
  ctx.reply.Ok();
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplySubcommandSyntaxError(ctx);
  if (ctx.argc() == 3 && !ctx.ArgIs(2, "SYNC") && !ctx.ArgIs(2, "ASYNC")) {
    return ctx.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  ctx.engine.scripts().FlushFunctions();
  ctx.Changed();
  ctx.reply.Ok();
}

void FunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "WITHCODE") && !with_code) {
      with_code = true;
    } else if (ctx.ArgIs(i, "LIBRARYNAME") && !pattern) {
      if (i + 1 == ctx.argc()) return ctx.Error("ERR library name argument was not given");
      pattern = ctx.arg(++i);
    } else {
      return ctx.Error(fmt::format("ERR Unknown argument {}", ctx.arg(i)));
    }
  }
  ctx.engine.scripts().ListLibraries(ctx.reply, pattern, with_code);
}

void FunctionDump(CommandContext& ctx) { ctx.reply.Bulk(ctx.engine.scripts().DumpFunctions()); }

void FunctionRestore(CommandContext& ctx) {
  std::string policy = "APPEND";
  if (ctx.argc() == 4) {
    if (ctx.ArgIs(3, "APPEND") || ctx.ArgIs(3, "REPLACE") || ctx.ArgIs(3, "FLUSH")) {
      policy = ctx.ArgIs(3, "APPEND") ? "APPEND" : ctx.ArgIs(3, "REPLACE") ? "REPLACE" : "FLUSH";
    } else {
      return ctx.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  } else if (ctx.argc() != 3) {
    return ReplySubcommandSyntaxError(ctx);
  }
  std::string error;
  if (!ctx.engine.scripts().RestoreFunctions(ctx.arg(2), policy, &error)) return ctx.Error(error);
  ctx.Changed();
  ctx.reply.Ok();
}

void FunctionStats(CommandContext& ctx) {
  const engine::ScriptHost& host = ctx.engine.scripts();
  // While an EVAL is busy only SCRIPT KILL helps, and the reply says so (as Redis).
  if (host.running_eval()) return ctx.Error(host.BusyError());
  ctx.reply.Map(2);
  ctx.reply.Bulk("running_script");
  std::string name;
  std::vector<std::string> argv;
  int64_t ms = 0;
  if (host.RunningInfo(&name, &argv, &ms)) {
    ctx.reply.Map(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("command");
    ctx.reply.Array(argv.size());
    for (const std::string& a : argv) ctx.reply.Bulk(a);
    ctx.reply.Bulk("duration_ms");
    ctx.reply.Integer(ms);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Bulk("engines");
  ctx.reply.Map(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.Map(2);
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(host.library_count()));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(host.function_count()));
}

void FunctionHelp(CommandContext& ctx) {
  constexpr std::string_view kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries.",
      "FCALL <FUNCTION NAME> <NUMBER OF KEYS> <KEY1> ... <KEYN> <ARG1> ... <ARGN>",
      "    Call the given function.",
      "FCALL_RO <FUNCTION NAME> <NUMBER OF KEYS> <KEY1> ... <KEYN> <ARG1> ... <ARGN>",
      "    Call the given function, can only call read-only functions.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "STATS",
      "    Return information about the current function running.",
      "DUMP",
      "    Return a serialized payload representing the current libraries.",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload.",
  };
  ReplyHelp(ctx, kLines);
}

// CommandSpec::may_write of the script commands: what the script declares (Redis's
// getCommandFlags). The *_RO forms never write.
using Source = engine::ScriptHost::Source;
template <Source source>
bool MayWrite(Engine& engine, std::span<const std::string_view> argv) {
  return argv.size() >= 2 && engine.scripts().MayWrite(source, argv[1]);
}
bool NeverWrites(Engine&, std::span<const std::string_view>) { return false; }

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  auto eval = [&table](std::string name, engine::CommandHandler handler, CommandFlag extra,
                       std::string_view summary, std::string_view syntax,
                       bool (*may_write)(Engine&, std::span<const std::string_view>)) {
    const bool redis7 = extra != F::kNone || name == "fcall";
    table.Add({.name = std::move(name),
               .arity = -3,
               .flags = F::kNoScript | F::kStale | F::kNoMonitor | extra,
               // A script's keys may be used any way: the worst is assumed, as Redis does.
               .key_flags = extra == F::kReadOnly ? "RO access" : "RW access update",
               .handler = handler,
               .group = "scripting",
               .since = redis7 ? "7.0.0" : "2.6.0",
               .summary = summary,
               .complexity = "Depends on the script that is executed.",
               .syntax = syntax,
               .find_keys = EvalKeys,
               .may_write = may_write});
  };
  eval("eval", Eval, F::kNone, "Executes a server-side Lua script.",
       "script numkeys [key [key ...]] [arg [arg ...]]", MayWrite<Source::kBody>);
  eval("evalsha", EvalSha, F::kNone, "Executes a server-side Lua script by SHA1 digest.",
       "sha1 numkeys [key [key ...]] [arg [arg ...]]", MayWrite<Source::kSha>);
  eval("eval_ro", EvalRo, F::kReadOnly, "Executes a read-only server-side Lua script.",
       "script numkeys [key [key ...]] [arg [arg ...]]", NeverWrites);
  eval("evalsha_ro", EvalShaRo, F::kReadOnly,
       "Executes a read-only server-side Lua script by SHA1 digest.",
       "sha1 numkeys [key [key ...]] [arg [arg ...]]", NeverWrites);

  eval("fcall", Fcall, F::kNone, "Invokes a function.",
       "function numkeys [key [key ...]] [arg [arg ...]]", MayWrite<Source::kFunction>);
  eval("fcall_ro", FcallRo, F::kReadOnly, "Invokes a read-only function.",
       "function numkeys [key [key ...]] [arg [arg ...]]", NeverWrites);

  CommandSpec& function = table.Add({.name = "function",
                                     .arity = -2,
                                     .flags = F::kNoScript,
                                     .group = "scripting",
                                     .since = "7.0.0",
                                     .summary = "A container for function commands.",
                                     .complexity = "Depends on subcommand."});
  auto sub = [&](CommandSpec spec) {
    spec.since = "7.0.0";
    spec.flags = spec.flags | F::kNoScript;
    table.AddSubcommand(function, std::move(spec));
  };
  sub({.name = "load",
       .arity = -3,
       .flags = F::kWrite | F::kDenyOom,
       .handler = FunctionLoad,
       .summary = "Creates a library.",
       .complexity = "O(1) (considering compilation time is redundant)",
       .syntax = "[REPLACE] function-code"});
  sub({.name = "delete",
       .arity = 3,
       .flags = F::kWrite,
       .handler = FunctionDelete,
       .summary = "Deletes a library and its functions.",
       .complexity = "O(1)",
       .syntax = "library-name"});
  sub({.name = "flush",
       .arity = -2,
       .flags = F::kWrite,
       .handler = FunctionFlush,
       .summary = "Deletes all libraries and functions.",
       .complexity = "O(N) where N is the number of functions deleted",
       .syntax = "[ASYNC | SYNC]"});
  sub({.name = "restore",
       .arity = -3,
       .flags = F::kWrite | F::kDenyOom,
       .handler = FunctionRestore,
       .summary = "Restores all libraries from a payload.",
       .complexity = "O(N) where N is the number of functions on the payload",
       .syntax = "serialized-value [FLUSH | APPEND | REPLACE]"});
  sub({.name = "list",
       .arity = -2,
       .handler = FunctionList,
       .summary = "Returns information about all libraries.",
       .complexity = "O(N) where N is the number of functions",
       .syntax = "[LIBRARYNAME library-name-pattern] [WITHCODE]"});
  sub({.name = "dump",
       .arity = 2,
       .handler = FunctionDump,
       .summary = "Dumps all libraries into a serialized binary payload.",
       .complexity = "O(N) where N is the number of functions",
       .syntax = ""});
  sub({.name = "stats",
       .arity = 2,
       .flags = F::kVolatileReply | F::kAllowBusy,
       .handler = FunctionStats,
       .summary = "Returns information about a function during execution.",
       .complexity = "O(1)",
       .syntax = ""});
  sub({.name = "kill",
       .arity = 2,
       .flags = F::kAllowBusy,
       .handler = FunctionKill,
       .summary = "Terminates a function during execution.",
       .complexity = "O(1)",
       .syntax = ""});
  sub({.name = "help",
       .arity = 2,
       .flags = F::kStale | F::kLoading,
       .handler = FunctionHelp,
       .summary = "Returns helpful text about the different subcommands.",
       .complexity = "O(1)",
       .syntax = ""});

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
                               .flags = F::kNoScript | F::kAllowBusy,
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
