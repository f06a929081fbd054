// The Lua libraries scripts get (lua/libs.h): cmsgpack and struct checked against the
// MessagePack bytes and struct layouts Redis 7's scripts see, their errors on bad input,
// and cjson and bit loaded beside them. Each test runs Lua in a fresh state.
#include <catch2/catch.hpp>
#include <cstdio>
#include <lua.hpp>
#include <string>

#include "lua/libs.h"

namespace tidekv::lua {
namespace {

using namespace std::string_literals;

// deq(a, b): deep equality of Lua values, NaN equal to NaN.
constexpr const char* kPrelude = R"(
function deq(a, b)
  if a ~= a and b ~= b then return true end
  if type(a) ~= 'table' or type(b) ~= 'table' then return a == b end
  for k, v in pairs(a) do if not deq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
function roundtrip(v) return deq(v, (cmsgpack.unpack(cmsgpack.pack(v)))) end
)";

class Lua {
 public:
  Lua() : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    OpenRedisLibraries(L_);
    Run(kPrelude, 0);
  }
  ~Lua() { lua_close(L_); }
  Lua(const Lua&) = delete;
  Lua& operator=(const Lua&) = delete;

  // The chunk's first result as a string (tostring for other types).
  std::string Eval(const std::string& code) {
    Run(code, 1);
    lua_getglobal(L_, "tostring");
    lua_insert(L_, -2);
    lua_call(L_, 1, 1);
    size_t len = 0;
    const char* s = lua_tolstring(L_, -1, &len);
    std::string out(s, len);
    lua_settop(L_, 0);
    return out;
  }

  // The message of the error the chunk raises ("" and a test failure when it raises none).
  std::string Error(const std::string& code) {
    if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0 ||
        lua_pcall(L_, 0, 0, 0) == 0) {
      FAIL_CHECK("no error from: " << code);
      lua_settop(L_, 0);
      return "";
    }
    std::string out = lua_tostring(L_, -1);
    lua_settop(L_, 0);
    // Errors raised by the libraries carry the calling line, as in Redis ("test:1: ...").
    const std::string where = "test:1: ";
    return out.starts_with(where) ? out.substr(where.size()) : out;
  }

 private:
  void Run(const std::string& code, int results) {
    if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0 ||
        lua_pcall(L_, 0, results, 0) != 0) {
      const std::string message = lua_tostring(L_, -1);
      lua_settop(L_, 0);
      FAIL(message << "\n  in: " << code);
    }
  }

  lua_State* L_;
};

std::string Hex(const std::string& expr) { return "return hex(" + expr + ")"; }
std::string Pack(const std::string& args) { return Hex("cmsgpack.pack(" + args + ")"); }

}  // namespace

// ---- cmsgpack: encoding -----------------------------------------------------------------------

TEST_CASE("cmsgpack packs scalars as lua-cmsgpack does", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Eval(Pack("nil")) == "c0");
  CHECK(lua.Eval(Pack("true")) == "c3");
  CHECK(lua.Eval(Pack("false")) == "c2");
  CHECK(lua.Eval(Pack("print")) == "c0");  // functions have no MessagePack form
  CHECK(lua.Eval(Pack("1, 'a', nil, false")) == "01a161c0c2");
  CHECK(lua.Eval(Pack("-0.0")) == "00");
}

TEST_CASE("cmsgpack packs integers in the smallest form", "[cmsgpack]") {
  Lua lua;
  const std::pair<const char*, const char*> cases[] = {
      {"0", "00"},
      {"127", "7f"},
      {"128", "cc80"},
      {"255", "ccff"},
      {"256", "cd0100"},
      {"65535", "cdffff"},
      {"65536", "ce00010000"},
      {"4294967295", "ceffffffff"},
      {"4294967296", "cf0000000100000000"},
      {"2^53", "cf0020000000000000"},
      {"-1", "ff"},
      {"-32", "e0"},
      {"-33", "d0df"},
      {"-128", "d080"},
      {"-129", "d1ff7f"},
      {"-32768", "d18000"},
      {"-32769", "d2ffff7fff"},
      {"-2147483648", "d280000000"},
      {"-2147483649", "d3ffffffff7fffffff"},
      {"-2^63", "d38000000000000000"},
  };
  for (const auto& [value, bytes] : cases) {
    INFO(value);
    CHECK(lua.Eval(Pack(value)) == bytes);
  }
}

