// Server commands: INFO DBSIZE FLUSHDB FLUSHALL CONFIG TIME SHUTDOWN MONITOR DEBUG.

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "commands/commands.h"
#include "common/logging.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "config/config.h"
#include "engine/acl.h"
#include "engine/blocking.h"
#include "engine/command_context.h"
#include "engine/engine.h"
#include "engine/info.h"
#include "engine/script_host.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

void Info(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  const auto sections = ctx.argv.subspan(1);
  ctx.reply.Verbatim(hooks != nullptr ? hooks->Info(sections)
                                      : engine::BuildInfo(ctx.engine, sections, nullptr));
}

void DbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db.size())); }

// FLUSHDB / FLUSHALL accept ASYNC (the keys go at once, their memory is freed on the lazy-free
// thread) or SYNC (the default: freed before the reply).
bool FlushModeOk(CommandContext& ctx) {
  if (ctx.argc() == 1) return true;
  if (ctx.argc() == 2 && (ctx.ArgIs(1, "ASYNC") || ctx.ArgIs(1, "SYNC"))) return true;
  ctx.SyntaxError();
  return false;
}

bool FlushIsAsync(CommandContext& ctx) { return ctx.argc() == 2 && ctx.ArgIs(1, "ASYNC"); }

void FlushDb(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  ctx.Changed(ctx.db.size());
  ctx.db.Clear(FlushIsAsync(ctx));
  ctx.engine.DatabasesFlushed();
  ctx.engine.blocking().RecheckAll();  // a blocked XREADGROUP's stream is gone
  ctx.reply.Ok();
}

void FlushAll(CommandContext& ctx) {
  if (!FlushModeOk(ctx)) return;
  ctx.Changed(ctx.engine.keyspace().TotalKeys());
  ctx.engine.keyspace().ClearAll(FlushIsAsync(ctx));
  ctx.engine.DatabasesFlushed();
  ctx.engine.blocking().RecheckAll();  // a blocked XREADGROUP's stream is gone
  ctx.reply.Ok();
}

