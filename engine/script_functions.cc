// Functions (Redis 7): FUNCTION LOAD runs a library's code once, in an environment where
// redis.register_function records its functions; FCALL runs one of them with (KEYS, ARGV).
// Libraries persist with the data (a seal stores DumpFunctions' payload) and replicate as
// the FUNCTION commands' effects.
#include <fmt/format.h>

#include <lua.hpp>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/strings.h"
#include "engine/engine.h"
#include "engine/script_host.h"

namespace tidekv::engine {

namespace {

constexpr const char* kLibraryChunkName = "@user_function";
constexpr std::string_view kDumpMagic = "TKVFN1";

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The library name from "#!lua name=<name>" (the first line); false with *error.
bool ParseLibraryHeader(std::string_view code, std::string* name, size_t* body_start,
                        std::string* error) {
  if (!code.starts_with("#!")) {
    *error = "ERR Missing library metadata";
    return false;
  }
  const size_t eol = code.find('\n');
  const std::string_view line = code.substr(2, eol == std::string_view::npos ? eol : eol - 2);
  *body_start = eol == std::string_view::npos ? code.size() : eol;
  std::vector<std::string_view> parts;
  for (std::string_view rest = line; !rest.empty();) {
    const size_t space = rest.find(' ');
    if (space != 0) parts.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  if (parts.empty() || AsciiLower(parts[0]) != "lua") {
    *error = fmt::format("ERR Engine '{}' not found", parts.empty() ? "" : parts[0]);
    return false;
  }
  name->clear();
  for (size_t i = 1; i < parts.size(); i++) {
    if (!parts[i].starts_with("name=")) {
      *error = fmt::format("ERR Invalid metadata value given: {}", parts[i]);
      return false;
    }
    *name = std::string(parts[i].substr(5));
  }
  if (name->empty()) {
    *error = "ERR Library name was not given";
    return false;
  }
  if (!ValidName(*name)) {
    *error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return false;
  }
  return true;
}

}  // namespace

struct ScriptHost::Loading {
  std::vector<std::pair<std::string, Function>> functions;
};

int ScriptHost::LuaRegisterFunction(lua_State* L) {
  if (loading_ == nullptr) {
    return luaL_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  Function f;
  f.flags.shebang = true;  // functions always declare their flags (none: may write)
  std::string name;
  int callback = 0;
  if (lua_gettop(L) == 1 && lua_istable(L, 1)) {
    lua_getfield(L, 1, "function_name");
    if (const char* s = lua_tostring(L, -1)) name = s;
    lua_getfield(L, 1, "callback");
    callback = lua_gettop(L);
    lua_getfield(L, 1, "description");
    if (const char* s = lua_tostring(L, -1)) f.description = s;
    lua_getfield(L, 1, "flags");
    if (lua_istable(L, -1)) {
      for (int i = 1;; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          break;
        }
        const std::string_view flag = lua_tostring(L, -1) != nullptr ? lua_tostring(L, -1) : "";
        if (flag == "no-writes") {
          f.flags.no_writes = true;
        } else if (flag == "allow-oom") {
          f.flags.allow_oom = true;
        } else if (flag == "allow-stale") {
          f.flags.allow_stale = true;
        } else if (flag == "no-cluster") {
          f.flags.no_cluster = true;
        } else if (flag == "allow-cross-slot-keys") {
          f.flags.allow_cross_slot_keys = true;
        } else {
          return luaL_error(L, "unknown flag given");
        }
        lua_pop(L, 1);
      }
    }
  } else if (lua_gettop(L) == 2) {
    if (lua_type(L, 1) != LUA_TSTRING) {
      return luaL_error(L, "first argument to redis.register_function must be a string");
    }
    name = lua_tostring(L, 1);
    if (!lua_isfunction(L, 2)) {
      return luaL_error(L, "second argument to redis.register_function must be a function");
    }
    callback = 2;
  } else if (lua_gettop(L) == 1) {
    return luaL_error(L,
                      "calling redis.register_function with a single argument is only "
                      "applicable to Lua table (representing named arguments).");
  } else {
    return luaL_error(L, "wrong number of arguments to redis.register_function");
  }
  if (!ValidName(name)) {
    return luaL_error(L,
                      "Function names can only contain letters, numbers, or underscores(_) and "
                      "must be at least one character long");
  }
  if (!lua_isfunction(L, callback)) return luaL_error(L, "callback must be a function");
  for (const auto& [existing, unused] : loading_->functions) {
    if (existing == name) return luaL_error(L, "Function already exists in the library");
  }
  lua_pushvalue(L, callback);
  f.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  loading_->functions.emplace_back(AsciiLower(name), std::move(f));
  return 0;
}

bool ScriptHost::LoadLibrary(std::string_view code, bool replace, std::string* name,
                             std::string* error) {
  size_t start = 0;
  if (!ParseLibraryHeader(code, name, &start, error)) return false;
  // Library and function names are case-insensitive, as in Redis 7.
  *name = AsciiLower(*name);
  if (!replace && libraries_.contains(*name)) {
    *error = fmt::format("ERR Library '{}' already exists", *name);
    return false;
  }
  lua_State* L = L_;
  const std::string_view body = code.substr(start);
  if (luaL_loadbuffer(L, body.data(), body.size(), kLibraryChunkName) != 0) {
    *error = fmt::format("ERR Error compiling function: {}", lua_tostring(L, -1));
    lua_settop(L, 0);
    return false;
  }
  const int chunk = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "tidekv.make_env");
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_getfield(L, LUA_REGISTRYINDEX, "tidekv.load_redis");
  lua_call(L, 2, 2);  // env, end-of-load
  lua_pushvalue(L, -2);
  lua_setfenv(L, chunk);
  Loading loading;
  loading_ = &loading;
  load_started_ms_ = engine_.clock().NowMs();
  lua_pushvalue(L, chunk);
  const int status = lua_pcall(L, 0, 0, 0);
  loading_ = nullptr;
  auto drop_loaded = [&] {
    for (auto& [fname, f] : loading.functions) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
  };
  if (status != 0) {
    *error = fmt::format("ERR Error registering functions: {}",
                         lua_tostring(L, -1) != nullptr ? lua_tostring(L, -1) : "?");
    drop_loaded();
    lua_settop(L, 0);
    return false;
  }
  if (loading.functions.empty()) {
    *error = "ERR No functions registered";
    lua_settop(L, 0);
    return false;
  }
  for (const auto& [fname, f] : loading.functions) {
    auto it = functions_.find(fname);
    if (it != functions_.end() && it->second.library != *name) {
      *error = fmt::format("ERR Function {} already exists", fname);
      drop_loaded();
      lua_settop(L, 0);
      return false;
    }
  }
  lua_call(L, 0, 0);  // end of the load: `redis` is the full API from now on
  if (libraries_.contains(*name)) DropLibrary(*name);
  Library library;
  library.code = std::string(code);
  library.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);  // the environment, left on top
  for (auto& [fname, f] : loading.functions) {
    f.library = *name;
    library.functions.push_back(fname);
    functions_.emplace(fname, std::move(f));
  }
  libraries_.emplace(*name, std::move(library));
  functions_version_++;
  lua_settop(L, 0);
  return true;
}