TEST_CASE("cmsgpack packs other numbers as float32 when exact, else float64", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Eval(Pack("1.5")) == "ca3fc00000");
  CHECK(lua.Eval(Pack("-0.25")) == "cabe800000");
  CHECK(lua.Eval(Pack("0.1")) == "cb3fb999999999999a");
  CHECK(lua.Eval(Pack("math.huge")) == "ca7f800000");
  CHECK(lua.Eval(Pack("-math.huge")) == "caff800000");
  CHECK(lua.Eval(Pack("2^63")) == "ca5f000000");  // integral but past int64: a float
  CHECK(lua.Eval(Pack("1e300")) == "cb7e37e43c8800759c");
  const std::string nan = lua.Eval(Pack("0/0"));
  CHECK(nan.size() == 18);
  CHECK(nan.substr(0, 2) == "cb");
  CHECK(lua.Eval("local x = cmsgpack.unpack(cmsgpack.pack(0/0)) return x ~= x") == "true");
}

TEST_CASE("cmsgpack packs strings as fixstr, str8, str16, str32", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Eval(Pack("''")) == "a0");
  CHECK(lua.Eval(Pack("'abc'")) == "a3616263");
  CHECK(lua.Eval(Pack("'a\\0b'")) == "a3610062");
  CHECK(lua.Eval(Hex("cmsgpack.pack(('x'):rep(31)):sub(1, 1)")) == "bf");
  CHECK(lua.Eval(Hex("cmsgpack.pack(('x'):rep(32)):sub(1, 2)")) == "d920");
  CHECK(lua.Eval(Hex("cmsgpack.pack(('x'):rep(255)):sub(1, 2)")) == "d9ff");
  CHECK(lua.Eval(Hex("cmsgpack.pack(('x'):rep(256)):sub(1, 3)")) == "da0100");
  CHECK(lua.Eval(Hex("cmsgpack.pack(('x'):rep(65535)):sub(1, 3)")) == "daffff");
  CHECK(lua.Eval(Hex("cmsgpack.pack(('x'):rep(65536)):sub(1, 5)")) == "db00010000");
  CHECK(lua.Eval("return #cmsgpack.pack(('x'):rep(65536))") == "65541");
}

TEST_CASE("cmsgpack packs 1..n tables as arrays and others as maps", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Eval(Pack("{}")) == "90");
  CHECK(lua.Eval(Pack("{1, 2, 3}")) == "93010203");
  CHECK(lua.Eval(Pack("{'a', {true}}")) == "92a16191c3");
  CHECK(lua.Eval(Pack("{a = 1}")) == "81a16101");
  CHECK(lua.Eval(Pack("{[1] = 1, [3] = 3}")).substr(0, 2) == "82");  // a hole: a map
  CHECK(lua.Eval(Pack("{[0] = 1}")) == "810001");
  CHECK(lua.Eval(Pack("{[1.5] = 1}")) == "81ca3fc0000001");
  CHECK(lua.Eval(Pack("{[2] = 2, [1] = 1}")) == "920102");  // order of keys does not matter
  CHECK(lua.Eval(Hex("cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15})")).substr(0, 2) == "9f");
  CHECK(lua.Eval(Hex("cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}):sub(1, 3)")) ==
        "dc0010");
  CHECK(lua.Eval("local t = {} for i = 1, 65536 do t[i] = 0 end "
                 "return hex(cmsgpack.pack(t):sub(1, 5))") == "dd00010000");
  CHECK(lua.Eval("local t = {} for i = 1, 16 do t['k' .. i] = i end "
                 "return hex(cmsgpack.pack(t):sub(1, 3))") == "de0010");
  CHECK(lua.Eval("local t = {} for i = 1, 65536 do t['k' .. i] = i end "
                 "return hex(cmsgpack.pack(t):sub(1, 5))") == "df00010000");
}

