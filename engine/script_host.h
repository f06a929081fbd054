// ScriptHost: Lua scripting (DESIGN.md §11; docs/scripting.md). One Lua 5.1 state per
// engine, as in Redis, sandboxed: the base, table, string and math libraries plus cjson,
// bit, cmsgpack and struct, no file or process access, and globals protected (a script
// can neither create a global nor read a missing one).
//
// A script runs as its own client (a Session holding the caller's id and database) through
// the normal dispatcher: redis.call resolves the command, checks what Redis checks for a
// script (unknown command, arity, commands scripts may not run, writes from read-only
// scripts, writes refused by the server's state), runs it and turns its RESP reply into Lua
// values. The script's writes are one atomic group (Engine::BeginGroup): replicas and the
// log get their effects (Redis 7's effect replication), never the script. math.random
// draws from a generator seeded by the server's (whose seed the trace header records), so
// trace replay reproduces the draws. A script past busy-reply-threshold is busy: a count
// hook lets the server serve other clients (-BUSY) and SCRIPT KILL. Loop thread only.
// The Lua state is built in script_sandbox.cc; FUNCTION libraries live in script_functions.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/command_context.h"
#include "engine/session.h"

struct lua_State;

namespace tidekv::engine {

class Engine;

// A script's shebang flags ("#!lua flags=no-writes,allow-oom"): Redis 7's.
struct ScriptFlags {
  bool shebang = false;  // declared with "#!lua": flags are strict (no compat mode)
  bool no_writes = false;
  bool allow_oom = false;
  bool allow_stale = false;
  bool no_cluster = false;
  bool allow_cross_slot_keys = false;
};

// The flag names, in Redis 7's order (FUNCTION LIST shows them in it).
inline constexpr std::pair<std::string_view, bool ScriptFlags::*> kScriptFlagNames[] = {
    {"no-writes", &ScriptFlags::no_writes},
    {"allow-oom", &ScriptFlags::allow_oom},
    {"allow-stale", &ScriptFlags::allow_stale},
    {"no-cluster", &ScriptFlags::no_cluster},
    {"allow-cross-slot-keys", &ScriptFlags::allow_cross_slot_keys},
};
// Sets the flag called `name` (a shebang's flags are case-sensitive, a function's are not);
// false when no flag has that name.
bool SetScriptFlag(std::string_view name, bool ignore_case, ScriptFlags* flags);

class ScriptHost {
 public:
  explicit ScriptHost(Engine& engine);
  ~ScriptHost();
  ScriptHost(const ScriptHost&) = delete;
  ScriptHost& operator=(const ScriptHost&) = delete;

  // SCRIPT LOAD / EVAL's compile step: the script's SHA-1 (lower-case hex) once compiled
  // and cached, or false with *error set (Redis's wording) when it does not compile.
  bool Load(std::string_view body, std::string* sha, std::string* error);
  bool Exists(std::string_view sha) const;
  // SCRIPT FLUSH: forgets every script and starts a fresh Lua state.
  void Flush();
  size_t cached_scripts() const { return scripts_.size(); }
  // Bytes the Lua state uses (INFO used_memory_lua).
  size_t memory_bytes() const;

  // EVAL / EVALSHA / EVAL_RO / EVALSHA_RO: runs the script named by `script` (its body, or
  // its SHA-1 when by_sha) with ctx's keys (numkeys at argv[2]) and arguments, and writes
  // its reply to ctx.reply.
  void Eval(CommandContext& ctx, bool by_sha, bool read_only);

  // EVAL / EVALSHA / FCALL (CommandSpec::may_write): whether running the script given by
  // its body, its SHA-1 or its function name may write, i.e. it does not declare no-writes.
  // False for an unknown script or function, or a shebang that does not parse: those fail
  // without running.
  enum class Source { kBody, kSha, kFunction };
  bool MayWrite(Source source, std::string_view script) const;

  // Whether a script is running now (a nested EVAL is refused), and whether it is an EVAL
  // rather than a function.
  bool running() const { return run_ != nullptr; }
  bool running_eval() const;
  // Busy: the running script passed busy-reply-threshold; other clients get -BUSY (the
  // text says which KILL applies) until it ends.
  bool busy() const { return busy_; }
  uint64_t running_client() const;
  // When `session` is the running script's own client: the command that runs the script
  // (EVAL, FCALL...), whose client and declared keys client tracking uses. nullptr otherwise.
  const CommandContext* CallerOf(const Session& session) const;
  std::string_view BusyError() const;
  // FUNCTION STATS: the running script's name, its command and how long it has run; false
  // when none runs.
  bool RunningInfo(std::string* name, std::vector<std::string>* argv, int64_t* ms) const;
  // SCRIPT KILL / FUNCTION KILL: the reply's error ("" = killed: the script ends with an
  // error at its next check, even inside pcall). Refused once the script wrote.
  std::string Kill(bool function);
  // SHUTDOWN NOSAVE while busy: ends the script whatever it did, and drops its effects (they
  // never reach the log or replicas; the process exits without saving).
  void ForceKill();
  void OnHook(lua_State* L);
  bool kill_requested() const { return kill_requested_; }
  // Trace replay (tools/replay.cc): a script that SCRIPT KILL, FUNCTION KILL or SHUTDOWN
  // NOSAVE ended when it was recorded ends the same way when replayed, once `nested` nested
  // records have run since set_replay_kills (the records the trace holds before the
  // script's own: its calls, and for a script EXEC ran, the queued commands and other
  // scripts' calls before it): its next redis.call or VM check raises the kill, so the
  // replay runs exactly the recorded calls (the kill came at a check after the last of them
  // and before the next). Only a shutdown ends a script that wrote (dropping its effects),
  // so without `shutdown` a script that wrote is not ended. Kills apply in order, one script
  // each; the replayer sets them for one command and clears them after it.
  struct ReplayKill {
    uint64_t nested = 0;
    bool shutdown = false;
  };
  // A replay that diverged may never reach a kill point (the script makes fewer calls, then
  // spins): once `grace` of wall time has passed since this call, the running script ends
  // at its next check anyway, so the replay finishes and reports the difference.
  void set_replay_kills(std::vector<ReplayKill> kills,
                        std::chrono::steady_clock::duration grace = std::chrono::seconds(10));

