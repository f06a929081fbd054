#include "lua/libs.h"

#include <lua.hpp>

extern "C" {
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace tidekv::lua {

namespace {

void Open(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_setglobal(L, name);
}

}  // namespace

void OpenRedisLibraries(lua_State* L) {
  Open(L, luaopen_cjson, "cjson");
  Open(L, luaopen_bit, "bit");
  Open(L, OpenCmsgpack, "cmsgpack");
  Open(L, OpenStruct, "struct");
}

}  // namespace tidekv::lua