void Time(CommandContext& ctx) {
  const int64_t us = ctx.engine.clock().NowUs();
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

// ---- CONFIG --------------------------------------------------------------------------

// "appendonly", which Redis clients and tools read (redis-benchmark at start-up): yes when
// every write is logged (a log store in logstore.mode wal), no otherwise. It follows
// logstore.mode, which cannot change at runtime: CONFIG SET accepts only the value it has
// (so tools that write CONFIG GET * back succeed), as a no-op.
constexpr std::string_view kAppendOnly = "appendonly";

std::string AppendOnlyValue(CommandContext& ctx) {
  const bool logged = ctx.engine.hooks() != nullptr && ctx.engine.hooks()->snapshots() != nullptr &&
                      ctx.engine.config().logstore_mode == "wal";
  return logged ? "yes" : "no";
}

void ConfigGet(CommandContext& ctx) {
  std::vector<std::pair<std::string, std::string>> found;
  auto add = [&found](std::string_view name, std::string value) {
    for (const auto& f : found) {
      if (EqualsIgnoreCase(f.first, name)) return;
    }
    found.emplace_back(std::string(name), std::move(value));
  };
  const config::Config& cfg = ctx.engine.config();
  for (size_t i = 2; i < ctx.argc(); i++) {
    // Like Redis, a plain name (no glob characters) is answered under the name as given,
    // in the case it was given: CONFIG GET MAXMEMORY -> MAXMEMORY 0.
    config::MatchOptionNames(ctx.arg(i),
                             [&](std::string_view name, const config::OptionSpec& option) {
                               add(name, config::GetOptionAs(cfg, option, name));
                             });
    const std::string_view pattern = ctx.arg(i);
    if (pattern.find('.') == std::string_view::npos && GlobMatch(pattern, kAppendOnly, true)) {
      const bool plain = pattern.find_first_of("*?[\\") == std::string_view::npos;
      add(plain ? pattern : kAppendOnly, AppendOnlyValue(ctx));
    }
  }
  ctx.reply.Map(found.size());
  for (const auto& [name, value] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

std::string SetFailed(std::string_view argument, std::string_view reason) {
  return fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}", argument,
                     reason);
}

void ConfigSet(CommandContext& ctx) {
  if (ctx.argc() % 2 != 0) return ctx.SyntaxError();  // a parameter without its value
  // All-or-nothing: validate every pair against a copy, then commit the copy; when the
  // server cannot apply it (a port already taken), the old values come back.
  config::Config updated = ctx.engine.config();
  std::vector<const config::OptionSpec*> seen;
  std::vector<std::pair<const config::OptionSpec*, std::string_view>> named;  // option, argument
  bool appendonly_seen = false;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    if (EqualsIgnoreCase(ctx.arg(i), kAppendOnly)) {
      if (appendonly_seen) return ctx.Error(SetFailed(ctx.arg(i), "duplicate parameter"));
      appendonly_seen = true;
      if (!EqualsIgnoreCase(ctx.arg(i + 1), AppendOnlyValue(ctx))) {
        return ctx.Error(SetFailed(ctx.arg(i), "can't set immutable config"));
      }
      continue;
    }
    const config::OptionSpec* opt = config::FindOption(ctx.arg(i));
    if (opt == nullptr) {
      return ctx.Error(fmt::format(
          "ERR Unknown option or number of arguments for CONFIG SET - '{}'", ctx.arg(i)));
    }
    if (std::find(seen.begin(), seen.end(), opt) != seen.end()) {
      return ctx.Error(SetFailed(ctx.arg(i), "duplicate parameter"));
    }
    seen.push_back(opt);
    named.emplace_back(opt, ctx.arg(i));
    if (!opt->runtime) return ctx.Error(SetFailed(ctx.arg(i), "can't set immutable config"));
    if (opt->protected_config &&
        !AccessAllowed(ctx.engine.config().enable_protected_configs, ctx.session)) {
      return ctx.Error(SetFailed(ctx.arg(i), "can't set protected config"));
    }
    if (Status s = config::SetOption(&updated, *opt, ctx.arg(i + 1)); !s.ok()) {
      return ctx.Error(SetFailed(ctx.arg(i), s.message()));
    }
  }
  config::Config before = std::move(ctx.engine.config());
  ctx.engine.config() = std::move(updated);
  ctx.engine.ApplyConfig();
  if (engine::ServerHooks* hooks = ctx.engine.hooks()) {
    if (std::optional<engine::ConfigApplyError> error = hooks->OnConfigChanged(before)) {
      ctx.engine.config() = std::move(before);
      ctx.engine.ApplyConfig();
      hooks->OnConfigChanged(ctx.engine.config());
      std::string_view argument = error->option_key;
      for (const auto& [opt, arg] : named) {
        if (opt->key == error->option_key) argument = arg;
      }
      return ctx.Error(SetFailed(argument, error->reason));
    }
  }
  // A new maxmemory below the usage evicts at once (Redis's updateMaxmemory).
  const auto sets = [&](std::string_view key) {
    return std::any_of(seen.begin(), seen.end(), [&](const auto* o) { return o->key == key; });
  };
  if (sets("limits.maxmemory") && ctx.engine.config().maxmemory > 0) {
    const size_t over = ctx.engine.evictor().BytesOverLimit();
    if (over > 0) {
      ModuleLogger("engine")->warn(
          "the new maxmemory ({} bytes) is below the memory in use ({} bytes over): keys are "
          "evicted or writes refused, as maxmemory-policy says",
          ctx.engine.config().maxmemory, over);
    }
    ctx.engine.evictor().Perform();
  }
  ctx.reply.Ok();
}

// The slow log shows the values of sensitive options (passwords) as "(redacted)".
bool ConfigSetSecretArg(std::span<const std::string_view> argv, size_t index) {
  if (index < 3 || index % 2 == 0) return false;
  const config::OptionSpec* option = config::FindOption(argv[index - 1]);
  return option != nullptr && option->sensitive;
}

