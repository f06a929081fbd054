#include "engine/script_host.h"

#include <fmt/format.h>

#include <cstring>
#include <lua.hpp>
#include <tuple>

#include "common/check.h"
#include "common/logging.h"
#include "common/strings.h"
#include "engine/acl.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/script_convert.h"

namespace tidekv::engine {

// The state of the script running now.
struct ScriptHost::Run {
  CommandContext* ctx = nullptr;
  Session session;  // the script's own client: the caller's id and database
  std::string scratch;
  bool read_only = false;  // EVAL_RO, or a script declared no-writes
  std::vector<std::string_view> argv;
  std::vector<std::string> numbers;  // numeric arguments converted to text
  int64_t start_ms = 0;
  std::string name;  // the script's SHA-1, or the function's name
  bool function = false;
  bool wrote = false;            // a write command ran: SCRIPT KILL may no longer stop it
  uint64_t nested_at_start = 0;  // Engine::nested_executed() as it began (replay kills)
  // OOM inside a script (Redis 7): allow-oom lets every command run; otherwise deny-oom
  // commands are refused when memory was past maxmemory as the script started, until its
  // first write (a script is never stopped half-way through its writes).
  bool allow_oom = false;
  bool oom_at_start = false;
};

namespace {

// The field an error table carries when its error was already counted in INFO errorstats
// (it came from a redis.call / redis.pcall), so the script's reply does not count it again.
constexpr const char* kCountedField = "ignore_error_stats_update";

// Pushes field `name` of the table on top of the stack without metamethods.
void RawField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
}

void MarkCounted(lua_State* L) {
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, kCountedField);
}

}  // namespace

bool SetScriptFlag(std::string_view name, bool ignore_case, ScriptFlags* flags) {
  for (const auto& [flag, member] : kScriptFlagNames) {
    if (ignore_case ? EqualsIgnoreCase(name, flag) : name == flag) {
      flags->*member = true;
      return true;
    }
  }
  return false;
}

