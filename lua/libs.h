// The Lua libraries a script may use, as Redis 7 gives them: cjson, bit, cmsgpack, struct.
#pragma once

struct lua_State;

namespace tidekv::lua {

// Loads cjson, bit, cmsgpack and struct into L as globals of those names.
void OpenRedisLibraries(lua_State* L);

}  // namespace tidekv::lua