void ScriptHost::DropLibrary(const std::string& name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return;
  for (const std::string& fname : it->second.functions) {
    auto f = functions_.find(fname);
    if (f != functions_.end()) {
      luaL_unref(L_, LUA_REGISTRYINDEX, f->second.ref);
      functions_.erase(f);
    }
  }
  luaL_unref(L_, LUA_REGISTRYINDEX, it->second.env_ref);
  libraries_.erase(it);
}

bool ScriptHost::DeleteLibrary(std::string_view name) {
  const std::string key = AsciiLower(name);
  if (!libraries_.contains(key)) return false;
  DropLibrary(key);
  functions_version_++;
  return true;
}

void ScriptHost::FlushFunctions() {
  while (!libraries_.empty()) DropLibrary(libraries_.begin()->first);
  functions_version_++;
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

void ScriptHost::Fcall(CommandContext& ctx, bool read_only) {
  if (run_ != nullptr) return ctx.Error("ERR This Redis command is not allowed from script");
  auto it = functions_.find(AsciiLower(ctx.arg(1)));
  if (it == functions_.end()) return ctx.Error("ERR Function not found");
  size_t numkeys = 0;
  if (!CheckNumKeys(ctx, &numkeys)) return;
  const Function f = it->second;  // a copy: the function may not outlive a FUNCTION call
  Invoke(ctx, f.ref, f.flags, std::string(ctx.arg(1)), numkeys, read_only, true);
}

void ScriptHost::ListLibraries(proto::ReplyBuilder& reply, std::string_view pattern,
                               bool with_code) const {
  std::vector<const std::pair<const std::string, Library>*> shown;
  for (const auto& entry : libraries_) {
    if (pattern.empty() || GlobMatch(pattern, entry.first)) shown.push_back(&entry);
  }
  reply.Array(shown.size());
  for (const auto* entry : shown) {
    const Library& library = entry->second;
    reply.Map(with_code ? 4 : 3);
    reply.Bulk("library_name");
    reply.Bulk(entry->first);
    reply.Bulk("engine");
    reply.Bulk("LUA");
    reply.Bulk("functions");
    reply.Array(library.functions.size());
    for (const std::string& fname : library.functions) {
      const Function& f = functions_.at(fname);
      reply.Map(3);
      reply.Bulk("name");
      reply.Bulk(fname);
      reply.Bulk("description");
      if (f.description.empty()) {
        reply.Null();
      } else {
        reply.Bulk(f.description);
      }
      std::vector<std::string_view> flags;
      if (f.flags.no_writes) flags.push_back("no-writes");
      if (f.flags.allow_oom) flags.push_back("allow-oom");
      if (f.flags.allow_stale) flags.push_back("allow-stale");
      if (f.flags.no_cluster) flags.push_back("no-cluster");
      if (f.flags.allow_cross_slot_keys) flags.push_back("allow-cross-slot-keys");
      reply.Bulk("flags");
      reply.Set(flags.size());
      for (std::string_view flag : flags) reply.Bulk(flag);
    }
    if (with_code) {
      reply.Bulk("library_code");
      reply.Bulk(library.code);
    }
  }
}

// [magic "TKVFN1"][varint count][count x length-prefixed code][fixed32 crc32c of all before]
std::string ScriptHost::DumpFunctions() const {
  std::string out(kDumpMagic);
  PutVarint64(&out, libraries_.size());
  for (const auto& [name, library] : libraries_) PutLengthPrefixed(&out, library.code);
  const uint32_t crc = Crc32c(out);
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

bool ScriptHost::RestoreFunctions(std::string_view payload, std::string_view policy,
                                  std::string* error) {
  std::vector<std::string_view> codes;
  bool ok = payload.size() >= kDumpMagic.size() + 4 && payload.starts_with(kDumpMagic);
  if (ok) {
    const std::string_view body = payload.substr(0, payload.size() - 4);
    std::string_view crc_bytes = payload.substr(payload.size() - 4);
    uint32_t crc = 0;
    ok = GetFixed32(&crc_bytes, &crc) && crc == Crc32c(body);
    std::string_view in = body.substr(kDumpMagic.size());
    uint64_t count = 0;
    ok = ok && GetVarint64(&in, &count) && count <= in.size();
    for (uint64_t i = 0; ok && i < count; i++) {
      std::string_view code;
      ok = GetLengthPrefixed(&in, &code);
      codes.push_back(code);
    }
    ok = ok && in.empty();
  }
  if (!ok) {
    *error = "ERR payload version or checksum are wrong";
    return false;
  }
  if (policy == "APPEND") {
    // All or nothing: no library of the payload may exist already.
    for (std::string_view code : codes) {
      std::string name;
      size_t start = 0;
      if (ParseLibraryHeader(code, &name, &start, error) && libraries_.contains(AsciiLower(name))) {
        *error = fmt::format("ERR Library {} already exists", name);
        return false;
      }
    }
  }
  if (policy == "FLUSH") FlushFunctions();
  for (std::string_view code : codes) {
    std::string name;
    if (!LoadLibrary(code, policy != "APPEND", &name, error)) return false;
  }
  functions_version_++;
  return true;
}

}  // namespace tidekv::engine