TEST_CASE("cmsgpack packs tables nested past 16 levels, and cycles, as nil", "[cmsgpack]") {
  Lua lua;
  std::string sixteen_arrays;
  std::string sixteen_maps;
  for (int i = 0; i < 16; ++i) {
    sixteen_arrays += "91";
    sixteen_maps += "81a473656c66";  // {self = ...}
  }
  CHECK(lua.Eval("local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end "
                 "return hex(cmsgpack.pack(t))") == sixteen_arrays + "c0");
  CHECK(lua.Eval("local t = {} local c = t for i = 1, 15 do c[1] = {} c = c[1] end "
                 "return hex(cmsgpack.pack(t))") == sixteen_arrays.substr(2) + "90");
  CHECK(lua.Eval("local t = {} t[1] = t return hex(cmsgpack.pack(t))") == sixteen_arrays + "c0");
  CHECK(lua.Eval("local t = {} t.self = t return hex(cmsgpack.pack(t))") == sixteen_maps + "c0");
  // A wide cycle would pack 10^16 values: the output limit (512 MiB, which also bounds the
  // work) stops it. A 1 MiB string in the cycle gets there in a few hundred tables.
  CHECK(lua.Error("local t = {('x'):rep(2^20)} for i = 2, 10 do t[i] = t end cmsgpack.pack(t)") ==
        "MessagePack pack output larger than 512 MiB.");
}

TEST_CASE("cmsgpack.pack needs an argument", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Error("cmsgpack.pack()") ==
        "bad argument #0 to 'pack' (MessagePack pack needs input.)");
}

// ---- cmsgpack: decoding -----------------------------------------------------------------------

TEST_CASE("cmsgpack round-trips every type and size class", "[cmsgpack]") {
  Lua lua;
  const char* values[] = {
      "true",
      "false",
      "0",
      "1",
      "127",
      "128",
      "255",
      "256",
      "65535",
      "65536",
      "4294967295",
      "4294967296",
      "2^53",
      "-1",
      "-32",
      "-33",
      "-128",
      "-129",
      "-32768",
      "-32769",
      "-2147483648",
      "-2147483649",
      "-2^63",
      "1.5",
      "0.1",
      "-1e300",
      "math.huge",
      "-math.huge",
      "0/0",
      "''",
      "'abc'",
      "('y'):rep(31)",
      "('y'):rep(32)",
      "('y'):rep(255)",
      "('y'):rep(256)",
      "('y'):rep(70000)",
      "'\\0\\255\\128'",
      "{}",
      "{1, 2, 3}",
      "{a = 1, b = {c = 'd'}, [5] = false}",
      "{{}, {{}}, {1, {2, {3}}}}",
      "{[1.5] = 'x'}",
      "{[-1] = 1, [0] = 0}",
  };
  for (const char* v : values) {
    INFO(v);
    CHECK(lua.Eval("return roundtrip(" + std::string(v) + ")") == "true");
  }
  CHECK(lua.Eval("local t = {} for i = 1, 70000 do t[i] = i end return roundtrip(t)") == "true");
  CHECK(lua.Eval("local t = {} for i = 1, 70000 do t['k'..i] = i end return roundtrip(t)") ==
        "true");
  CHECK(lua.Eval("return select('#', cmsgpack.unpack(cmsgpack.pack(1, nil, 'x')))") == "3");
  CHECK(lua.Eval("return select('#', cmsgpack.unpack(''))") == "0");
}

TEST_CASE("cmsgpack unpacks what other encoders write", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Eval("return cmsgpack.unpack('\\204\\128')") == "128");
  CHECK(lua.Eval("return cmsgpack.unpack('\\204\\5')") == "5");
  CHECK(lua.Eval("return cmsgpack.unpack('\\208\\255')") == "-1");
  CHECK(lua.Eval("return cmsgpack.unpack('\\209\\255\\254')") == "-2");
  CHECK(lua.Eval("return cmsgpack.unpack('\\210\\128\\0\\0\\0')") == "-2147483648");
  CHECK(lua.Eval("return cmsgpack.unpack('\\206\\255\\255\\255\\255')") == "4294967295");
  // uint64 goes through int64, as lua-cmsgpack on 64-bit Lua 5.1: 2^64-1 comes back as -1.
  CHECK(lua.Eval("return cmsgpack.unpack('\\207' .. ('\\255'):rep(8))") == "-1");
  CHECK(lua.Eval("return cmsgpack.unpack('\\207\\128' .. ('\\0'):rep(7)) == -2^63") == "true");
  CHECK(lua.Eval("return cmsgpack.unpack('\\217\\3abc')") == "abc");
  CHECK(lua.Eval("return cmsgpack.unpack('\\218\\0\\1z')") == "z");
  CHECK(lua.Eval("return cmsgpack.unpack('\\219\\0\\0\\0\\0')") == "");
  CHECK(lua.Eval("return cmsgpack.unpack('\\220\\0\\2\\1\\2')[2]") == "2");
  CHECK(lua.Eval("return cmsgpack.unpack('\\222\\0\\1\\161k\\7').k") == "7");
  CHECK(lua.Eval("return cmsgpack.unpack('\\147\\1\\192\\3')[3]") == "3");  // [1, nil, 3]
}