bool ParseScriptFlags(std::string_view body, ScriptFlags* flags, size_t* body_start,
                      std::string* error) {
  *flags = ScriptFlags{};
  *body_start = 0;
  if (!body.starts_with("#!")) return true;
  const size_t eol = body.find('\n');
  const std::string_view line = body.substr(0, eol);
  *body_start = eol == std::string_view::npos ? body.size() : eol;  // the newline stays
  std::vector<std::string_view> parts;
  for (std::string_view rest = line.substr(2); !rest.empty();) {
    const size_t space = rest.find(' ');
    if (space != 0) parts.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  if (parts.empty() || parts[0] != "lua") {
    *error = fmt::format("ERR Unexpected engine in script shebang: {}", line.substr(2));
    return false;
  }
  flags->shebang = true;
  for (size_t i = 1; i < parts.size(); i++) {
    if (!parts[i].starts_with("flags=")) {
      *error = fmt::format("ERR Unknown lua shebang option: {}", parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view f = list.substr(0, comma);
      if (!SetScriptFlag(f, false, flags)) {
        *error = fmt::format("ERR Unexpected flag in script shebang: {}", f);
        return false;
      }
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  return true;
}

ScriptHost::ScriptHost(Engine& engine) : engine_(engine) { Open(); }

ScriptHost::~ScriptHost() { Close(); }

void ScriptHost::Close() {
  if (L_ != nullptr) lua_close(L_);
  L_ = nullptr;
  scripts_.clear();
}

size_t ScriptHost::memory_bytes() const {
  return L_ == nullptr ? 0
                       : static_cast<size_t>(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024 +
                             static_cast<size_t>(lua_gc(L_, LUA_GCCOUNTB, 0));
}

void ScriptHost::Flush() {
  for (auto& [sha, script] : scripts_) luaL_unref(L_, LUA_REGISTRYINDEX, script.ref);
  scripts_.clear();
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

bool ScriptHost::Exists(std::string_view sha) const {
  std::string lower(sha);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scripts_.contains(lower);
}

bool ScriptHost::Compile(const std::string& sha, std::string_view body, std::string* error) {
  Script script;
  size_t start = 0;
  if (!ParseScriptFlags(body, &script.flags, &start, error)) return false;
  const std::string_view code = body.substr(start);
  if (luaL_loadbuffer(L_, code.data(), code.size(), kScriptChunk) != 0) {
    *error = fmt::format("ERR Error compiling script (new function): {}", lua_tostring(L_, -1));
    lua_pop(L_, 1);
    return false;
  }
  script.ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  script.body = std::string(body);
  scripts_.emplace(sha, std::move(script));
  return true;
}

bool ScriptHost::Load(std::string_view body, std::string* sha, std::string* error) {
  *sha = Sha1::Hex(Sha1::Of(body));
  if (scripts_.contains(*sha)) return true;
  return Compile(*sha, body, error);
}

bool ScriptHost::MayWrite(Source source, std::string_view script) const {
  switch (source) {
    case Source::kBody: {
      ScriptFlags flags;
      size_t start = 0;
      std::string error;
      return ParseScriptFlags(script, &flags, &start, &error) && !flags.no_writes;
    }
    case Source::kSha: {
      auto it = scripts_.find(AsciiLower(script));
      return it != scripts_.end() && !it->second.flags.no_writes;
    }
    case Source::kFunction: {
      auto it = functions_.find(AsciiLower(script));
      return it != functions_.end() && !it->second.flags.no_writes;
    }
  }
  return false;
}

void ScriptHost::Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  if (run_ != nullptr) return ctx.Error("ERR This Redis command is not allowed from script");
  size_t numkeys = 0;
  if (!CheckNumKeys(ctx, false, &numkeys)) return;
  std::string sha;
  if (by_sha) {
    sha = std::string(ctx.arg(1));
    for (char& c : sha) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!scripts_.contains(sha)) {
      return ctx.Error("NOSCRIPT No matching script. Please use EVAL.");
    }
  } else {
    std::string error;
    if (!Load(ctx.arg(1), &sha, &error)) return ctx.Error(error);
  }
  const Script& script = scripts_.at(sha);
  Invoke(ctx, script.ref, script.flags, sha, numkeys, read_only, false);
}

bool ScriptHost::CheckNumKeys(CommandContext& ctx, bool fcall, size_t* numkeys) {
  std::optional<int64_t> n;
  if (!fcall) {
    n = ctx.IntArg(2);
    if (!n) return false;
  } else if (n = ParseInt64(ctx.arg(2)); !n) {
    ctx.Error("ERR Bad number of keys provided");
    return false;
  }
  if (*n > static_cast<int64_t>(ctx.argc() - 3)) {
    ctx.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (*n < 0) {
    ctx.Error("ERR Number of keys can't be negative");
    return false;
  }
  *numkeys = static_cast<size_t>(*n);
  return true;
}

void ScriptHost::Invoke(CommandContext& ctx, int ref, const ScriptFlags& flags,
                        const std::string& name, size_t numkeys, bool read_only, bool function) {
  // Scripts with a shebang (and every function) declare what they do; the server checks it
  // before running.
  if (flags.shebang) {
    if (!flags.no_writes && read_only) {
      return ctx.Error("ERR Can not execute a script with write flag using *_ro command.");
    }
    // As Redis's command checks see a script's flags: a write unless no-writes, deny-oom
    // unless allow-oom or no-writes (the standard OOM refusal).
    std::string why = engine_.AccessError(
        ctx.session,
        (flags.no_writes ? CommandFlag::kNone : CommandFlag::kWrite) |
            (flags.allow_oom || flags.no_writes ? CommandFlag::kNone : CommandFlag::kDenyOom),
        flags.allow_stale);
    if (!why.empty()) {
      if (why.starts_with("MASTERDOWN")) why = "ERR Can not execute the command on a stale replica";
      return ctx.Error(why);
    }
  }

  Run run;
  run.ctx = &ctx;
  run.session.id = ctx.session.id;
  run.session.db = ctx.session.db;
  run.session.authenticated = true;
  run.session.user = ctx.session.user;  // redis.call runs with the caller's permissions
  run.session.deny_blocking = true;
  run.session.addr = "lua";  // what MONITOR shows for a script's commands, as Redis
  run.session.internal = ctx.session.internal;
  run.session.applies_frames = ctx.session.applies_frames;
  run.read_only = read_only || flags.no_writes;
  run.start_ms = engine_.clock().NowMs();
  run.nested_at_start = engine_.nested_executed();
  run.name = name;
  run.function = function;
  run.allow_oom = flags.allow_oom;
  run.oom_at_start = engine_.OverMaxmemory();
  lua_State* L = L_;
  // Raw accesses only: nothing here runs under a protected call, so no metamethod may run.
  lua_pushstring(L, "tidekv.error_handler");
  lua_rawget(L, LUA_REGISTRYINDEX);
  const int handler = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  // KEYS and ARGV: a function's two arguments, a script's globals (in the real table).
  if (!function) {
    lua_pushstring(L, "tidekv.globals");
    lua_rawget(L, LUA_REGISTRYINDEX);
  }
  for (const auto& [field, first, count] :
       {std::tuple{"KEYS", size_t{3}, numkeys},
        std::tuple{"ARGV", 3 + numkeys, ctx.argc() - 3 - numkeys}}) {
    lua_createtable(L, static_cast<int>(count), 0);
    for (size_t i = 0; i < count; i++) {
      lua_pushlstring(L, ctx.arg(first + i).data(), ctx.arg(first + i).size());
      lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
    if (!function) {
      lua_pushstring(L, field);
      lua_insert(L, -2);
      lua_rawset(L, -3);
    }
  }
  if (!function) lua_pop(L, 1);

  run_ = &run;
  engine_.BeginGroup(ctx.session.id);
  const int status = lua_pcall(L, function ? 2 : 0, 1, handler);
  if (force_killed_) engine_.AbandonGroup();
  engine_.EndGroup(&ctx.session);
  run_ = nullptr;
  if (busy_) {
    ModuleLogger("script")->warn("slow script {} ended after {} ms", name,
                                 engine_.clock().NowMs() - run.start_ms);
  }
  busy_ = false;
  kill_requested_ = false;
  force_killed_ = false;
  // Fields are read raw: a table the script made may have a metatable whose __index raises
  // (return _G; error(setmetatable(...))), and nothing here runs under a protected call.
  // An error a redis.call produced was counted when it arose: the script's reply repeats it.
  if (lua_istable(L, -1)) {
    RawField(L, kCountedField);
    if (lua_toboolean(L, -1) != 0) engine_.ErrorAlreadyCounted();
    lua_pop(L, 1);
  }
  if (status != 0) {
    if (lua_istable(L, -1)) {
      std::string msg;
      RawField(L, "err");
      if (const char* e = lua_tostring(L, -1)) msg = e;
      lua_pop(L, 1);
      RawField(L, "line");
      const int64_t line = lua_isnumber(L, -1) != 0 ? lua_tointeger(L, -1) : 0;
      lua_pop(L, 1);
      RawField(L, "source");
      const char* source = lua_tostring(L, -1);
      if (source != nullptr && line > 0) {
        msg = fmt::format("{} script: {}, on {}:{}.", msg, name, source, line);
      }
      lua_pop(L, 1);
      ctx.Error(msg.empty() ? "ERR" : msg);
    } else {
      const char* e = lua_tostring(L, -1);
      ctx.Error(fmt::format("ERR Error running script {}: {}", name, e != nullptr ? e : "?"));
    }
  } else {
    WriteLuaAsReply(L, ctx.reply);
  }
  lua_settop(L, 0);
  // Lua's own incremental collector keeps pace with what scripts allocate; on top of it,
  // every kGcPeriod runs take kGcPeriod extra steps, as Redis does. A step after every run
  // cost a third of an EVALSHA's CPU (mark and sweep of the whole heap, over and over).
  if (++runs_since_gc_ >= kGcPeriod) {
    runs_since_gc_ = 0;
    lua_gc(L, LUA_GCSTEP, kGcPeriod);
  }
}

int ScriptHost::LuaCall(lua_State* L, bool raise, bool acl_check_only) {
  Run* run = run_;
  const int argc = lua_gettop(L);
  // A refused call's error counts once, here (INFO errorstats), whether the script then
  // catches it or fails with it; a known command counts it as rejected, as Redis.
  const CommandSpec* spec = nullptr;
  auto fail = [&](std::string_view message) -> int {
    engine_.stats().CountError(message);
    if (spec != nullptr) spec->stats.rejected_calls++;
    lua_newtable(L);
    lua_pushlstring(L, message.data(), message.size());
    lua_setfield(L, -2, "err");
    MarkCounted(L);
    if (raise) return lua_error(L);
    return 1;
  };
  if (run == nullptr) return luaL_error(L, "redis.call is only available while a script runs");
  // Replay ends a killed script after exactly the calls the trace holds for it: the next
  // call does not run (the recorded kill came at a check before it).
  if (!replay_kills_.empty()) {
    ReplayKillIfDue(*run);
    if (kill_requested_) return RaiseKilled(L, *run);
  }
  if (argc == 0) return fail("ERR Please specify at least one argument for this redis lib call");
  run->argv.clear();
  run->numbers.clear();
  run->numbers.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; i++) {
    const int type = lua_type(L, i);
    if (type == LUA_TNUMBER) {
      // As Redis: the shortest text that reads back as the same double.
      run->numbers.push_back(fmt::format("{}", static_cast<double>(lua_tonumber(L, i))));
      run->argv.emplace_back(run->numbers.back());
    } else if (type == LUA_TSTRING) {
      size_t n = 0;
      const char* s = lua_tolstring(L, i, &n);
      run->argv.emplace_back(s, n);
    } else {
      return fail("ERR Lua redis lib command arguments must be strings or integers");
    }
  }
  spec = engine_.commands().Resolve(run->argv);
  if (spec != nullptr && HasFlag(spec->flags, CommandFlag::kInternal)) spec = nullptr;
  if (acl_check_only) {
    if (spec == nullptr) return fail("ERR Invalid command passed to redis.acl_check_cmd()");
    size_t pos = 0;
    lua_pushboolean(
        L, engine_.acl().Check(*run->session.user, *spec, run->argv, &pos) == AclDenial::kNone);
    return 1;
  }
  if (spec == nullptr) return fail("ERR Unknown Redis command called from script");
  const bool arity_ok = spec->arity > 0 ? run->argv.size() == static_cast<size_t>(spec->arity)
                                        : run->argv.size() >= static_cast<size_t>(-spec->arity);
  if (!arity_ok) return fail("ERR Wrong number of args calling Redis command from script");
  if (HasFlag(spec->flags, CommandFlag::kNoScript)) {
    return fail("ERR This Redis command is not allowed from script");
  }
  if (!run->session.user->unrestricted) {
    switch (engine_.CheckAcl(run->session, *spec, run->argv, AclContext::kLua)) {
      case AclDenial::kNone:
        break;
      case AclDenial::kKey:
        return fail(
            "ERR The user executing the script can't access at least one of the keys mentioned "
            "in the command arguments");
      case AclDenial::kChannel:
        return fail(
            "ERR The user executing the script can't publish to the channel mentioned in the "
            "command");
      default:
        return fail("ERR The user executing the script can't run this command or subcommand");
    }
  }
  if (run->read_only && (HasFlag(spec->flags, CommandFlag::kWrite) ||
                         HasFlag(spec->flags, CommandFlag::kMayReplicate))) {
    return fail("ERR Write commands are not allowed from read-only scripts.");
  }
  const bool deny_oom = HasFlag(spec->flags, CommandFlag::kDenyOom);
  if (std::string why =
          engine_.AccessError(run->session, Without(spec->flags, CommandFlag::kDenyOom),
                              HasFlag(spec->flags, CommandFlag::kStale));
      !why.empty()) {
    return fail(why);
  }
  if (deny_oom && run->oom_at_start && !run->allow_oom && !run->wrote && !run->session.internal) {
    return fail(err::kOom);
  }
  if (HasFlag(spec->flags, CommandFlag::kWrite)) run->wrote = true;
  run->scratch.clear();
  proto::ReplyBuilder reply(&run->scratch);
  reply.set_resp3(run->session.resp == 3);
  engine_.Execute(run->session, run->argv, reply, spec, run->ctx->now_ms * 1000);
  // The arguments (up to Lua's C stack limit of them) are done with: their room is the
  // reply's (whose conversion checks the stack).
  lua_settop(L, 0);
  size_t pos = 0;
  const bool error = PushReplyAsLua(L, run->scratch, &pos);
  if (error) MarkCounted(L);  // Execute counted it
  if (error && raise) return lua_error(L);
  return 1;
}

bool ScriptHost::running_eval() const { return run_ != nullptr && !run_->function; }

uint64_t ScriptHost::running_client() const { return run_ != nullptr ? run_->session.id : 0; }

const CommandContext* ScriptHost::CallerOf(const Session& session) const {
  return run_ != nullptr && &session == &run_->session ? run_->ctx : nullptr;
}

std::string_view ScriptHost::BusyError() const {
  return run_ != nullptr && run_->function
             ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
               "SHUTDOWN NOSAVE."
             : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
               "SHUTDOWN NOSAVE.";
}

bool ScriptHost::RunningInfo(std::string* name, std::vector<std::string>* argv, int64_t* ms) const {
  if (run_ == nullptr) return false;
  *name = run_->name;
  argv->assign(run_->ctx->argv.begin(), run_->ctx->argv.end());
  *ms = engine_.clock().NowMs() - run_->start_ms;
  return true;
}

std::string ScriptHost::Kill(bool function) {
  if (run_ == nullptr || !busy_) return "NOTBUSY No scripts in execution right now.";
  // SCRIPT KILL does not end a function, nor FUNCTION KILL a script: the reply says which.
  if (run_->function != function) return std::string(BusyError());
  if (run_->wrote) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  kill_requested_ = true;
  return {};
}

void ScriptHost::ForceKill() {
  if (run_ == nullptr) return;
  kill_requested_ = true;
  force_killed_ = true;
}

void ScriptHost::set_replay_kills(std::vector<ReplayKill> kills,
                                  std::chrono::steady_clock::duration grace) {
  replay_kills_ = std::move(kills);
  replay_base_ = engine_.nested_executed();
  replay_deadline_ = std::chrono::steady_clock::now() + grace;
}

void ScriptHost::ReplayKillIfDue(Run& run) {
  while (!replay_kills_.empty() && !kill_requested_) {
    const ReplayKill kill = replay_kills_.front();
    // A kill point before this run began was another script's, which ran to its end here
    // (a difference the replay's comparison reports): it ends nothing now.
    if (run.nested_at_start > replay_base_ + kill.nested) {
      replay_kills_.erase(replay_kills_.begin());
      continue;
    }
    const bool overdue = std::chrono::steady_clock::now() > replay_deadline_;
    if (engine_.nested_executed() - replay_base_ < kill.nested && !overdue) return;
    replay_kills_.erase(replay_kills_.begin());
    if (run.wrote && !kill.shutdown && !overdue) return;
    kill_requested_ = true;
    force_killed_ = run.wrote;  // SHUTDOWN NOSAVE dropped its effects
  }
}

int ScriptHost::RaiseKilled(lua_State* L, const Run& run) {
  lua_newtable(L);
  lua_pushstring(L, run.function ? "ERR Script killed by user with FUNCTION KILL..."
                                 : "ERR Script killed by user with SCRIPT KILL...");
  lua_setfield(L, -2, "err");
  return lua_error(L);
}

void ScriptHost::OnHook(lua_State* L) {
  // A library's load code may not run long: Redis gives it 500 ms.
  constexpr int64_t kLoadTimeoutMs = 500;
  if (loading_ != nullptr && engine_.clock().NowMs() - load_started_ms_ > kLoadTimeoutMs) {
    luaL_error(L, "FUNCTION LOAD timeout");
    return;
  }
  Run* run = run_;
  if (run == nullptr) return;
  if (!replay_kills_.empty()) ReplayKillIfDue(*run);
  if (!busy_ &&
      engine_.clock().NowMs() - run->start_ms >= engine_.config().busy_reply_threshold_ms) {
    busy_ = true;
    ModuleLogger("script")->warn(
        "slow script detected: still running after {} ms (SCRIPT KILL / FUNCTION KILL or "
        "SHUTDOWN NOSAVE end it)",
        engine_.clock().NowMs() - run->start_ms);
  }
  if (busy_ && !kill_requested_ && engine_.hooks() != nullptr) {
    engine_.hooks()->ProcessEventsWhileBusy();
  }
  // Raised again at every check until the script ends, so pcall cannot swallow it.
  if (kill_requested_) RaiseKilled(L, *run);
}

int ScriptHost::LuaSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) return luaL_error(L, "redis.setresp() requires one argument.");
  const int v = static_cast<int>(lua_tointeger(L, 1));
  if (v != 2 && v != 3) return luaL_error(L, "RESP version must be 2 or 3.");
  if (run_ != nullptr) run_->session.resp = v;
  return 0;
}

int ScriptHost::LuaSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) return luaL_error(L, "redis.set_repl() requires one argument.");
  const int v = static_cast<int>(lua_tointeger(L, 1));
  if (v < 0 || v > 3)
    return luaL_error(
        L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  // Effects go to the log and replicas together (one stream): REPL_NONE turns both off,
  // anything else keeps both.
  engine_.set_group_muted(v == 0);
  return 0;
}

int ScriptHost::LuaLog(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) return luaL_error(L, "redis.log() requires two arguments or more.");
  if (lua_isnumber(L, 1) == 0) return luaL_error(L, "First argument must be a number (log level).");
  const int level = static_cast<int>(lua_tointeger(L, 1));
  if (level < 0 || level > 3) return luaL_error(L, "Invalid debug level.");
  std::string text;
  for (int i = 2; i <= argc; i++) {
    size_t n = 0;
    const char* s = lua_tolstring(L, i, &n);
    if (s == nullptr) continue;
    if (!text.empty()) text += ' ';
    text.append(s, n);
  }
  auto logger = ModuleLogger("script");
  switch (level) {
    case 0:
      logger->debug("{}", text);
      break;
    case 1:
      logger->debug("{}", text);
      break;
    case 2:
      logger->info("{}", text);
      break;
    default:
      logger->warn("{}", text);
      break;
  }
  return 0;
}

}  // namespace tidekv::engine
