#include "engine/script_host.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <lua.hpp>
#include <tuple>

#include "common/check.h"
#include "common/logging.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/script_convert.h"
#include "lua/libs.h"
#include "types/value.h"

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
  bool wrote = false;      // a write command ran: SCRIPT KILL may no longer stop it
  bool allow_oom = false;  // the allow-oom flag: deny-oom commands run past maxmemory
};

namespace {

constexpr const char* kChunkName = "@user_script";
constexpr const char* kFunctionChunkName = "@user_function";

ScriptHost* HostOf(lua_State* L) {
  return static_cast<ScriptHost*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int Call(lua_State* L) { return HostOf(L)->LuaCall(L, true); }
int PCall(lua_State* L) { return HostOf(L)->LuaCall(L, false); }
int SetResp(lua_State* L) { return HostOf(L)->LuaSetResp(L); }
int SetRepl(lua_State* L) { return HostOf(L)->LuaSetRepl(L); }
int Log(lua_State* L) { return HostOf(L)->LuaLog(L); }
int RegisterFunction(lua_State* L) { return HostOf(L)->LuaRegisterFunction(L); }

// Every kHookInstructions VM instructions of a script: the busy check (SCRIPT KILL).
constexpr int kHookInstructions = 100000;
void Hook(lua_State* L, lua_Debug*) {
  lua_getfield(L, LUA_REGISTRYINDEX, "tidekv.host");
  auto* host = static_cast<ScriptHost*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (host != nullptr) host->OnHook(L);
}

int Sha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) return luaL_error(L, "wrong number of arguments");
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  const std::string hex = Sha1::Hex(Sha1::Of(std::string_view(s != nullptr ? s : "", n)));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

void PushTable(lua_State* L, const char* field, std::string_view value) {
  lua_newtable(L);
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, field);
}

// redis.error_reply / redis.status_reply: {err=msg} / {ok=msg}; wrong arguments give an error
// table rather than raising, as in Redis.
bool ReplyArgOk(lua_State* L) {
  if (lua_gettop(L) == 1 && lua_type(L, 1) == LUA_TSTRING) return true;
  PushTable(L, "err", "ERR wrong number or type of arguments");
  return false;
}

// An error_reply's text as Redis keeps it: "CODE message", where CODE is the first word (a
// leading '-' dropped) when the text has a space, else "ERR" before the whole text; the
// message loses leading and trailing CR/LF.
std::string ErrorReplyText(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  std::string_view code = "ERR", msg = text;
  if (const size_t space = text.find(' '); space != std::string_view::npos) {
    code = text.substr(0, space);
    msg = text.substr(space + 1);
  }
  const size_t first = msg.find_first_not_of("\r\n");
  msg = first == std::string_view::npos ? std::string_view() : msg.substr(first);
  msg = msg.substr(0, msg.find_last_not_of("\r\n") + 1);
  return fmt::format("{} {}", code, msg);
}

