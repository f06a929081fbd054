// ScriptHost::Open: the Lua state scripts and functions run in (docs/scripting.md, "The
// sandbox"): the libraries, the redis.* API, math.random's generator, the hook that makes a
// busy script killable, and the read-only globals with a library's load-time environment.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <lua.hpp>
#include <span>

#include "common/check.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/version.h"
#include "engine/script_host.h"
#include "lua/libs.h"
#include "types/value.h"

namespace tidekv::engine {

namespace {

ScriptHost* HostOf(lua_State* L) {
  return static_cast<ScriptHost*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int Call(lua_State* L) { return HostOf(L)->LuaCall(L, true); }
int PCall(lua_State* L) { return HostOf(L)->LuaCall(L, false); }
int AclCheckCmd(lua_State* L) { return HostOf(L)->LuaCall(L, true, /*acl_check_only=*/true); }
int SetResp(lua_State* L) { return HostOf(L)->LuaSetResp(L); }
int SetRepl(lua_State* L) { return HostOf(L)->LuaSetRepl(L); }
int Log(lua_State* L) { return HostOf(L)->LuaLog(L); }
int RegisterFunction(lua_State* L) { return HostOf(L)->LuaRegisterFunction(L); }

// redis.REDIS_VERSION_NUM: the compatible version as 0x00MMmmpp.
int RedisVersionNum() {
  int num = 0;
  std::string_view rest = kRedisCompatVersion;
  for (int part = 0; part < 3; part++) {
    const size_t dot = rest.find('.');
    num = (num << 8) | static_cast<int>(ParseInt64(rest.substr(0, dot)).value_or(0));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  return num;
}

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

// The error handler every run goes through (as Redis's): an error becomes a table with
// `err` ("ERR " added to a plain message) plus where it happened.
int ErrorHandler(lua_State* L) {
  // Where in the user's script it happened: the innermost frame of the script's own chunk
  // (an error raised by redis.call or by the global protection is reported at its caller).
  lua_Debug ar;
  bool have = false;
  for (int level = 1; level < 64 && lua_getstack(L, level, &ar) != 0; level++) {
    if (lua_getinfo(L, "Sl", &ar) != 0 &&
        (std::string_view(ar.source) == ScriptHost::kScriptChunk ||
         std::string_view(ar.source) == ScriptHost::kFunctionChunk)) {
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
// an empty proxy whose reads go to t and whose writes fail. Returns the scripts' globals
// (a proxy), the real table behind them, and make_env, which makes a library's environment.
//
// A library's environment reads the globals once its load is over. While FUNCTION LOAD runs
// the library's code it reads only `redis`, holding the load-time API (load_api: no
// redis.call, no other library), and any other name is missing, as in Redis 7. Whatever the
// code keeps of the load-time `redis` stays read-only.
constexpr const char* kProtect = R"lua(
local real_G, readonly_error, missing_error, load_api = ...
local rawset_ = rawset
local setmetatable_ = setmetatable
local protected = setmetatable_({}, {__mode = 'k'})  -- weak: libraries' tables come and go
local function deny() error(readonly_error, 2) end
local function missing(_, k) error(string.format(missing_error, tostring(k)), 2) end
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
                       'math', 'coroutine'}) do
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
setmetatable_(G, {__index = missing})
local P = proxy(G)
G._G = P

local load_redis = {}
for k, v in pairs(load_api) do load_redis[k] = v end
setmetatable_(load_redis, {__index = missing})
local load_G = setmetatable_({redis = proxy(load_redis)}, {__index = missing})
local LP = proxy(load_G)
local function make_env()
  local E = {}
  protected[E] = true
  local mt = {__index = LP, __newindex = deny, __metatable = false}
  setmetatable_(E, mt)
  return E, function() mt.__index = P end
end
return P, G, make_env
)lua";

}  // namespace

void ScriptHost::Open() {
  L_ = luaL_newstate();
  lua_State* L = L_;
  const std::pair<const char*, lua_CFunction> libs[] = {
      {"", luaopen_base},
      {LUA_TABLIBNAME, luaopen_table},
      {LUA_STRLIBNAME, luaopen_string},
      {LUA_MATHLIBNAME, luaopen_math},
      // No debug library: as in Redis 7.0 scripts have no `debug`, whose getmetatable,
      // setmetatable and getregistry would reach the real globals and the registry (and let
      // a script make the host's own table accesses raise outside a protected call).
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

  // A `redis` table: the functions given (each bound to this host), the log levels, the
  // version, and (for scripts) the replication flags.
  using Api = std::span<const std::pair<const char*, lua_CFunction>>;
  auto push_redis_table = [&](Api functions, bool with_repl) {
    lua_newtable(L);
    for (const auto& [name, fn] : functions) {
      lua_pushlightuserdata(L, this);
      lua_pushcclosure(L, fn, 1);
      lua_setfield(L, -2, name);
    }
    const std::pair<const char*, int> levels[] = {
        {"LOG_DEBUG", 0}, {"LOG_VERBOSE", 1}, {"LOG_NOTICE", 2}, {"LOG_WARNING", 3}};
    const std::pair<const char*, int> repl[] = {
        {"REPL_NONE", 0}, {"REPL_AOF", 1}, {"REPL_SLAVE", 2}, {"REPL_REPLICA", 2}, {"REPL_ALL", 3}};
    for (const auto& [name, value] : levels) {
      lua_pushinteger(L, value);
      lua_setfield(L, -2, name);
    }
    for (const auto& [name, value] : repl) {
      if (!with_repl) break;
      lua_pushinteger(L, value);
      lua_setfield(L, -2, name);
    }
    lua_pushlstring(L, kRedisCompatVersion.data(), kRedisCompatVersion.size());
    lua_setfield(L, -2, "REDIS_VERSION");
    lua_pushinteger(L, RedisVersionNum());
    lua_setfield(L, -2, "REDIS_VERSION_NUM");
  };
  const std::pair<const char*, lua_CFunction> api[] = {
      {"call", Call},
      {"pcall", PCall},
      {"acl_check_cmd", AclCheckCmd},
      {"setresp", SetResp},
      {"set_repl", SetRepl},
      {"log", Log},
      {"sha1hex", Sha1Hex},
      {"error_reply", LuaErrorReply},
      {"status_reply", LuaStatusReply},
      {"replicate_commands", ReturnTrue},
  };
  push_redis_table(api, true);
  lua_setglobal(L, "redis");

  lua_pushcfunction(L, ErrorHandler);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.error_handler");
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.host");
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  // math.random: seeded once from the server's seeded generator (the trace header records
  // its seed, so a replay draws the same numbers), then a sequence across all runs.
  SeedRandom(static_cast<int32_t>(types::Rng()()));

  // Protect the globals: scripts get a read-only proxy as their global table. What a
  // library sees while FUNCTION LOAD runs it is only redis.register_function, redis.log and
  // the constants (redis.call is not there yet), through an environment of its own.
  TIDEKV_CHECK(luaL_loadbuffer(L, kProtect, std::strlen(kProtect), "=protect") == 0);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushstring(L, "Attempt to modify a readonly table");
  lua_pushstring(L, "Script attempted to access nonexistent global variable '%s'");
  const std::pair<const char*, lua_CFunction> load_api[] = {{"register_function", RegisterFunction},
                                                            {"log", Log}};
  push_redis_table(load_api, false);
  lua_call(L, 4, 3);
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.make_env");
  lua_setfield(L, LUA_REGISTRYINDEX, "tidekv.globals");  // the real table (KEYS, ARGV)
  lua_replace(L, LUA_GLOBALSINDEX);                      // the proxy
}

}  // namespace tidekv::engine
