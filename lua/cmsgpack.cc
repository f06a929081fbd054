// cmsgpack: MessagePack for scripts, with the API, encoding choices and error texts of
// lua-cmsgpack 0.4.0 as Redis 7 bundles it. Written here from that library's documented
// behaviour; none of its code.
//
// Encoding (pack): an integral number in [-2^63, 2^63) takes the smallest int/uint form,
// another number float32 when that is exact, else float64; strings are fixstr/str8/16/32;
// a table whose keys are exactly 1..n is an array, any other table a map; a table nested
// kMaxPackNesting deep packs as nil (how lua-cmsgpack survives cycles); other types are nil.
//
// Decoding (unpack) faces hostile bytes: every read is checked against what is left, no
// allocation is sized by a declared length beyond what the input can hold, nesting is
// bounded (C stack) and the Lua stack is grown with checks. bin and ext are refused, as
// lua-cmsgpack refuses them ("Bad data format in input."). uint64 values of 2^63 and more
// come back negative, as lua-cmsgpack on 64-bit Lua 5.1 returns them.
//
// Lua errors are C++ exceptions here (liblua5.1-c++), so the pack buffer frees itself when
// one unwinds through it.
#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <lua.hpp>

#include "lua/libs.h"

namespace tidekv::lua {

namespace {

// lua-cmsgpack's LUACMSGPACK_MAX_NESTING: a table at this level packs as nil.
constexpr int kMaxPackNesting = 16;
// Containers nested deeper than this refuse to unpack. lua-cmsgpack has no explicit limit;
// its Lua stack checks stop it somewhere past 2,500 levels. No pack output nests past 16.
constexpr int kMaxUnpackDepth = 1000;
// The largest string pack builds: Redis's default proto-max-bulk-len, so the result can
// still be a reply. It also bounds the work of packing shared or cyclic tables, since every
// value packed adds at least one byte.
constexpr size_t kMaxPackedBytes = size_t{512} << 20;

// The bytes pack builds, held in memory from the interpreter's allocator (so a script's
// memory accounting sees them) and freed when a Lua error unwinds past.
class PackBuffer {
 public:
  explicit PackBuffer(lua_State* L) : L_(L) { alloc_ = lua_getallocf(L, &alloc_ud_); }
  ~PackBuffer() {
    if (data_ != nullptr) alloc_(alloc_ud_, data_, capacity_, 0);
  }
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;

  void Append(const void* bytes, size_t n) {
    if (n > capacity_ - size_) Grow(n);
    std::memcpy(data_ + size_, bytes, n);
    size_ += n;
  }
  void Byte(uint8_t b) { Append(&b, 1); }
  // tag, then the low `width` bytes of v, most significant first.
  void Tagged(uint8_t tag, uint64_t v, int width) {
    uint8_t b[9];
    b[0] = tag;
    for (int i = 0; i < width; ++i) b[1 + i] = static_cast<uint8_t>(v >> (8 * (width - 1 - i)));
    Append(b, 1 + width);
  }

  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Grow(size_t n) {
    if (n > kMaxPackedBytes - size_) {
      luaL_error(L_, "MessagePack pack output larger than %d MiB.",
                 static_cast<int>(kMaxPackedBytes >> 20));
    }
    const size_t want = std::min(kMaxPackedBytes, std::max({size_ + n, capacity_ * 2, size_t{64}}));
    void* grown = alloc_(alloc_ud_, data_, capacity_, want);
    if (grown == nullptr) luaL_error(L_, "not enough memory");
    data_ = static_cast<char*>(grown);
    capacity_ = want;
  }

  lua_State* L_;
  lua_Alloc alloc_;
  void* alloc_ud_ = nullptr;
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

bool IsInt64(lua_Number n) { return n >= -0x1p63 && n < 0x1p63 && std::trunc(n) == n; }

// Encodes Lua values onto a PackBuffer. Each call takes the value on top of the stack and
// pops it.
class Packer {
 public:
  Packer(lua_State* L, PackBuffer& out) : L_(L), out_(out) {}

