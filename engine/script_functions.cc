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
#include "proto/resp.h"

namespace tidekv::engine {

namespace {

constexpr std::string_view kDumpMagic = "TKVFN1";
// Redis 7.0 gives this text for a bad function name too.
constexpr const char* kBadName =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least "
    "one character long";

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A library's first line, "#!<engine> name=<name>": its words are split as Redis splits an
// inline command (so name="x" is x).
struct LibraryHeader {
  std::string name;
  size_t body_start = 0;  // the code after the first line (from its newline, so line
                          // numbers in errors count the header line)
};

bool ParseLibraryHeader(std::string_view code, LibraryHeader* header, std::string* error) {
  if (!code.starts_with("#!")) {
    *error = "ERR Missing library metadata";
    return false;
  }
  const size_t eol = code.find('\n');
  std::vector<std::string_view> words;
  proto::RequestParser splitter;
  size_t consumed = 0;
  if (eol == std::string_view::npos ||
      splitter.Parse(code.substr(0, eol + 1), &words, &consumed) != proto::ParseStatus::kComplete) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  header->body_start = eol;
  const std::string_view engine = words[0].substr(std::min<size_t>(2, words[0].size()));
  std::optional<std::string_view> name;
  for (size_t i = 1; i < words.size(); i++) {
    if (words[i].size() < 5 || !EqualsIgnoreCase(words[i].substr(0, 5), "name=")) {
      *error = fmt::format("ERR Invalid metadata value given: {}", words[i]);
      return false;
    }
    if (name) {
      *error = "ERR Invalid metadata value, name argument was given multiple times";
      return false;
    }
    name = words[i].substr(5);
  }
  if (!name) {
    *error = "ERR Library name was not given";
    return false;
  }
  if (!ValidName(*name)) {
    *error = fmt::format("ERR {}", kBadName);
    return false;
  }
  if (!EqualsIgnoreCase(engine, "lua")) {
    *error = fmt::format("ERR Engine '{}' not found", engine);
    return false;
  }
  header->name = std::string(*name);
  return true;
}

// A string argument of redis.register_function (a number is one too, as Lua converts it).
bool StringAt(lua_State* L, int index, std::string* out) {
  const int type = lua_type(L, index);
  if (type != LUA_TSTRING && type != LUA_TNUMBER) return false;
  lua_pushvalue(L, index);  // converting a copy keeps a table key lua_next can still use
  size_t n = 0;
  const char* s = lua_tolstring(L, -1, &n);
  out->assign(s, n);
  lua_pop(L, 1);
  return true;
}

// The flags table at the top of the stack: "" or the error.
std::string ReadFunctionFlags(lua_State* L, ScriptFlags* flags) {
  if (!lua_istable(L, -1)) {
    return "flags argument to redis.register_function must be a table representing function "
           "flags";
  }
  for (int i = 1;; i++) {
    lua_rawgeti(L, -1, i);
    std::string flag;
    const bool end = lua_isnil(L, -1);
    const bool known = !end && StringAt(L, -1, &flag) && SetScriptFlag(flag, true, flags);
    lua_pop(L, 1);
    if (end) return {};
    if (!known) return "unknown flag given";
  }
}

}  // namespace

struct ScriptHost::Loading {
  // By lower-case name (function names are case-insensitive), in registration order.
  std::vector<std::pair<std::string, Function>> functions;
};

// redis.register_function(name, callback) or redis.register_function{function_name=...,
// callback=..., flags={...}, description=...}, with Redis 7's checks and messages.
int ScriptHost::LuaRegisterFunction(lua_State* L) {
  if (loading_ == nullptr) {
    return luaL_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  Function f;
  f.flags.shebang = true;  // functions always declare their flags (none: may write)
  bool have_name = false;
  int callback = LUA_NOREF;  // the callback, in the registry
  std::string error;
  const int argc = lua_gettop(L);
  if (argc == 1 && lua_istable(L, 1)) {
    lua_pushnil(L);
    while (error.empty() && lua_next(L, 1) != 0) {
      // Stack: the table, the key, the value.
      const std::string_view key =
          lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : std::string_view();
      if (lua_type(L, -2) != LUA_TSTRING && lua_type(L, -2) != LUA_TNUMBER) {
        error = "named argument key given to redis.register_function is not a string";
      } else if (EqualsIgnoreCase(key, "function_name")) {
        have_name = StringAt(L, -1, &f.name);
        if (!have_name) {
          error = "function_name argument given to redis.register_function must be a string";
        }
      } else if (EqualsIgnoreCase(key, "description")) {
        if (!StringAt(L, -1, &f.description)) {
          error = "description argument given to redis.register_function must be a string";
        }
      } else if (EqualsIgnoreCase(key, "callback")) {
        if (lua_isfunction(L, -1)) {
          lua_pushvalue(L, -1);
          callback = luaL_ref(L, LUA_REGISTRYINDEX);
        } else {
          error = "callback argument given to redis.register_function must be a function";
        }
      } else if (EqualsIgnoreCase(key, "flags")) {
        error = ReadFunctionFlags(L, &f.flags);
      } else {
        error = "unknown argument given to redis.register_function";
      }
      lua_pop(L, 1);  // the value; the key stays for lua_next
    }
    if (error.empty() && !have_name) {
      error = "redis.register_function must get a function name argument";
    } else if (error.empty() && callback == LUA_NOREF) {
      error = "redis.register_function must get a callback argument";
    }
  } else if (argc == 1) {
    error =
        "calling redis.register_function with a single argument is only applicable to Lua table "
        "(representing named arguments).";
  } else if (argc == 2) {
    if (!StringAt(L, 1, &f.name)) {
      error = "first argument to redis.register_function must be a string";
    } else if (!lua_isfunction(L, 2)) {
      error = "second argument to redis.register_function must be a function";
    } else {
      lua_pushvalue(L, 2);
      callback = luaL_ref(L, LUA_REGISTRYINDEX);
    }
  } else {
    error = "wrong number of arguments to redis.register_function";
  }
  const std::string key = AsciiLower(f.name);
  if (error.empty() && !ValidName(f.name)) error = kBadName;
  if (error.empty()) {
    for (const auto& [existing, unused] : loading_->functions) {
      if (existing == key) error = "Function already exists in the library";
    }
  }
  if (!error.empty()) {
    luaL_unref(L, LUA_REGISTRYINDEX, callback);
    return luaL_error(L, "%s", error.c_str());
  }
  f.ref = callback;
  loading_->functions.emplace_back(key, std::move(f));
  return 0;
}

bool ScriptHost::LoadLibrary(std::string_view code, bool replace, std::string* name,
                             std::string* error) {
  LibraryHeader header;
  if (!ParseLibraryHeader(code, &header, error)) return false;
  *name = header.name;
  if (!replace && libraries_.contains(*name)) {
    *error = fmt::format("ERR Library '{}' already exists", *name);
    return false;
  }
  lua_State* L = L_;
  const std::string_view body = code.substr(header.body_start);
  if (luaL_loadbuffer(L, body.data(), body.size(), kFunctionChunk) != 0) {
    *error = fmt::format("ERR Error compiling function: {}", lua_tostring(L, -1));
    lua_settop(L, 0);
    return false;
  }
  const int chunk = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "tidekv.make_env");
  lua_call(L, 0, 2);  // env, end-of-load
  lua_pushvalue(L, -2);
  lua_setfenv(L, chunk);
  Loading loading;
  loading_ = &loading;
  load_started_ms_ = engine_.clock().NowMs();
  lua_pushvalue(L, chunk);
  const int status = lua_pcall(L, 0, 0, 0);
  loading_ = nullptr;
  auto fail = [&](std::string message) {
    *error = std::move(message);
    for (auto& [key, f] : loading.functions) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
    lua_settop(L, 0);
    return false;
  };
  if (status != 0) {
    return fail(fmt::format("ERR Error registering functions: {}",
                            lua_tostring(L, -1) != nullptr ? lua_tostring(L, -1) : "?"));
  }
  if (loading.functions.empty()) return fail("ERR No functions registered");
  for (const auto& [key, f] : loading.functions) {
    auto it = functions_.find(key);
    if (it != functions_.end() && it->second.library != *name) {
      return fail(fmt::format("ERR Function {} already exists", f.name));
    }
  }
  lua_call(L, 0, 0);  // end of the load: the environment reads the globals from now on
  if (libraries_.contains(*name)) DropLibrary(*name);
  Library library;
  library.code = std::string(code);
  library.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);  // the environment, left on top
  for (auto& [key, f] : loading.functions) {
    f.library = *name;
    library.functions.push_back(key);
    functions_.emplace(key, std::move(f));
  }
  libraries_.emplace(*name, std::move(library));
  functions_version_++;
  lua_settop(L, 0);
  return true;
}

