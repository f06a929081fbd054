// struct: binary packing for scripts, with the formats, alignment rules and error texts of
// Roberto Ierusalimschy's struct library (0.2) as Redis 7 bundles it. Written here from that
// library's documented behaviour; none of its code.
//
// A format is read up to its first NUL. Options:
//   >  <        big / little endian from here on (default: native)
//   ![n]        maximum alignment n, a power of 2 (default: the platform's, 8 here)
//   x           one zero byte of padding
//   b B h H l L signed / unsigned char, short, long;  T  size_t
//   i[n] I[n]   signed / unsigned integer of n bytes (default sizeof(int), at most 32)
//   s           zero-terminated string;  c[n]  n raw bytes (default 1)
//   c0          pack: the whole string; unpack: as many bytes as the value just unpacked
//   f d         float, double;  ' '  ignored
// An item of size s is aligned to min(s, max alignment) from the start of the data (c never).
//
// Where the C library's behaviour is undefined, it is defined here: numbers outside an
// integer's range pack as their value modulo 2^64 (NaN as 0), an integer wider than 8 bytes
// packs with zero high bytes and unpacks from its low 8 bytes, and a float too large for
// 'f' packs as infinity (or FLT_MAX when it rounds to it).
#include <bit>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <lua.hpp>

#include "lua/libs.h"