  void Value(int level) {
    switch (lua_type(L_, -1)) {
      case LUA_TSTRING: {
        size_t len = 0;
        const char* s = lua_tolstring(L_, -1, &len);
        String(s, len);
        break;
      }
      case LUA_TBOOLEAN:
        out_.Byte(lua_toboolean(L_, -1) ? 0xc3 : 0xc2);
        break;
      case LUA_TNUMBER:
        Number(lua_tonumber(L_, -1));
        break;
      case LUA_TTABLE:
        if (level < kMaxPackNesting) {
          Table(level);
        } else {
          out_.Byte(0xc0);
        }
        break;
      default:  // nil, and what MessagePack cannot carry: functions, userdata, threads
        out_.Byte(0xc0);
        break;
    }
    lua_pop(L_, 1);
  }

 private:
  void Number(lua_Number n) {
    if (IsInt64(n)) {
      Integer(static_cast<int64_t>(n));
    } else {
      Float(n);
    }
  }

  void Integer(int64_t n) {
    const auto u = static_cast<uint64_t>(n);
    if (n >= 0) {
      if (n <= 0x7f) {
        out_.Byte(static_cast<uint8_t>(n));  // positive fixint
      } else if (n <= 0xff) {
        out_.Tagged(0xcc, u, 1);
      } else if (n <= 0xffff) {
        out_.Tagged(0xcd, u, 2);
      } else if (n <= 0xffffffffLL) {
        out_.Tagged(0xce, u, 4);
      } else {
        out_.Tagged(0xcf, u, 8);
      }
    } else if (n >= -32) {
      out_.Byte(static_cast<uint8_t>(u));  // negative fixint
    } else if (n >= INT8_MIN) {
      out_.Tagged(0xd0, u, 1);
    } else if (n >= INT16_MIN) {
      out_.Tagged(0xd1, u, 2);
    } else if (n >= INT32_MIN) {
      out_.Tagged(0xd2, u, 4);
    } else {
      out_.Tagged(0xd3, u, 8);
    }
  }

  void Float(double d) {
    // float32 when it holds d exactly (infinities included, NaN never, as lua-cmsgpack).
    // The range check keeps the narrowing defined.
    if (std::isinf(d) ||
        (std::fabs(d) <= FLT_MAX && static_cast<double>(static_cast<float>(d)) == d)) {
      const float f = static_cast<float>(d);
      uint32_t bits = 0;
      std::memcpy(&bits, &f, sizeof bits);
      out_.Tagged(0xca, bits, 4);
    } else {
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      out_.Tagged(0xcb, bits, 8);
    }
  }

  void String(const char* s, size_t len) {
    if (len < 32) {
      out_.Byte(static_cast<uint8_t>(0xa0 | len));
    } else if (len <= 0xff) {
      out_.Tagged(0xd9, len, 1);
    } else if (len <= 0xffff) {
      out_.Tagged(0xda, len, 2);
    } else {
      out_.Tagged(0xdb, len, 4);
    }
    out_.Append(s, len);
  }

  // fix form below 16 entries, else the 16- or 32-bit form.
  void ContainerHeader(size_t n, uint8_t fix, uint8_t tag16, uint8_t tag32) {
    if (n <= 15) {
      out_.Byte(static_cast<uint8_t>(fix | n));
    } else if (n <= 0xffff) {
      out_.Tagged(tag16, n, 2);
    } else {
      out_.Tagged(tag32, n, 4);
    }
  }