void ConfigRewrite(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  if (hooks == nullptr) return ctx.Error("ERR The server is running without a config file");
  if (Status s = hooks->RewriteConfigFile(); !s.ok()) return ctx.Error("ERR " + s.message());
  ctx.reply.Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ctx.engine.commands().ResetStats();
  ctx.engine.acl().stats() = {};
  KeyspaceStats& ks = ctx.engine.keyspace().stats();
  ks.keyspace_hits = ks.keyspace_misses = ks.expired_keys = 0;
  ks.expire_cycles = ks.expire_cycle_time_us = 0;
  EngineStats& es = ctx.engine.stats();
  es.total_commands = es.total_errors = es.rejected_unknown = 0;
  es.errors_by_code.clear();
  ctx.engine.evictor().ResetStats();
  ctx.engine.keyspace().lazy_free().ResetStats();
  if (engine::ServerHooks* hooks = ctx.engine.hooks()) hooks->ResetStats();
  ctx.reply.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern> [<pattern> ...]",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "    Names are the TOML keys (server.port) or the Redis names (port).",
      "SET <directive> <value> [<directive> <value> ...]",
      "    Set runtime-changeable parameters; all or none are applied.",
      "REWRITE",
      "    Rewrite the configuration file (--config) with the current values.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command."};
  ReplyHelp(ctx, kLines);
}

// ---- SAVE, BGSAVE, LASTSAVE ----------------------------------------------------------

engine::SnapshotControl* PersistenceOf(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  engine::SnapshotControl* p = hooks != nullptr ? hooks->snapshots() : nullptr;
  if (p == nullptr) ctx.Error("ERR persistence is not enabled in this engine");
  return p;
}

// Blocks the calling client until `start` reports, then replies OK or the error.
template <typename Start>
void BlockUntilDone(CommandContext& ctx, Start&& start) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  const uint64_t id = ctx.session.id;
  ctx.session.blocked = true;
  start([hooks, id](const Status& status) {
    hooks->Unblock(id, [status](proto::ReplyBuilder& reply) {
      if (status.ok()) {
        reply.Ok();
      } else {
        reply.Error("ERR " + status.message());
      }
    });
  });
}

void Save(CommandContext& ctx) {
  engine::SnapshotControl* p = PersistenceOf(ctx);
  if (p == nullptr) return;
  BlockUntilDone(ctx, [p](auto done) { p->Save(std::move(done)); });
}

void BgSave(CommandContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !ctx.ArgIs(1, "SCHEDULE"))) return ctx.SyntaxError();
  engine::SnapshotControl* p = PersistenceOf(ctx);
  if (p == nullptr) return;
  if (!p->SaveInBackground()) {
    if (ctx.argc() == 2) return ctx.reply.Simple("Background saving scheduled");
    return ctx.Error("ERR Background save already in progress");
  }
  ctx.reply.Simple("Background saving started");
}

void LastSave(CommandContext& ctx) {
  engine::SnapshotControl* p = PersistenceOf(ctx);
  if (p == nullptr) return;
  ctx.reply.Integer(p->last_save_unix_s());
}

void DebugReload(CommandContext& ctx) {
  engine::SnapshotControl* p = PersistenceOf(ctx);
  if (p == nullptr) return;
  BlockUntilDone(ctx, [p](auto done) { p->Reload(std::move(done)); });
}

// ---- SHUTDOWN, MONITOR ---------------------------------------------------------------

void Shutdown(CommandContext& ctx) {
  bool nosave = false, save = false;
  for (size_t i = 1; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "ABORT")) {
      if (ctx.argc() != 2) return ctx.SyntaxError();
      return ctx.Error("ERR No shutdown in progress.");
    }
    if (ctx.ArgIs(i, "NOSAVE")) {
      nosave = true;
    } else if (ctx.ArgIs(i, "SAVE")) {
      save = true;
    } else if (!ctx.ArgIs(i, "NOW") && !ctx.ArgIs(i, "FORCE")) {
      return ctx.SyntaxError();
    }
  }
  if (nosave && save) return ctx.SyntaxError();  // contradictory: Redis refuses, not shuts down
  if (ctx.engine.has_scripts() && ctx.engine.scripts().busy()) {
    // Only SHUTDOWN NOSAVE ends a busy script (dropping its effects), as in Redis.
    if (!nosave) return ctx.Error(ctx.engine.scripts().BusyError());
    ctx.engine.scripts().ForceKill();
  }
  engine::ServerHooks* hooks = ctx.engine.hooks();
  if (hooks == nullptr) return ctx.Error("ERR SHUTDOWN needs a running server");
  // Like Redis, a successful SHUTDOWN sends no reply: the client sees the connection close.
  // The stop runs after this command returns, so the loop is not torn down under it.
  using Save = engine::ServerHooks::ShutdownSave;
  hooks->RequestShutdown("SHUTDOWN command", save     ? Save::kSave
                                             : nosave ? Save::kNoSave
                                                      : Save::kDefault);
}

