// For the lua/ fuzz targets: one long-lived Lua state with a library and a harness script
// loaded, and the call that runs the harness's fuzz() and aborts when it raises.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <lua.hpp>

namespace tidekv::lua::fuzz {

// A state with the standard libraries, `open`'s table as global `name`, and `harness` run.
inline lua_State* NewHarness(lua_CFunction open, const char* name, const char* harness) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  lua_pushcfunction(L, open);
  lua_call(L, 0, 1);
  lua_setglobal(L, name);
  if (luaL_dostring(L, harness) != 0) {
    std::fprintf(stderr, "%s fuzz harness: %s\n", name, lua_tostring(L, -1));
    std::abort();
  }
  return L;
}

// Calls fuzz() with the `nargs` values on the stack above it (pushed after GetFuzz). The
// harness catches the library's errors itself, so any error here is a finding.
inline void GetFuzz(lua_State* L) { lua_getglobal(L, "fuzz"); }
inline void CallFuzz(lua_State* L, int nargs) {
  if (lua_pcall(L, nargs, 0, 0) != 0) {
    std::fprintf(stderr, "fuzz: %s\n", lua_tostring(L, -1));
    std::abort();
  }
  lua_settop(L, 0);
}

}  // namespace tidekv::lua::fuzz