TEST_CASE("cmsgpack refuses truncated and malformed input", "[cmsgpack]") {
  Lua lua;
  const char* missing[] = {
      "'\\146\\1'",                      // array of 2 with 1
      "'\\165abc'",                      // fixstr of 5 with 3
      "'\\204'",                         // uint8 without its byte
      "'\\203\\0\\0'",                   // float64 short
      "'\\219\\255\\255\\255\\255xy'",   // str32 of 4 GiB: no allocation, just missing bytes
      "'\\221\\255\\255\\255\\255'",     // array32 of 4G elements
      "'\\223\\255\\255\\255\\255\\1'",  // map32
      "'\\129\\1'",                      // a key without its value
  };
  for (const char* input : missing) {
    INFO(input);
    CHECK(lua.Error("cmsgpack.unpack(" + std::string(input) + ")") == "Missing bytes in input.");
  }
  const char* bad[] = {"'\\193'",
                       "'\\196\\1a'",
                       "'\\197\\0\\1a'",
                       "'\\198\\0\\0\\0\\1a'",
                       "'\\199\\1\\1a'",
                       "'\\212\\1a'",
                       "'\\216\\1aaaaaaaaaaaaaaaa'",
                       "'\\145\\193'"};
  for (const char* input : bad) {
    INFO(input);
    CHECK(lua.Error("cmsgpack.unpack(" + std::string(input) + ")") == "Bad data format in input.");
  }
  CHECK(lua.Error("cmsgpack.unpack('\\129\\192\\1')") == "table index is nil");
  CHECK(lua.Error("cmsgpack.unpack('\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1')") ==
        "table index is NaN");
  CHECK_THAT(lua.Error("cmsgpack.unpack({})"), Catch::Contains("string expected, got table"));
}

TEST_CASE("cmsgpack bounds nesting and return values on unpack", "[cmsgpack]") {
  Lua lua;
  CHECK(lua.Eval("return type(cmsgpack.unpack(('\\145'):rep(1000) .. '\\1'))") == "table");
  CHECK(lua.Error("cmsgpack.unpack(('\\145'):rep(1001) .. '\\1')") ==
        "MessagePack input nested too deeply.");
  CHECK(lua.Error("cmsgpack.unpack(('\\129\\1'):rep(100000))") ==
        "MessagePack input nested too deeply.");
  CHECK(lua.Eval("return select('#', cmsgpack.unpack(('\\1'):rep(5000)))") == "5000");
  CHECK_THAT(lua.Error("cmsgpack.unpack(('\\1'):rep(100000))"),
             Catch::Contains("too many return values at once; use unpack_one or unpack_limit"));
  CHECK(lua.Eval("local n = 0 local off = 0 local s = ('\\1'):rep(100000) "
                 "while off ~= -1 do off = cmsgpack.unpack_one(s, off) n = n + 1 end "
                 "return n") == "100000");
}