void Monitor(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  if (hooks == nullptr) return ctx.Error("ERR MONITOR needs a running server");
  // Inside EXEC each command owes one reply: a monitor's feed would break that.
  if (ctx.session.deny_blocking)
    return ctx.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (!hooks->AddMonitor(ctx.session.id)) {
    return ctx.Error("ERR MONITOR needs a client connection");
  }
  ctx.session.monitor = true;
  ctx.reply.Ok();
}

// ---- DEBUG ---------------------------------------------------------------------------

// A key's digest: SHA-1 over its name, type, value and expiry. The dataset digest XORs the
// per-key digests (order independent) and mixes in each non-empty database's index, so two
// nodes with the same data in the same databases print the same 40 hex digits.
Sha1::Digest KeyDigest(const Entry& e) {
  Sha1 h;
  auto field = [&h](std::string_view bytes) {
    std::string len = std::to_string(bytes.size()) + ":";
    h.Update(len);
    h.Update(bytes);
  };
  field(e.key());
  field(TypeName(e.type()));
  if (e.IsString()) {
    field(e.str());
  } else {
    e.DigestValue(h);
  }
  if (e.HasExpiry()) field(std::to_string(e.expire_at()));
  return h.Final();
}

void DebugDigest(CommandContext& ctx) {
  Sha1::Digest total{};
  bool any = false;
  Keyspace& ks = ctx.engine.keyspace();
  for (int i = 0; i < ks.num_databases(); i++) {
    Database& db = ks.db(i);
    if (db.size() == 0) continue;
    Sha1::Digest db_digest{};
    db.dict().ForEach([&](Entry* e) {
      if (e->ExpiredAt(ctx.now_ms)) return;
      Sha1::Digest d = KeyDigest(*e);
      for (size_t b = 0; b < d.size(); b++) db_digest[b] ^= d[b];
      any = true;
    });
    Sha1 h;
    h.Update(std::to_string(i));
    h.Update(std::string_view(reinterpret_cast<const char*>(db_digest.data()), db_digest.size()));
    Sha1::Digest mixed = h.Final();
    for (size_t b = 0; b < total.size(); b++) total[b] ^= mixed[b];
  }
  if (!any) return ctx.reply.Simple(std::string(40, '0'));
  ctx.reply.Simple(Sha1::Hex(total));
}

void DebugDigestValue(CommandContext& ctx) {
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    Entry* e = ctx.db.Peek(ctx.arg(i), ctx.now_ms);
    if (e == nullptr) {
      ctx.reply.Simple(std::string(40, '0'));
      continue;
    }
    // The value alone (not name or TTL), as Redis's DIGEST-VALUE does.
    Sha1 h;
    h.Update(TypeName(e->type()));
    e->DigestValue(h);
    ctx.reply.Simple(Sha1::Hex(h.Final()));
  }
}

void DebugSleep(CommandContext& ctx) {
  // Blocks the loop on purpose (tests use it to simulate a busy server), so it is bounded:
  // nothing, not even SHUTDOWN or SIGTERM, is served while it sleeps.
  constexpr long double kMaxSeconds = 60;
  auto seconds = ParseLongDouble(ctx.arg(2));
  if (!seconds || *seconds < 0) return ctx.Error(err::kNotFloat);
  if (*seconds > kMaxSeconds) {
    return ctx.Error("ERR DEBUG SLEEP takes at most 60 seconds (it blocks the whole server)");
  }
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(*seconds * 1e6)));
  ctx.reply.Ok();
}