  // ---- Functions (engine/script_functions.cc): libraries of named Lua functions ----
  // FUNCTION LOAD [REPLACE]: the library's name, or false with *error (Redis's wording).
  // Library names are case-sensitive, function names are not (as in Redis 7).
  bool LoadLibrary(std::string_view code, bool replace, std::string* name, std::string* error);
  bool DeleteLibrary(std::string_view name);
  void FlushFunctions();
  // FCALL / FCALL_RO.
  void Fcall(CommandContext& ctx, bool read_only);
  // FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern] (no pattern: every library; the pattern
  // ignores case).
  void ListLibraries(proto::ReplyBuilder& reply, std::optional<std::string_view> pattern,
                     bool with_code) const;
  // FUNCTION DUMP / RESTORE: every library's code in one checksummed payload (also what a
  // seal stores, engine-independent of the Lua state). policy: "APPEND", "REPLACE", "FLUSH".
  // A restore that fails leaves the libraries as they were.
  std::string DumpFunctions() const;
  bool RestoreFunctions(std::string_view payload, std::string_view policy, std::string* error);
  size_t library_count() const { return libraries_.size(); }
  size_t function_count() const { return functions_.size(); }
  // Changes with every change to the libraries (a seal stores them when it moved).
  uint64_t functions_version() const { return functions_version_; }

  // Used by the Lua side (redis.call and friends); public for the C callbacks only.
  struct Run;
  int LuaRegisterFunction(lua_State* L);
  // redis.call (raise) and redis.pcall; with acl_check_only, redis.acl_check_cmd: whether
  // the script's user may run the command, without running it.
  int LuaCall(lua_State* L, bool raise, bool acl_check_only = false);
  int LuaSetResp(lua_State* L);
  int LuaSetRepl(lua_State* L);
  int LuaLog(lua_State* L);
  // Replay kills (ReplayKill): requests the kill of `run` when its point has come.
  void ReplayKillIfDue(Run& run);
  // Raises the error a killed script ends with (at every check, so pcall cannot catch it).
  static int RaiseKilled(lua_State* L, const Run& run);

  // The chunk names errors report ("on @user_script:1").
  static constexpr const char* kScriptChunk = "@user_script";
  static constexpr const char* kFunctionChunk = "@user_function";

 private:
  struct Script {
    std::string body;
    ScriptFlags flags;
    int ref = 0;  // the compiled function in the Lua registry
  };
  struct Function {
    std::string name;  // as registered (the key of functions_ is its lower-case form)
    std::string library;
    ScriptFlags flags;
    std::string description;
    int ref = 0;
  };
  struct Library {
    std::string code;
    std::vector<std::string> functions;
    int env_ref = 0;  // the library's global environment
  };
  struct Loading;  // a FUNCTION LOAD in progress
  // numkeys at argv[2]; false after replying the error (FCALL words a non-number its own way).
  bool CheckNumKeys(CommandContext& ctx, bool fcall, size_t* numkeys);
  // Runs the function at registry ref as EVAL (KEYS/ARGV globals) or as FCALL (arguments).
  void Invoke(CommandContext& ctx, int ref, const ScriptFlags& flags, const std::string& name,
              size_t numkeys, bool read_only, bool function);
  void DropLibrary(const std::string& name);
  void Open();
  void Close();
  // Compiles body (its shebang line removed) into a cached script.
  bool Compile(const std::string& sha, std::string_view body, std::string* error);

  Engine& engine_;
  lua_State* L_ = nullptr;
  static constexpr int kGcPeriod = 50;
  int runs_since_gc_ = 0;  // script and function runs since the last extra GC steps
  std::unordered_map<std::string, Script> scripts_;
  std::map<std::string, Library> libraries_;
  std::unordered_map<std::string, Function> functions_;
  uint64_t functions_version_ = 0;
  Loading* loading_ = nullptr;
  Run* run_ = nullptr;
  bool busy_ = false;
  bool kill_requested_ = false;
  std::vector<ReplayKill> replay_kills_;                   // ascending `nested`
  uint64_t replay_base_ = 0;                               // nested_executed() when they were set
  std::chrono::steady_clock::time_point replay_deadline_;  // set_replay_kills's grace
  bool force_killed_ = false;
  int64_t load_started_ms_ = 0;  // when the running FUNCTION LOAD began
};

// Parses a shebang line's flags; false with *error set for an unknown flag or engine.
bool ParseScriptFlags(std::string_view body, ScriptFlags* flags, size_t* body_start,
                      std::string* error);

}  // namespace tidekv::engine