TEST_CASE("cmsgpack.unpack_one and unpack_limit return offsets", "[cmsgpack]") {
  Lua lua;
  // 1 (1 byte) "x" (2 bytes) {2} (2 bytes)
  const std::string s = "local s = cmsgpack.pack(1, 'x', {2}) ";
  CHECK(lua.Eval(s + "local o, v = cmsgpack.unpack_one(s) return o .. ' ' .. v") == "1 1");
  CHECK(lua.Eval(s + "local o, v = cmsgpack.unpack_one(s, 1) return o .. ' ' .. v") == "3 x");
  CHECK(lua.Eval(s + "local o, v = cmsgpack.unpack_one(s, 3) return o .. ' ' .. v[1]") == "-1 2");
  CHECK(lua.Eval(s + "return select('#', cmsgpack.unpack_one(s, 5))") == "1");
  CHECK(lua.Eval(s + "return cmsgpack.unpack_one(s, 5)") == "-1");
  CHECK(lua.Eval(s + "local o, a, b = cmsgpack.unpack_limit(s, 2) return o..' '..a..' '..b") ==
        "3 1 x");
  CHECK(lua.Eval(s + "local o, a = cmsgpack.unpack_limit(s, 5, 3) return o .. ' ' .. a[1]") ==
        "-1 2");
  CHECK(lua.Eval(s + "return select('#', cmsgpack.unpack_limit(s, 1, 1))") == "2");
  // Limit and offset both 0 mean "everything, no offset", as lua-cmsgpack.
  CHECK(
      lua.Eval(s + "local a, b, c = cmsgpack.unpack_limit(s, 0, 0) return a..' '..b..' '..c[1]") ==
      "1 x 2");
  CHECK(lua.Eval(s + "return select('#', cmsgpack.unpack_limit(s, 0, 1))") == "1");
  CHECK(lua.Error(s + "cmsgpack.unpack_one(s, 6)") ==
        "Start offset 6 greater than input length 5.");
  CHECK(lua.Error(s + "cmsgpack.unpack_one(s, -1)") ==
        "Invalid request to unpack with offset of -1 and limit of 1.");
  CHECK(lua.Error(s + "cmsgpack.unpack_limit(s, -2)") ==
        "Invalid request to unpack with offset of 0 and limit of -2.");
  CHECK(lua.Error("cmsgpack.unpack_one('\\146', 0)") == "Missing bytes in input.");
}

// ---- struct -----------------------------------------------------------------------------------

TEST_CASE("struct packs each integer format in both byte orders", "[struct]") {
  Lua lua;
  const std::pair<const char*, const char*> cases[] = {
      {"'>b', -1", "ff"},
      {"'>B', 255", "ff"},
      {"'>h', -2", "fffe"},
      {"'<h', -2", "feff"},
      {"'>H', 0x1234", "1234"},
      {"'<H', 0x1234", "3412"},
      {"'>l', 1", "0000000000000001"},
      {"'<l', -1", "ffffffffffffffff"},
      {"'>L', 2^40", "0000010000000000"},
      {"'<T', 258", "0201000000000000"},
      {"'>i', 1", "00000001"},
      {"'<i', 1", "01000000"},
      {"'>I', 4294967295", "ffffffff"},
      {"'<i', -2", "feffffff"},
      {"'>i3', 0x010203", "010203"},
      {"'<I3', 0x010203", "030201"},
      {"'>i1', 300", "2c"},                                // wraps modulo 2^8
      {"'<i', 2^32 + 5", "05000000"},                      // wraps modulo 2^32
      {"'>i16', -1", "0000000000000000ffffffffffffffff"},  // past 8 bytes: zeros
      {"'<i10', 1", "01000000000000000000"},
      {"'>I', 0/0", "00000000"},
      {"'>i0', 7", ""},
  };
  for (const auto& [args, bytes] : cases) {
    INFO(args);
    CHECK(lua.Eval(Hex("struct.pack(" + std::string(args) + ")")) == bytes);
  }
}

TEST_CASE("struct unpacks each integer format in both byte orders", "[struct]") {
  Lua lua;
  const std::pair<const char*, const char*> cases[] = {
      {"'>b', '\\255'", "-1"},
      {"'>B', '\\255'", "255"},
      {"'>h', '\\255\\254'", "-2"},
      {"'<h', '\\254\\255'", "-2"},
      {"'<H', '\\52\\18'", "4660"},
      {"'>i3', '\\255\\255\\127'", "-129"},
      {"'<i3', '\\255\\255\\127'", "8388607"},
      {"'<i8', ('\\255'):rep(8)", "-1"},
      {"'<I8', ('\\255'):rep(8)", "1.844674407371e+19"},
      {"'>l', '\\128' .. ('\\0'):rep(7)", "-9.2233720368548e+18"},
      {"'>i16', ('\\0'):rep(8) .. ('\\255'):rep(8)", "-1"},  // the low 8 bytes
      {"'>I0', ''", "0"},
  };
  for (const auto& [args, value] : cases) {
    INFO(args);
    CHECK(lua.Eval("return struct.unpack(" + std::string(args) + ")") == value);
  }
  CHECK(lua.Eval("return struct.unpack('>i', struct.pack('>i', -123456))") == "-123456");
  CHECK(lua.Eval("return select(2, struct.unpack('<i', '\\1\\0\\0\\0'))") == "5");
}