// The 0 | 1 argument of DEBUG's switches; nothing after the syntax error reply.
std::optional<bool> DebugSwitch(CommandContext& ctx) {
  auto on = ParseInt64(ctx.arg(2));
  if (!on || (*on != 0 && *on != 1)) {
    ctx.SyntaxError();
    return std::nullopt;
  }
  return *on == 1;
}

void DebugSetActiveExpire(CommandContext& ctx) {
  const std::optional<bool> on = DebugSwitch(ctx);
  if (!on) return;
  ctx.engine.keyspace().set_active_expire_enabled(*on);
  ctx.reply.Ok();
}

// DEBUG PAUSE-CRON 0|1: the server's periodic work (active expiry, tracking's key limit,
// seals, timeouts) stops while 1, for tests that need a quiet server.
void DebugPauseCron(CommandContext& ctx) {
  const std::optional<bool> on = DebugSwitch(ctx);
  if (!on) return;
  ctx.engine.set_cron_paused(*on);
  ctx.reply.Ok();
}

// DEBUG SEGFAULT: a real invalid write (to a page mapped read-only), so that the crash
// report (server/crash_report.h) is exercised the way a bug would reach it.
void DebugSegfault(CommandContext&) {
  void* page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile char* target = page == MAP_FAILED ? nullptr : static_cast<char*>(page);
  *target = 1;
  std::abort();  // not reached
}

void DebugHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DIGEST",
      "    Output a hex signature representing the current dataset.",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Output a hex signature of the values of the given keys.",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Turn the active expiry cycle off (0) or on (1).",
      "PAUSE-CRON <0|1>",
      "    Stop (1) or resume (0) the server's periodic work.",
      "RELOAD",
      "    Seal, empty the keyspace and load it back from the data directory.",
      "SEGFAULT",
      "    Crash the server with a segmentation fault (it writes a crash report first).",
      "SLEEP <seconds>",
      "    Stop the server for <seconds> (fractions allowed)."};
  ReplyHelp(ctx, kLines);
}

// ---- MEMORY --------------------------------------------------------------------------

void MemoryUsage(CommandContext& ctx) {
  // SAMPLES is accepted for compatibility: sizes here are exact, never sampled.
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    if (!ctx.ArgIs(i, "samples") || i + 1 >= ctx.argc()) return ctx.SyntaxError();
    std::optional<int64_t> n = ctx.IntArg(i + 1);
    if (!n) return;
    if (*n < 0) return ctx.SyntaxError();
  }
  // Like Redis, a plain dictionary look-up: no access time, no hit counted.
  const Entry* e = ctx.db.Peek(ctx.arg(2), ctx.now_ms);
  if (e == nullptr) return ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(e->MemoryBytes()));
}

void MemoryHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value (exact: SAMPLES is ignored).",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  table.Add({.name = "info",
             .arity = -1,
             .flags = F::kStale | F::kLoading | F::kVolatileReply,
             .handler = Info,
             .group = "server",
             .since = "1.0.0",
             .summary = "Returns information and statistics about the server.",
             .complexity = "O(1)",
             .syntax = "[section [section ...]]"});
  table.Add({.name = "dbsize",
             .arity = 1,
             .flags = F::kReadOnly | F::kFast,
             .handler = DbSize,
             .group = "server",
             .since = "1.0.0",
             .summary = "Returns the number of keys in the database.",
             .complexity = "O(1)",
             .syntax = ""});
  table.Add({.name = "flushdb",
             .arity = -1,
             .flags = F::kWrite,
             .handler = FlushDb,
             .group = "server",
             .since = "1.0.0",
             .summary = "Removes all keys from the current database.",
             .complexity = "O(N) where N is the number of keys in the selected database",
             .syntax = "[ASYNC | SYNC]"});
  table.Add({.name = "flushall",
             .arity = -1,
             .flags = F::kWrite,
             .handler = FlushAll,
             .group = "server",
             .since = "1.0.0",
             .summary = "Removes all keys from all databases.",
             .complexity = "O(N) where N is the total number of keys in all databases",
             .syntax = "[ASYNC | SYNC]"});
  table.Add({.name = "time",
             .arity = 1,
             .flags = F::kFast | F::kStale | F::kLoading | F::kKeyless | F::kVolatileReply,
             .handler = Time,
             .group = "server",
             .since = "2.6.0",
             .summary = "Returns the server time.",
             .complexity = "O(1)",
             .syntax = ""});
  table.Add({.name = "shutdown",
             .arity = -1,
             .flags = F::kAllowBusy | F::kNoScript | F::kAdmin | F::kStale | F::kLoading |
                      F::kVolatileReply | F::kNoMulti,
             .handler = Shutdown,
             .group = "server",
             .since = "1.0.0",
             .summary = "Synchronously saves the database(s) to disk and shuts down the server.",
             .complexity = "O(N) when saving, where N is the total number of keys in all databases "
                           "when saving data, otherwise O(1)",
             .syntax = "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"});
  table.Add(
      {.name = "save",
       .arity = 1,
       .flags = F::kNoScript | F::kAdmin | F::kVolatileReply | F::kNoMulti,
       .handler = Save,
       .group = "server",
       .since = "1.0.0",
       .summary = "Seals every change so far into a batch file and replies once it is durable.",
       .complexity = "O(N) where N is the number of keys changed since the last seal",
       .syntax = ""});
  table.Add({.name = "bgsave",
             .arity = -1,
             .flags = F::kNoScript | F::kAdmin | F::kVolatileReply,
             .handler = BgSave,
             .group = "server",
             .since = "1.0.0",
             .summary = "Starts sealing the changes so far into a batch file in the background.",
             .complexity = "O(1) (the seal's cost is paid on the compaction pool)",
             .syntax = "[SCHEDULE]"});
  table.Add({.name = "lastsave",
             .arity = 1,
             .flags = F::kFast | F::kLoading | F::kStale | F::kVolatileReply,
             .handler = LastSave,
             .group = "server",
             .since = "1.0.0",
             .summary = "Returns the Unix timestamp of the last successful seal.",
             .complexity = "O(1)",
             .syntax = ""});
  table.Add({.name = "monitor",
             .arity = 1,
             .flags = F::kNoScript | F::kAdmin | F::kStale | F::kLoading | F::kVolatileReply,
             .handler = Monitor,
             .group = "server",
             .since = "1.0.0",
             .summary = "Listens for all requests received by the server in real-time.",
             .complexity = "",
             .syntax = ""});

  CommandSpec& config = table.Add({.name = "config",
                                   .arity = -2,
                                   .flags = CommandFlag::kVolatileReply,
                                   .group = "server",
                                   .since = "2.0.0",
                                   .summary = "A container for server configuration commands.",
                                   .complexity = "Depends on subcommand."});
  table.AddSubcommand(
      config, {.name = "get",
               .arity = -3,
               .flags = F::kAdmin | F::kStale | F::kLoading,
               .handler = ConfigGet,
               .since = "2.0.0",
               .summary = "Returns the effective values of configuration parameters.",
               .complexity = "O(N) when N is the number of configuration parameters provided",
               .syntax = "parameter [parameter ...]"});
  table.AddSubcommand(
      config, {.name = "set",
               .arity = -4,
               .flags = F::kAdmin | F::kStale | F::kLoading,
               .handler = ConfigSet,
               .since = "2.0.0",
               .summary = "Sets configuration parameters in-flight.",
               .complexity = "O(N) when N is the number of configuration parameters provided",
               .syntax = "parameter value [parameter value ...]",
               .secret_arg = ConfigSetSecretArg});
  table.AddSubcommand(config, {.name = "rewrite",
                               .arity = 2,
                               .flags = F::kAdmin | F::kNoScript | F::kLoading | F::kStale,
                               .handler = ConfigRewrite,
                               .since = "2.8.0",
                               .summary = "Persists the effective configuration to file.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(config, {.name = "resetstat",
                               .arity = 2,
                               .flags = F::kAdmin | F::kStale | F::kLoading,
                               .handler = ConfigResetStat,
                               .since = "2.0.0",
                               .summary = "Resets the server's statistics.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(config, {.name = "help",
                               .arity = 2,
                               .flags = F::kStale | F::kLoading,
                               .handler = ConfigHelp,
                               .since = "5.0.0",
                               .summary = "Returns helpful text about the different subcommands.",
                               .complexity = "O(1)",
                               .syntax = ""});

  CommandSpec& memory = table.Add({.name = "memory",
                                   .arity = -2,
                                   .flags = F::kVolatileReply,
                                   .group = "server",
                                   .since = "4.0.0",
                                   .summary = "A container for memory diagnostics commands.",
                                   .complexity = "Depends on subcommand."});
  table.AddSubcommand(memory, {.name = "usage",
                               .arity = -3,
                               .flags = F::kReadOnly,
                               .first_key = 2,
                               .last_key = 2,
                               .key_step = 1,
                               .key_flags = "RO",
                               .handler = MemoryUsage,
                               .since = "4.0.0",
                               .summary = "Estimates the memory usage of a key.",
                               .complexity = "O(N) where N is the number of elements of a "
                                             "collection value.",
                               .syntax = "key [SAMPLES count]"});
  table.AddSubcommand(memory, {.name = "help",
                               .arity = 2,
                               .flags = F::kStale | F::kLoading,
                               .handler = MemoryHelp,
                               .since = "4.0.0",
                               .summary = "Returns helpful text about the different subcommands.",
                               .complexity = "O(1)",
                               .syntax = ""});
  CommandSpec& debug = table.Add({.name = "debug",
                                  .arity = -2,
                                  .flags = F::kAdmin | F::kProtected | F::kVolatileReply,
                                  .group = "server",
                                  .since = "1.0.0",
                                  .summary = "A container for debugging commands.",
                                  .complexity = "Depends on subcommand.",
                                  .flat_in_redis = true});
  table.AddSubcommand(debug, {.name = "digest",
                              .arity = 2,
                              .flags = F::kAdmin | F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugDigest,
                              .summary = "Returns a digest of the whole dataset.",
                              .complexity = "O(N) where N is the number of keys",
                              .syntax = ""});
  table.AddSubcommand(debug, {.name = "digest-value",
                              .arity = -2,
                              .flags = F::kAdmin | F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugDigestValue,
                              .summary = "Returns digests of the values of keys.",
                              .complexity = "O(N) where N is the number of keys",
                              .syntax = "[key [key ...]]"});
  table.AddSubcommand(debug, {.name = "reload",
                              .arity = 2,
                              .flags = F::kAdmin | F::kProtected | F::kLoading | F::kNoMulti,
                              .handler = DebugReload,
                              .summary = "Seals, empties the keyspace and recovers it from disk.",
                              .complexity = "O(N) where N is the number of keys",
                              .syntax = ""});
  table.AddSubcommand(debug, {.name = "sleep",
                              .arity = 3,
                              .flags = F::kAdmin | F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugSleep,
                              .summary = "Blocks the server for a while.",
                              .complexity = "O(1)",
                              .syntax = "seconds"});
  table.AddSubcommand(debug, {.name = "segfault",
                              .arity = 2,
                              .flags = F::kAdmin | F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugSegfault,
                              .summary = "Crashes the server with a segmentation fault.",
                              .complexity = "O(1)",
                              .syntax = ""});
  table.AddSubcommand(debug, {.name = "set-active-expire",
                              .arity = 3,
                              .flags = F::kAdmin | F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugSetActiveExpire,
                              .summary = "Turns the active expiry cycle on or off.",
                              .complexity = "O(1)",
                              .syntax = "0 | 1"});
  table.AddSubcommand(debug, {.name = "pause-cron",
                              .arity = 3,
                              .flags = F::kAdmin | F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugPauseCron,
                              .summary = "Stops or resumes the server's periodic work.",
                              .complexity = "O(1)",
                              .syntax = "0 | 1"});
  table.AddSubcommand(debug, {.name = "help",
                              .arity = 2,
                              .flags = F::kProtected | F::kStale | F::kLoading,
                              .handler = DebugHelp,
                              .summary = "Returns helpful text about the different subcommands.",
                              .complexity = "O(1)",
                              .syntax = ""});
}

}  // namespace tidekv::commands