void ScriptHost::DropLibrary(const std::string& name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return;
  for (const std::string& key : it->second.functions) {
    auto f = functions_.find(key);
    if (f != functions_.end()) {
      luaL_unref(L_, LUA_REGISTRYINDEX, f->second.ref);
      functions_.erase(f);
    }
  }
  luaL_unref(L_, LUA_REGISTRYINDEX, it->second.env_ref);
  libraries_.erase(it);
}

bool ScriptHost::DeleteLibrary(std::string_view name) {
  const std::string key(name);
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
  if (!CheckNumKeys(ctx, true, &numkeys)) return;
  const Function f = it->second;  // a copy: the function may not outlive a FUNCTION call
  Invoke(ctx, f.ref, f.flags, f.name, numkeys, read_only, true);
}

void ScriptHost::ListLibraries(proto::ReplyBuilder& reply, std::optional<std::string_view> pattern,
                               bool with_code) const {
  std::vector<const std::pair<const std::string, Library>*> shown;
  for (const auto& entry : libraries_) {
    if (!pattern || GlobMatch(*pattern, entry.first, true)) shown.push_back(&entry);
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
    for (const std::string& key : library.functions) {
      const Function& f = functions_.at(key);
      reply.Map(3);
      reply.Bulk("name");
      reply.Bulk(f.name);
      reply.Bulk("description");
      if (f.description.empty()) {
        reply.Null();
      } else {
        reply.Bulk(f.description);
      }
      std::vector<std::string_view> flags;
      for (const auto& [flag, member] : kScriptFlagNames) {
        if (f.flags.*member) flags.push_back(flag);
      }
      reply.Bulk("flags");
      reply.Set(flags.size());
      for (std::string_view flag : flags) reply.Simple(flag);
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
  std::vector<std::string> names;
  for (std::string_view code : codes) {
    LibraryHeader header;
    if (!ParseLibraryHeader(code, &header, error)) return false;
    if (policy == "APPEND" && libraries_.contains(header.name)) {
      *error = fmt::format("ERR Library {} already exists", header.name);
      return false;
    }
    names.push_back(std::move(header.name));
  }
  // All or nothing, as Redis: the libraries it replaces go first (so their functions do not
  // collide with the new ones), and a failure puts back what was there.
  std::vector<std::string> before;
  for (const auto& [name, library] : libraries_) before.push_back(library.code);
  if (policy == "FLUSH") FlushFunctions();
  for (const std::string& name : names) DropLibrary(name);
  for (std::string_view code : codes) {
    std::string name;
    if (!LoadLibrary(code, false, &name, error)) {
      FlushFunctions();
      for (const std::string& old : before) {
        std::string unused;
        LoadLibrary(old, false, &name, &unused);
      }
      return false;
    }
  }
  functions_version_++;
  return true;
}

}  // namespace tidekv::engine