TEST_CASE("struct packs floats, strings and padding", "[struct]") {
  Lua lua;
  CHECK(lua.Eval(Hex("struct.pack('>f', 1.5)")) == "3fc00000");
  CHECK(lua.Eval(Hex("struct.pack('<f', 1.5)")) == "0000c03f");
  CHECK(lua.Eval(Hex("struct.pack('>d', 1.5)")) == "3ff8000000000000");
  CHECK(lua.Eval(Hex("struct.pack('<d', 1.5)")) == "000000000000f83f");
  CHECK(lua.Eval(Hex("struct.pack('>f', 1e300)")) == "7f800000");
  CHECK(lua.Eval(Hex("struct.pack('>f', -1e300)")) == "ff800000");
  CHECK(lua.Eval("return struct.unpack('<f', '\\0\\0\\192\\63')") == "1.5");
  CHECK(lua.Eval("return struct.unpack('>d', struct.pack('>d', 0.1)) == 0.1") == "true");
  CHECK(lua.Eval(Hex("struct.pack('s', 'ab')")) == "616200");
  CHECK(lua.Eval(Hex("struct.pack('c3', 'abcd')")) == "616263");
  CHECK(lua.Eval(Hex("struct.pack('c0', 'hello')")) == "68656c6c6f");
  CHECK(lua.Eval(Hex("struct.pack('c', 'xy')")) == "78");
  CHECK(lua.Eval(Hex("struct.pack('bxb', 1, 2)")) == "010002");
  CHECK(lua.Eval(Hex("struct.pack(' > h ', 1)")) == "0001");
  CHECK(lua.Eval(Hex("struct.pack('b\\0b', 1, 2)")) == "01");  // a format ends at NUL
  CHECK(lua.Eval("local a, b = struct.unpack('s', 'ab\\0cd') return a .. ' ' .. b") == "ab 4");
  CHECK(lua.Eval("local a, b = struct.unpack('c2', 'abc') return a .. ' ' .. b") == "ab 3");
  CHECK(lua.Eval("local a, b = struct.unpack('Bc0', '\\3abcdef') return a .. ' ' .. b") == "abc 5");
  CHECK(lua.Eval("local a, b = struct.unpack('c1c0', '3abcdef') return a .. ' ' .. b") ==
        "abc 5");  // a numeric string counts as a size, as in the C library
  CHECK(lua.Eval("local a, b, c = struct.unpack('bxb', '\\1\\0\\2') return a..' '..b..' '..c") ==
        "1 2 4");
}

TEST_CASE("struct aligns items with '!'", "[struct]") {
  Lua lua;
  CHECK(lua.Eval("return struct.size('bi')") == "5");  // alignment 1 by default
  CHECK(lua.Eval("return struct.size('!4 bi')") == "8");
  CHECK(lua.Eval("return struct.size('!bd')") == "16");  // native: 8 here
  CHECK(lua.Eval("return struct.size('!2 bd')") == "10");
  CHECK(lua.Eval("return struct.size('!4 bh')") == "4");
  CHECK(lua.Eval("return struct.size('!8 bc3i')") == "8");  // c is never aligned
  CHECK(lua.Eval("return struct.size('!4 b i3')") == "6");  // the C library's formula for i3
  CHECK(lua.Eval("return struct.size('bhlTifd')") == "35");
  CHECK(lua.Eval("return struct.size('c10')") == "10");
  CHECK(lua.Eval("return struct.size('')") == "0");
  CHECK(lua.Eval(Hex("struct.pack('>!4 bi', 1, 2)")) == "0100000000000002");
  CHECK(lua.Eval(Hex("struct.pack('<!4 bh', 1, 2)")) == "01000200");
  CHECK(lua.Eval("local a, b, c = struct.unpack('>!4 bi', '\\1\\0\\0\\0\\0\\0\\0\\2') "
                 "return a .. ' ' .. b .. ' ' .. c") == "1 2 9");
  // Alignment counts from the start of the data, not from init.
  CHECK(lua.Eval("local a, b = struct.unpack('>!4 i', '\\0\\0\\0\\0\\0\\0\\0\\5', 2) "
                 "return a .. ' ' .. b") == "5 9");
}

