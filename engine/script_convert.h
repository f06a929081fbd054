// Conversions between RESP replies and Lua values for scripts, as Redis 7 defines them
// (docs/scripting.md has the tables).
#pragma once

#include <cstddef>
#include <string_view>

#include "proto/reply.h"

struct lua_State;

namespace tidekv::engine {

// Pushes the Lua value of the RESP reply at reply[*pos] and moves *pos past it. The reply
// comes from this engine's own commands; anything malformed, or nested deeper than the Lua
// stack allows, pushes a Lua error table instead. Returns whether the reply was an error
// (the pushed value is then a table with an `err` field).
bool PushReplyAsLua(lua_State* L, std::string_view reply, size_t* pos);

// Writes the Lua value at the top of L's stack as the reply (and leaves the stack as it
// was). Tables with an `err` / `ok` field become errors / status replies; RESP3 tables
// (`map`, `set`, `double`, `big_number`, `verbatim_string`) become their types, which the
// builder writes in RESP2 form for a RESP2 client.
void WriteLuaAsReply(lua_State* L, proto::ReplyBuilder& reply);

}  // namespace tidekv::engine
