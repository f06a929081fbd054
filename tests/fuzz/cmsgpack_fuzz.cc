// libFuzzer target for cmsgpack (lua/cmsgpack.cc): unpack on hostile bytes, then pack.
//
// Scripts unpack whatever a client stored, so unpack must refuse damaged or hostile bytes
// with a Lua error, never crash, over-read or allocate by a declared length. Per input
// (a Lua script in one long-lived state; see kHarness):
//  1. unpack(s), and unpack_one walked from offset 0 to -1, agree: same values, or both
//     fail (unpack alone may fail for returning too many values at once).
//  2. unpack_limit with a limit and offset taken from the input matches that walk.
//  3. What unpacks packs, and repacking settles: after two rounds of pack and unpack, a
//     third packs to the same length and unpacks to equal values.
#include <cstddef>
#include <cstdint>
#include <lua.hpp>

#include "lua/libs.h"
#include "tests/fuzz/lua_harness.h"

namespace {

constexpr const char* kHarness = R"lua(
local function list(...) return {n = select('#', ...), ...} end

-- Deep equality, NaN equal to NaN. Keys that are tables (a map may have them) are matched
-- by content with an unused key of the other table.
local deq
local function table_key_match(k, v, b, used)
  for k2, v2 in pairs(b) do
    if type(k2) == 'table' and not used[k2] and deq(k, k2) and deq(v, v2) then
      used[k2] = true
      return true
    end
  end
  return false
end
deq = function(a, b)
  if a ~= a and b ~= b then return true end  -- NaN
  if type(a) ~= 'table' or type(b) ~= 'table' then return a == b end
  local used, na, nb = {}, 0, 0
  for k, v in pairs(a) do
    na = na + 1
    if type(k) == 'table' then
      if not table_key_match(k, v, b, used) then return false end
    elseif not deq(v, b[k]) then
      return false
    end
  end
  for _ in pairs(b) do nb = nb + 1 end
  return na == nb
end

local function same_lists(a, b, from)
  for i = 1, a.n do if not deq(a[i], b[from + i - 1]) then return false end end
  return true
end

local function check(cond, what) if not cond then error('PROPERTY: ' .. what, 0) end end

function fuzz(s, limit, offset)
  local ok, all = pcall(function() return list(cmsgpack.unpack(s)) end)
  local walk_ok, walk = pcall(function()
    local t, offsets, off = {n = 0}, {}, 0
    while off ~= -1 do
      local r = list(cmsgpack.unpack_one(s, off))
      check(r[1] == -1 or r[1] > off, 'unpack_one offset does not advance')
      if r.n == 2 then t.n = t.n + 1; t[t.n] = r[2]; offsets[t.n] = off end
      off = r[1]
    end
    t.offsets = offsets
    return t
  end)
  if not walk_ok and tostring(walk):find('PROPERTY', 1, true) then error(walk, 0) end
  if ok then
    check(walk_ok, 'unpack accepts what unpack_one refuses')
    check(all.n == walk.n and same_lists(all, walk, 1), 'unpack and unpack_one differ')
  elseif walk_ok then
    check(tostring(all):find('too many return values', 1, true), 'unpack refuses: ' .. tostring(all))
  end

  if walk_ok and walk.n > 0 then
    -- unpack_limit from the start of one of the values walked
    local first = offset % walk.n + 1
    local r = list(cmsgpack.unpack_limit(s, limit, walk.offsets[first]))
    if not (limit == 0 and walk.offsets[first] == 0) then
      local got = r.n - 1
      check(got == math.min(limit, walk.n - first + 1), 'unpack_limit count')
      local next_off = first + got <= walk.n and walk.offsets[first + got] or -1
      check(r[1] == next_off, 'unpack_limit offset')
      local values = {n = got}
      for i = 1, got do values[i] = r[i + 1] end
      check(same_lists(values, walk, first), 'unpack_limit values')
    end
  end

  if not ok or all.n == 0 or all.n > 4000 then return end
  local p1 = cmsgpack.pack(unpack(all, 1, all.n))
  local ok1, v1 = pcall(function() return list(cmsgpack.unpack(p1)) end)
  if not ok1 then
    -- A map key that is a table at the nesting limit packs as nil, as in lua-cmsgpack, and a
    -- nil key does not unpack.
    check(tostring(v1):find('table index is nil', 1, true), 'repacked: ' .. tostring(v1))
    return
  end
  check(v1.n == all.n, 'repacked value count')
  -- The first pack may still change shape (a table at the nesting limit becomes nil, and a
  -- nil in an array makes it a map or shorter); from the second on it must be stable.
  local p2 = cmsgpack.pack(unpack(v1, 1, v1.n))
  local v2 = list(cmsgpack.unpack(p2))
  local p3 = cmsgpack.pack(unpack(v2, 1, v2.n))
  check(#p3 == #p2, 'pack is not stable')
  local v3 = list(cmsgpack.unpack(p3))
  check(v3.n == v2.n and same_lists(v2, v3, 1), 'round trip differs')
end
)lua";

lua_State* State() {
  static lua_State* L =
      tidekv::lua::fuzz::NewHarness(tidekv::lua::OpenCmsgpack, "cmsgpack", kHarness);
  return L;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lua_State* L = State();
  // Two bytes choose unpack_limit's limit and starting value; the rest is the MessagePack.
  const int limit = size > 0 ? data[0] % 8 : 0;
  const int offset = size > 1 ? data[1] : 0;
  const size_t skip = size < 2 ? size : 2;
  tidekv::lua::fuzz::GetFuzz(L);
  lua_pushlstring(L, reinterpret_cast<const char*>(data) + skip, size - skip);
  lua_pushinteger(L, limit);
  lua_pushinteger(L, offset);
  tidekv::lua::fuzz::CallFuzz(L, 3);
  return 0;
}