namespace tidekv::lua {

namespace {

constexpr int kMaxIntSize = 32;

// The platform's maximum alignment as the C library computes it: the padding before a
// double that follows a char, or sizeof(int) when that is larger.
struct CharThenDouble {
  char c;
  double d;
};
constexpr int kMaxAlign = static_cast<int>(
    offsetof(CharThenDouble, d) > sizeof(int) ? offsetof(CharThenDouble, d) : sizeof(int));

constexpr bool kNativeLittle = std::endian::native == std::endian::little;

struct Options {
  bool little = kNativeLittle;
  int align = 1;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The decimal number at *fmt (advancing past it), or `absent` when there is none.
int ReadNumber(lua_State* L, const char** fmt, int absent) {
  if (!IsDigit(**fmt)) return absent;
  int n = 0;
  while (IsDigit(**fmt)) {
    const int digit = *(*fmt)++ - '0';
    if (n > (INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
  }
  return n;
}

// The size of an item of option `opt` (0 for options that are not items, and for 's').
size_t ItemSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'x':
      return 1;
    case 'h':
    case 'H':
      return sizeof(short);
    case 'l':
    case 'L':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'c':
      return ReadNumber(L, fmt, 1);
    case 'i':
    case 'I': {
      const int n = ReadNumber(L, fmt, sizeof(int));
      if (n > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      }
      return n;
    }
    default:
      return 0;
  }
}

// Padding bytes before an item of `size` at offset `pos`. The C library's formula, kept as
// it is for sizes that are not powers of 2 (i3, i5...) so that layouts match.
size_t Padding(size_t pos, const Options& o, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(o.align)) size = o.align;
  return (size - (pos & (size - 1))) & (size - 1);
}

// Endianness, alignment and blanks; anything else is a bad option.
void ApplyControl(lua_State* L, char opt, const char** fmt, Options* o) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      o->little = false;
      return;
    case '<':
      o->little = true;
      return;
    case '!': {
      const int a = ReadNumber(L, fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      o->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

bool IsIntegerOption(char opt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'h':
    case 'H':
    case 'l':
    case 'L':
    case 'T':
    case 'i':
    case 'I':
      return true;
    default:
      return false;
  }
}

// n as the integer the item stores: two's complement modulo 2^64, NaN as 0.
uint64_t Wrap(lua_Number n) {
  if (!(n == n)) return 0;
  if (n >= -0x1p63 && n < 0x1p64) {
    return n < 0 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : static_cast<uint64_t>(n);
  }
  if (std::isinf(n)) return 0;
  double m = std::fmod(std::trunc(n), 0x1p64);  // exact; |m| < 2^64
  if (m < 0) m += 0x1p64;
  return m >= 0x1p64 ? 0 : static_cast<uint64_t>(m);
}

// Writes the low `size` bytes of v (zeros past the 8th) in the given byte order.
void PutBytes(luaL_Buffer* b, uint64_t v, size_t size, bool little) {
  char bytes[kMaxIntSize] = {};
  for (size_t i = 0; i < size && i < 8; ++i) {
    bytes[little ? i : size - 1 - i] = static_cast<char>(v >> (8 * i));
  }
  luaL_addlstring(b, bytes, size);
}

uint64_t GetBytes(const char* p, size_t size, bool little) {
  uint64_t v = 0;  // bytes beyond the 8 least significant shift out
  for (size_t i = 0; i < size; ++i) {
    v = (v << 8) | static_cast<unsigned char>(p[little ? size - 1 - i : i]);
  }
  return v;
}

lua_Number GetInteger(const char* p, size_t size, bool little, bool is_signed) {
  uint64_t v = GetBytes(p, size, little);
  if (!is_signed) return static_cast<lua_Number>(v);
  if (size == 0) return 0;
  if (size < 8) {
    const uint64_t sign = ~uint64_t{0} << (size * 8 - 1);
    if ((v & sign) != 0) v |= sign;
  }
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

// d as a float, saturating where the conversion would be undefined.
float ToFloat(double d) {
  if (std::isfinite(d) && std::fabs(d) > FLT_MAX) {
    // Round to nearest: from FLT_MAX plus half its last unit up, the result is infinity.
    const float magnitude =
        std::fabs(d) >= static_cast<double>(FLT_MAX) + 0x1p103 ? HUGE_VALF : FLT_MAX;
    return d < 0 ? -magnitude : magnitude;
  }
  return static_cast<float>(d);
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Options o;
  int arg = 2;
  size_t total = 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    for (size_t pad = Padding(total, o, opt, size); pad > 0; --pad, ++total) {
      luaL_addchar(&b, '\0');
    }
    if (IsIntegerOption(opt)) {
      PutBytes(&b, Wrap(luaL_checknumber(L, arg++)), size, o.little);
    } else if (opt == 'x') {
      luaL_addchar(&b, '\0');
    } else if (opt == 'f') {
      const float f = ToFloat(luaL_checknumber(L, arg++));
      PutBytes(&b, std::bit_cast<uint32_t>(f), size, o.little);
    } else if (opt == 'd') {
      const double d = luaL_checknumber(L, arg++);
      PutBytes(&b, std::bit_cast<uint64_t>(d), size, o.little);
    } else if (opt == 'c' || opt == 's') {
      size_t len = 0;
      const char* s = luaL_checklstring(L, arg++, &len);
      if (size == 0) size = len;
      // `arg` has moved on: the error names the next argument, as the C library's does.
      luaL_argcheck(L, len >= size, arg, "string too short");
      luaL_addlstring(&b, s, size);
      if (opt == 's') {
        luaL_addchar(&b, '\0');
        ++size;
      }
    } else {
      ApplyControl(L, opt, &fmt, &o);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// struct.unpack(fmt, data [, init]): the values, then the position after them (1-based).
int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len = 0;
  const char* data = luaL_checklstring(L, 2, &len);
  const lua_Integer init = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, init > 0, 3, "offset must be 1 or greater");
  auto pos = static_cast<size_t>(init - 1);
  Options o;
  int n = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    pos += Padding(pos, o, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (IsIntegerOption(opt)) {
      const bool is_signed = opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i';
      lua_pushnumber(L, GetInteger(data + pos, size, o.little, is_signed));
      ++n;
    } else if (opt == 'x') {
      // padding: nothing to return
    } else if (opt == 'f') {
      lua_pushnumber(
          L, std::bit_cast<float>(static_cast<uint32_t>(GetBytes(data + pos, 4, o.little))));
      ++n;
    } else if (opt == 'd') {
      lua_pushnumber(L, std::bit_cast<double>(GetBytes(data + pos, 8, o.little)));
      ++n;
    } else if (opt == 'c') {
      if (size == 0) {  // c0: the length is the value just unpacked
        if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
        const lua_Number want = lua_tonumber(L, -1);
        lua_pop(L, 1);
        --n;
        luaL_argcheck(L, want >= 0 && want <= static_cast<lua_Number>(len - pos), 2,
                      "data string too short");
        size = static_cast<size_t>(want);
      }
      lua_pushlstring(L, data + pos, size);
      ++n;
    } else if (opt == 's') {
      const void* end = std::memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<const char*>(end) - (data + pos) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      ++n;
    } else {
      ApplyControl(L, opt, &fmt, &o);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return n + 1;
}

// struct.size(fmt): the bytes pack(fmt, ...) makes. Letters that are not options are skipped
// here (pack and unpack refuse them), as in the C library.
int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Options o;
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = ItemSize(L, opt, &fmt);
    pos += Padding(pos, o, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "options 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "options 'c0' has no fixed size");
    }
    if (!IsAlnum(opt)) ApplyControl(L, opt, &fmt, &o);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"size", Size},
  };
  lua_createtable(L, 0, 3);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  return 1;
}

}  // namespace tidekv::lua