  void Table(int level) {
    luaL_checkstack(L_, 3, "in function cmsgpack.pack");
    // One walk counts the entries and decides: an array when every key is an integer in
    // 1..INT_MAX and the largest equals the count (so 1..n, no holes), lua-cmsgpack's rule.
    size_t count = 0;
    lua_Number max_key = 0;
    bool array = true;
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      lua_pop(L_, 1);
      ++count;
      if (!array) continue;
      if (lua_type(L_, -1) != LUA_TNUMBER) {
        array = false;
        continue;
      }
      const lua_Number k = lua_tonumber(L_, -1);
      if (k >= 1 && k <= INT_MAX && std::trunc(k) == k) {
        max_key = std::max(max_key, k);
      } else {
        array = false;
      }
    }
    if (array && max_key == static_cast<lua_Number>(count)) {
      ContainerHeader(count, 0x90, 0xdc, 0xdd);
      for (size_t i = 1; i <= count; ++i) {
        lua_rawgeti(L_, -1, static_cast<int>(i));
        Value(level + 1);
      }
      return;
    }
    ContainerHeader(count, 0x80, 0xde, 0xdf);
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      lua_pushvalue(L_, -2);  // a copy of the key to encode; lua_next needs the original
      Value(level + 1);
      Value(level + 1);
    }
  }

  lua_State* L_;
  PackBuffer& out_;
};

// Decodes MessagePack values from a byte range onto the Lua stack, raising Lua errors on
// truncated or malformed input.
class Unpacker {
 public:
  Unpacker(lua_State* L, const uint8_t* p, size_t left) : L_(L), p_(p), left_(left) {}

  size_t left() const { return left_; }

  // Pushes the next value.
  void Value(int depth) {
    luaL_checkstack(L_, 1,
                    "too many return values at once; use unpack_one or unpack_limit instead.");
    const uint8_t tag = *Take(1);
    if (tag <= 0x7f) {
      lua_pushnumber(L_, tag);  // positive fixint
    } else if (tag >= 0xe0) {
      lua_pushnumber(L_, static_cast<int8_t>(tag));  // negative fixint
    } else if ((tag & 0xe0) == 0xa0) {
      String(tag & 0x1f);
    } else if ((tag & 0xf0) == 0x90) {
      Array(tag & 0x0f, depth);
    } else if ((tag & 0xf0) == 0x80) {
      Map(tag & 0x0f, depth);
    } else {
      Tagged(tag, depth);
    }
  }

 private:
  const uint8_t* Take(size_t n) {
    if (left_ < n) luaL_error(L_, "Missing bytes in input.");
    const uint8_t* at = p_;
    p_ += n;
    left_ -= n;
    return at;
  }

  uint64_t BigEndian(int width) {
    const uint8_t* b = Take(width);
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = (v << 8) | b[i];
    return v;
  }

  void Tagged(uint8_t tag, int depth) {
    switch (tag) {
      case 0xc0:
        lua_pushnil(L_);
        return;
      case 0xc2:
      case 0xc3:
        lua_pushboolean(L_, tag == 0xc3);
        return;
      case 0xca: {
        const auto bits = static_cast<uint32_t>(BigEndian(4));
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        lua_pushnumber(L_, f);
        return;
      }
      case 0xcb: {
        const uint64_t bits = BigEndian(8);
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L_, d);
        return;
      }
      case 0xcc:
        lua_pushnumber(L_, static_cast<lua_Number>(BigEndian(1)));
        return;
      case 0xcd:
        lua_pushnumber(L_, static_cast<lua_Number>(BigEndian(2)));
        return;
      case 0xce:
        lua_pushnumber(L_, static_cast<lua_Number>(BigEndian(4)));
        return;
      case 0xcf:  // through int64, as lua-cmsgpack (2^64-1 unpacks as -1)
      case 0xd3:
        lua_pushnumber(L_, static_cast<lua_Number>(static_cast<int64_t>(BigEndian(8))));
        return;
      case 0xd0:
        lua_pushnumber(L_, static_cast<int8_t>(BigEndian(1)));
        return;
      case 0xd1:
        lua_pushnumber(L_, static_cast<int16_t>(BigEndian(2)));
        return;
      case 0xd2:
        lua_pushnumber(L_, static_cast<int32_t>(BigEndian(4)));
        return;
      case 0xd9:
        String(BigEndian(1));
        return;
      case 0xda:
        String(BigEndian(2));
        return;
      case 0xdb:
        String(BigEndian(4));
        return;
      case 0xdc:
        Array(BigEndian(2), depth);
        return;
      case 0xdd:
        Array(BigEndian(4), depth);
        return;
      case 0xde:
        Map(BigEndian(2), depth);
        return;
      case 0xdf:
        Map(BigEndian(4), depth);
        return;
      default:  // 0xc1 (never used), bin, ext, fixext
        luaL_error(L_, "Bad data format in input.");
    }
  }

