// The Lua libraries a script may use, as Redis 7 gives them: cjson, bit, cmsgpack, struct.
//
// cjson and bit are Debian's (lua-cjson, lua-bitop); cmsgpack (lua/cmsgpack.cc) and struct
// (lua/struct.cc) are written here with the behaviour of the C libraries Redis bundles. None
// of them touches files or the process, so a sandboxed script may have them all.
#pragma once

struct lua_State;

namespace tidekv::lua {

// Loads cjson, bit, cmsgpack and struct into L as globals of those names.
void OpenRedisLibraries(lua_State* L);

// lua_CFunctions that push the library's table (MessagePack: pack, unpack, unpack_one,
// unpack_limit; struct: pack, unpack, size). Lua errors raise as C++ exceptions; both are
// safe on hostile input.
int OpenCmsgpack(lua_State* L);
int OpenStruct(lua_State* L);

}  // namespace tidekv::lua