int LuaErrorReply(lua_State* L) {
  if (!ReplyArgOk(L)) return 1;
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  PushTable(L, "err", ErrorReplyText(std::string_view(s, n)));
  return 1;
}
int LuaStatusReply(lua_State* L) {
  if (!ReplyArgOk(L)) return 1;
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  PushTable(L, "ok", std::string_view(s, n));
  return 1;
}
int ReturnTrue(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// math.random / math.randomseed: a 48-bit linear congruential generator (the lrand48
// recurrence), seeded from the server's generator when the Lua state opens.
uint64_t g_rand_state = 0;
void SeedRandom(int32_t seed) {
  g_rand_state = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
}
int32_t NextRandom() {
  g_rand_state = (0x5DEECE66DULL * g_rand_state + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(g_rand_state >> 17);
}
int MathRandom(lua_State* L) {
  constexpr int32_t kMax = INT32_MAX;
  const lua_Number r = static_cast<lua_Number>(NextRandom() % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      const int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      const int l = luaL_checkint(L, 1);
      const int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}
int MathRandomSeed(lua_State* L) {
  SeedRandom(luaL_checkint(L, 1));
  return 0;
}

// pcall and xpcall that cannot swallow SCRIPT KILL: once a kill is requested, an error they
// caught is raised again.
int KillAwarePcall(lua_State* L) {
  luaL_checkany(L, 1);
  const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != 0 && HostOf(L)->kill_requested()) return lua_error(L);
  lua_pushboolean(L, status == 0);
  lua_insert(L, 1);
  return lua_gettop(L);
}
int KillAwareXpcall(lua_State* L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_insert(L, 1);  // the handler below the function
  const int status = lua_pcall(L, 0, LUA_MULTRET, 1);
  if (status != 0 && HostOf(L)->kill_requested()) return lua_error(L);
  lua_pushboolean(L, status == 0);
  lua_replace(L, 1);
  return lua_gettop(L);
}

// loadstring without binary chunks: bytecode can crash the VM, so it never loads.
int LoadString(lua_State* L) {
  size_t n = 0;
  const char* s = luaL_checklstring(L, 1, &n);
  if (n > 0 && s[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushstring(L, "binary chunks are not allowed");
    return 2;
  }
  const char* name = luaL_optstring(L, 2, s);
  if (luaL_loadbuffer(L, s, n, name) == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

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

// The error handler every run goes through (as Redis's): an error becomes a table with
// `err` ("ERR " added to a plain message) plus where it happened.
int ErrorHandler(lua_State* L) {
  // Where in the user's script it happened: the innermost frame of the script's own chunk
  // (an error raised by redis.call or by the global protection is reported at its caller).
  lua_Debug ar;
  bool have = false;
  for (int level = 1; level < 64 && lua_getstack(L, level, &ar) != 0; level++) {
    if (lua_getinfo(L, "Sl", &ar) != 0 && (std::string_view(ar.source) == kChunkName ||
                                           std::string_view(ar.source) == kFunctionChunkName)) {
      have = true;
      break;
    }
  }
  if (lua_type(L, 1) != LUA_TTABLE) {
    const char* msg = lua_tostring(L, 1);
    lua_newtable(L);
    lua_pushfstring(L, "ERR %s", msg != nullptr ? msg : "(error object is not a string)");
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
    lua_settop(L, 1);
  }
  if (have) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushinteger(L, ar.currentline);
    lua_setfield(L, 1, "line");
  }
  return 1;
}

// The protection every global table gets (Redis 7's read-only tables): `t` is replaced by
// an empty proxy whose reads go to t and whose writes fail.
constexpr const char* kProtect = R"lua(
local real_G, readonly_error, missing_error = ...
local rawset_ = rawset
local setmetatable_ = setmetatable
local protected = {}
local function deny() error(readonly_error, 2) end
local function proxy(t)
  local p = {}
  protected[p] = true
  local lock = {}
  protected[lock] = true
  setmetatable_(lock, {__newindex = deny, __metatable = false})
  setmetatable_(p, {__index = t, __newindex = deny, __metatable = lock})
  return p
end
local G = {}
for k, v in pairs(real_G) do G[k] = v end
for _, name in ipairs({'redis', 'cjson', 'bit', 'cmsgpack', 'struct', 'string', 'table',
                       'math', 'debug', 'coroutine'}) do
  if G[name] then G[name] = proxy(G[name]) end
end
G.rawset = function(t, k, v)
  if protected[t] then error(readonly_error, 2) end
  return rawset_(t, k, v)
end
G.setmetatable = function(t, m)
  if protected[t] then error(readonly_error, 2) end
  return setmetatable_(t, m)
end
setmetatable_(G, {__index = function(_, k) error(string.format(missing_error, tostring(k)), 2) end})
local P = proxy(G)
G._G = P
return P, G
)lua";

// A library's environment: the globals, except that `redis` is the load-time API until the
// returned function says the load is over. Read-only like the globals.
constexpr const char* kMakeEnv = R"lua(
local P, loadredis = ...
local loading = true
local E = {}
local function deny() error('Attempt to modify a readonly table', 2) end
setmetatable(E, {__index = function(_, k)
  if k == 'redis' and loading then return loadredis end
  return P[k]
end, __newindex = deny, __metatable = false})
return E, function() loading = false end
)lua";

}  // namespace

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
      if (f == "no-writes") {
        flags->no_writes = true;
      } else if (f == "allow-oom") {
        flags->allow_oom = true;
      } else if (f == "allow-stale") {
        flags->allow_stale = true;
      } else if (f == "no-cluster") {
        flags->no_cluster = true;
      } else if (f == "allow-cross-slot-keys") {
        flags->allow_cross_slot_keys = true;
      } else {
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

void ScriptHost::Open() {
  L_ = luaL_newstate();
  lua_State* L = L_;
  const std::pair<const char*, lua_CFunction> libs[] = {
      {"", luaopen_base},
      {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string},
      {LUA_MATHLIBNAME, luaopen_math},
      {LUA_DBLIBNAME, luaopen_debug},
  };
  for (const auto& [name, open] : libs) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
  }
  lua::OpenRedisLibraries(L);
  // Nothing that reaches files or the process.
  for (const char* name : {"loadfile", "dofile", "load", "print", "newproxy", "gcinfo"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, LoadString);
  lua_setglobal(L, "loadstring");
  const std::pair<const char*, lua_CFunction> protected_calls[] = {{"pcall", KillAwarePcall},
                                                                   {"xpcall", KillAwareXpcall}};
  for (const auto& [name, fn] : protected_calls) {
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, fn, 1);
    lua_setglobal(L, name);
  }
  lua_getglobal(L, "math");
  lua_pushcfunction(L, MathRandom);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, MathRandomSeed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);

  lua_newtable(L);  // redis
  const std::pair<const char*, lua_CFunction> api[] = {
      {"call", Call},
      {"pcall", PCall},
      {"setresp", SetResp},
      {"set_repl", SetRepl},
      {"log", Log},
      {"sha1hex", Sha1Hex},
      {"error_reply", LuaErrorReply},
      {"status_reply", LuaStatusReply},
      {"replicate_commands", ReturnTrue},
  };
  for (const auto& [name, fn] : api) {
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
  }
  const std::pair<const char*, int> constants[] = {
      {"LOG_DEBUG", 0},   {"LOG_VERBOSE", 1},  {"LOG_NOTICE", 2},
      {"LOG_WARNING", 3}, {"REPL_NONE", 0},    {"REPL_AOF", 1},
      {"REPL_SLAVE", 2},  {"REPL_REPLICA", 2}, {"REPL_ALL", 3},
  };
  for (const auto& [name, value] : constants) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "redis");

  lua_pushcfunction(L, ErrorHandler);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.error_handler");
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.host");
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  // math.random: seeded once from the server's seeded generator (the trace header records
  // its seed, so a replay draws the same numbers), then a sequence across all runs.
  SeedRandom(static_cast<int32_t>(types::Rng()()));

  // Protect the globals: scripts get a read-only proxy as their global table.
  TIDEKV_CHECK(luaL_loadbuffer(L, kProtect, std::strlen(kProtect), "=protect") == 0);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushstring(L, "Attempt to modify a readonly table");
  lua_pushstring(L, "Script attempted to access nonexistent global variable '%s'");
  lua_call(L, 3, 2);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.globals");  // the real table (KEYS, ARGV)
  lua_replace(L, LUA_GLOBALSINDEX);                      // the proxy

  // What a library sees while FUNCTION LOAD runs it: redis.register_function and redis.log
  // (redis.call is not there yet), through an environment of its own.
  lua_newtable(L);
  const std::pair<const char*, lua_CFunction> load_api[] = {{"register_function", RegisterFunction},
                                                            {"log", Log}};
  for (const auto& [name, fn] : load_api) {
    lua_pushlightuserdata(L, this);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
  }
  for (const auto& [name, value] : constants) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.load_redis");
  TIDEKV_CHECK(luaL_loadbuffer(L, kMakeEnv, std::strlen(kMakeEnv), "=env") == 0);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.make_env");
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
  if (luaL_loadbuffer(L_, code.data(), code.size(), kChunkName) != 0) {
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

void ScriptHost::Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  if (run_ != nullptr) return ctx.Error("ERR This Redis command is not allowed from script");
  size_t numkeys = 0;
  if (!CheckNumKeys(ctx, &numkeys)) return;
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

bool ScriptHost::CheckNumKeys(CommandContext& ctx, size_t* numkeys) {
  const std::optional<int64_t> n = ctx.IntArg(2);
  if (!n) return false;
  if (*n < 0) {
    ctx.Error("ERR Number of keys can't be negative");
    return false;
  }
  if (static_cast<uint64_t>(*n) > ctx.argc() - 3) {
    ctx.Error("ERR Number of keys can't be greater than number of args");
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
  run.session.deny_blocking = true;
  run.session.addr = "lua";  // MONITOR shows the commands a script calls as "[db lua]"
  run.session.internal = ctx.session.internal;
  run.session.applies_frames = ctx.session.applies_frames;
  run.read_only = read_only || flags.no_writes;
  run.allow_oom = flags.allow_oom;
  run.start_ms = engine_.clock().NowMs();
  run.name = name;
  run.function = function;
  lua_State* L = L_;
  lua_getfield(L, LUA_REGISTRYINDEX, "tidekv.error_handler");
  const int handler = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  // KEYS and ARGV: a function's two arguments, a script's globals (in the real table).
  if (!function) lua_getfield(L, LUA_REGISTRYINDEX, "tidekv.globals");
  for (const auto& [field, first, count] :
       {std::tuple{"KEYS", size_t{3}, numkeys},
        std::tuple{"ARGV", 3 + numkeys, ctx.argc() - 3 - numkeys}}) {
    lua_createtable(L, static_cast<int>(count), 0);
    for (size_t i = 0; i < count; i++) {
      lua_pushlstring(L, ctx.arg(first + i).data(), ctx.arg(first + i).size());
      lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
    if (!function) lua_setfield(L, -2, field);
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
  // An error a redis.call produced was counted when it arose: the script's reply repeats it.
  // Fields are read raw: a table the script made may have a metatable whose __index raises
  // (return _G; error(setmetatable(...))), and nothing here runs under a protected call.
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
  // The garbage of one run is collected before the next (as Redis does between scripts).
  lua_gc(L, LUA_GCSTEP, 1);
}

int ScriptHost::LuaCall(lua_State* L, bool raise) {
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
  if (spec == nullptr) return fail("ERR Unknown Redis command called from script");
  const bool arity_ok = spec->arity > 0 ? run->argv.size() == static_cast<size_t>(spec->arity)
                                        : run->argv.size() >= static_cast<size_t>(-spec->arity);
  if (!arity_ok) return fail("ERR Wrong number of args calling Redis command from script");
  if (HasFlag(spec->flags, CommandFlag::kNoScript)) {
    return fail("ERR This Redis command is not allowed from script");
  }
  if (run->read_only && (HasFlag(spec->flags, CommandFlag::kWrite) ||
                         HasFlag(spec->flags, CommandFlag::kMayReplicate))) {
    return fail("ERR Write commands are not allowed from read-only scripts.");
  }
  // Past maxmemory a deny-oom command is refused unless the script may (allow-oom) or has
  // already written (it cannot be stopped half way), as in Redis.
  CommandFlag checked = spec->flags;
  if (run->allow_oom || run->wrote) {
    checked = static_cast<CommandFlag>(static_cast<uint32_t>(checked) &
                                       ~static_cast<uint32_t>(CommandFlag::kDenyOom));
  }
  if (std::string why =
          engine_.AccessError(run->session, checked, HasFlag(spec->flags, CommandFlag::kStale));
      !why.empty()) {
    return fail(why);
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

uint64_t ScriptHost::running_client() const { return run_ != nullptr ? run_->session.id : 0; }

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

void ScriptHost::OnHook(lua_State* L) {
  // A library's load code may not run long: Redis gives it 500 ms.
  constexpr int64_t kLoadTimeoutMs = 500;
  if (loading_ != nullptr && engine_.clock().NowMs() - load_started_ms_ > kLoadTimeoutMs) {
    luaL_error(L, "FUNCTION LOAD timeout");
    return;
  }
  Run* run = run_;
  if (run == nullptr) return;
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
  if (kill_requested_) {
    lua_newtable(L);
    lua_pushstring(L, run->function ? "ERR Script killed by user with FUNCTION KILL..."
                                    : "ERR Script killed by user with SCRIPT KILL...");
    lua_setfield(L, -2, "err");
    lua_error(L);
  }
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