  void String(uint64_t len) {
    const uint8_t* s = Take(len);
    lua_pushlstring(L_, reinterpret_cast<const char*>(s), len);
  }

  void CheckDepth(int depth) {
    if (depth >= kMaxUnpackDepth) luaL_error(L_, "MessagePack input nested too deeply.");
  }

  // Each element takes at least one input byte, so what is left bounds the preallocation.
  void Array(uint64_t n, int depth) {
    CheckDepth(depth);
    lua_createtable(L_, static_cast<int>(std::min<uint64_t>(n, std::min<size_t>(left_, INT_MAX))),
                    0);
    for (uint64_t i = 1; i <= n; ++i) {
      Value(depth + 1);
      lua_rawseti(L_, -2, static_cast<int>(i));  // i <= input bytes, checked by Take
    }
  }

  void Map(uint64_t n, int depth) {
    CheckDepth(depth);
    lua_createtable(L_, 0,
                    static_cast<int>(std::min<uint64_t>(n, std::min<size_t>(left_ / 2, INT_MAX))));
    for (uint64_t i = 0; i < n; ++i) {
      Value(depth + 1);
      Value(depth + 1);
      lua_rawset(L_, -3);  // a nil or NaN key raises "table index is nil/NaN", as Redis
    }
  }

  lua_State* L_;
  const uint8_t* p_;
  size_t left_;
};

int Pack(lua_State* L) {
  const int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  PackBuffer out(L);
  Packer packer(L, out);
  for (int i = 1; i <= n; ++i) {
    luaL_checkstack(L, 1, "in function cmsgpack.pack");
    lua_pushvalue(L, i);
    packer.Value(0);
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

// Decodes from the string at index 1 (the only argument left on the stack), starting at
// byte `offset` (0-based). With limit and offset both 0 it decodes everything and returns
// just the values (cmsgpack.unpack, and also unpack_limit(s, 0, 0), as lua-cmsgpack);
// otherwise at most `limit` values, preceded by the offset to resume from, or -1 when the
// input is used up.
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(std::max<lua_Integer>(offset, INT_MIN)),
                      static_cast<int>(std::max<lua_Integer>(limit, INT_MIN)));
  }
  if (static_cast<uint64_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.",
                      static_cast<int>(std::min<lua_Integer>(offset, INT_MAX)),
                      static_cast<int>(std::min<size_t>(len, INT_MAX)));
  }
  Unpacker in(L, reinterpret_cast<const uint8_t*>(s) + offset, len - offset);
  int count = 0;
  while (in.left() > 0 && (all || count < limit)) {
    in.Value(0);
    ++count;
  }
  if (all) return count;
  luaL_checkstack(L, 1, "in function cmsgpack.unpack");
  lua_pushinteger(L, in.left() == 0 ? -1 : static_cast<lua_Integer>(len - in.left()));
  lua_insert(L, 2);
  return count + 1;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"unpack_one", UnpackOne},
      {"unpack_limit", UnpackLimit},
  };
  lua_createtable(L, 0, 7);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  // The metadata fields lua-cmsgpack's table carries, for scripts that print them.
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace tidekv::lua