TEST_CASE("struct reports bad formats and short data", "[struct]") {
  Lua lua;
  CHECK(lua.Error("struct.unpack('>i', '\\0\\0')") ==
        "bad argument #2 to 'unpack' (data string too short)");
  CHECK(lua.Error("struct.unpack('>i', '\\0\\0\\0\\0', 2)") ==
        "bad argument #2 to 'unpack' (data string too short)");
  CHECK(lua.Error("struct.unpack('c9', 'abc')") ==
        "bad argument #2 to 'unpack' (data string too short)");
  CHECK(lua.Error("struct.unpack('Bc0', '\\9ab')") ==
        "bad argument #2 to 'unpack' (data string too short)");
  CHECK(lua.Error("struct.unpack('b', '\\1', 0)") ==
        "bad argument #3 to 'unpack' (offset must be 1 or greater)");
  CHECK(lua.Error("struct.unpack('c0', 'abc')") == "format 'c0' needs a previous size");
  CHECK(lua.Error("struct.unpack('s', 'abc')") == "unfinished string in data");
  CHECK(lua.Error("struct.pack('z')") == "bad argument #1 to 'pack' (invalid format option 'z')");
  CHECK(lua.Error("struct.unpack('5', '')") ==
        "bad argument #1 to 'unpack' (invalid format option '5')");
  CHECK(lua.Eval("return struct.size('z')") == "0");  // size skips unknown letters
  CHECK(lua.Error("struct.size('@')") == "bad argument #1 to 'size' (invalid format option '@')");
  CHECK(lua.Error("struct.pack('!3')") == "alignment 3 is not a power of 2");
  CHECK(lua.Error("struct.pack('!0')") == "alignment 0 is not a power of 2");
  CHECK(lua.Error("struct.pack('i33', 1)") == "integral size 33 is larger than limit of 32");
  CHECK(lua.Error("struct.size('c99999999999')") == "integral size overflow");
  CHECK(lua.Error("struct.size('s')") ==
        "bad argument #1 to 'size' (options 's' has no fixed size)");
  CHECK(lua.Error("struct.size('c0')") ==
        "bad argument #1 to 'size' (options 'c0' has no fixed size)");
  // The C library names the argument after the short string.
  CHECK(lua.Error("struct.pack('c5', 'abc')") == "bad argument #3 to 'pack' (string too short)");
  CHECK(lua.Error("struct.pack('i')") ==
        "bad argument #2 to 'pack' (number expected, got no value)");
  CHECK(lua.Error("struct.pack('s', {})") ==
        "bad argument #2 to 'pack' (string expected, got table)");
}

// ---- the set of libraries ---------------------------------------------------------------------

TEST_CASE("OpenRedisLibraries loads cjson, bit, cmsgpack and struct", "[libs]") {
  Lua lua;
  CHECK(lua.Eval("return cjson.encode({1, 2})") == "[1,2]");
  CHECK(lua.Eval("return cjson.decode('{\"a\":[true]}').a[1]") == "true");
  CHECK(lua.Eval("return bit.band(6, 3)") == "2");
  CHECK(lua.Eval("return bit.tohex(255)") == "000000ff");
  // Only pure functions and metadata: nothing that reaches files or the process.
  CHECK(lua.Eval("local k = {} for name, v in pairs(cmsgpack) do "
                 "k[#k + 1] = name .. ':' .. type(v) end table.sort(k) "
                 "return table.concat(k, ' ')") ==
        "_DESCRIPTION:string _NAME:string _VERSION:string pack:function unpack:function "
        "unpack_limit:function unpack_one:function");
  CHECK(lua.Eval("local k = {} for name, v in pairs(struct) do "
                 "k[#k + 1] = name .. ':' .. type(v) end table.sort(k) "
                 "return table.concat(k, ' ')") == "pack:function size:function unpack:function");
}

}  // namespace tidekv::lua
