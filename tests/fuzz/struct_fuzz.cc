// libFuzzer target for struct (lua/struct.cc): hostile formats and data.
//
// A script's format and data may both come from a client. Per input (first byte: format
// length; then the format; then the data; a Lua script in one long-lived state, kHarness):
//  1. size, unpack (from position 1 and from a position taken from the input) and pack
//     with arguments of every type either work or raise a Lua error; nothing crashes,
//     over-reads or trips UBSan.
//  2. When unpack from 1 and size both accept the format, unpack ends at 1 + size, the
//     values pack again to exactly size bytes, and those bytes unpack.
#include <cstddef>
#include <cstdint>
#include <lua.hpp>

#include "lua/libs.h"
#include "tests/fuzz/lua_harness.h"

namespace {

constexpr const char* kHarness = R"lua(
local function list(...) return {n = select('#', ...), ...} end
local function check(cond, what) if not cond then error('PROPERTY: ' .. what, 0) end end

function fuzz(fmt, data, init)
  local size_ok, size = pcall(struct.size, fmt)
  pcall(struct.unpack, fmt, data, init)
  pcall(struct.pack, fmt, 1, data, -1, 2^40, 0/0, 1e300, -2^70, 'xy', math.huge, 0.5, data, 7)
  pcall(struct.pack, fmt, data, data, data, 3, 3, 3)

  local ok, r = pcall(function() return list(struct.unpack(fmt, data)) end)
  if not ok or not size_ok then return end
  check(r[r.n] == size + 1, 'unpack ends at ' .. r[r.n] .. ', size says ' .. size)
  local packed = struct.pack(fmt, unpack(r, 1, r.n - 1))
  check(#packed == size, 'pack made ' .. #packed .. ' bytes, size says ' .. size)
  local again = list(struct.unpack(fmt, packed))
  check(again.n == r.n, 'repacked values unpack to another count')
end
)lua";

lua_State* State() {
  static lua_State* L = tidekv::lua::fuzz::NewHarness(tidekv::lua::OpenStruct, "struct", kHarness);
  return L;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  lua_State* L = State();
  const size_t fmt_len = data[0] % 48 < size - 2 ? data[0] % 48 : size - 2;
  const uint8_t init = data[1];
  const auto* fmt = reinterpret_cast<const char*>(data) + 2;
  tidekv::lua::fuzz::GetFuzz(L);
  lua_pushlstring(L, fmt, fmt_len);
  lua_pushlstring(L, fmt + fmt_len, size - 2 - fmt_len);
  lua_pushinteger(L, init % 16 + 1);
  tidekv::lua::fuzz::CallFuzz(L, 3);
  return 0;
}
