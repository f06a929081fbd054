// Bit commands (commands/bits.cc): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD
// and BITFIELD_RO with Redis 7.2's replies and error texts. Several cases mirror Redis's own
// unit/bitops and unit/bitfield tests.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using namespace std::string_literals;

std::string Arr(size_t n) { return "*" + std::to_string(n) + "\r\n"; }
std::string Ints(std::initializer_list<long long> values) {
  std::string out = Arr(values.size());
  for (long long v : values) out += Int(v);
  return out;
}
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kSyntax = Err("ERR syntax error");
const std::string kBadOffset = Err("ERR bit offset is not an integer or out of range");
const std::string kBadBit = Err("ERR bit is not an integer or out of range");
const std::string kBadType =
    Err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
        "i64 is.");

uint64_t Dirty(EngineFixture& f) { return f.engine().stats().dirty; }

bool BitAt(std::string_view s, uint64_t pos) {
  return pos / 8 < s.size() && ((static_cast<uint8_t>(s[pos / 8]) >> (7 - pos % 8)) & 1);
}

}  // namespace

// ---- SETBIT / GETBIT ------------------------------------------------------------------------

TEST_CASE("SETBIT against a missing key", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SETBIT", "k", "1", "1"}) == Int(0));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("\x40"));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "k"}) == Bulk("raw"));
  REQUIRE(f.Run({"SETBIT", "z", "100", "0"}) == Int(0));
  REQUIRE(f.Run({"STRLEN", "z"}) == Int(13));
  REQUIRE(f.Run({"GET", "z"}) == Bulk(std::string(13, '\0')));
}

TEST_CASE("SETBIT against existing strings", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "@"}) == kOk);
  REQUIRE(f.Run({"SETBIT", "k", "2", "1"}) == Int(0));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("`"));
  REQUIRE(f.Run({"SETBIT", "k", "1", "0"}) == Int(1));
  REQUIRE(f.Run({"GET", "k"}) == Bulk(" "));
  // An integer-looking value is just its digits' bytes.
  REQUIRE(f.Run({"SET", "n", "1"}) == kOk);
  REQUIRE(f.Run({"SETBIT", "n", "6", "1"}) == Int(0));
  REQUIRE(f.Run({"GET", "n"}) == Bulk("3"));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "n"}) == Bulk("raw"));
  // Growing pads with zeros and keeps the TTL.
  REQUIRE(f.Run({"SET", "t", "\xff", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"SETBIT", "t", "15", "1"}) == Int(0));
  REQUIRE(f.Run({"GET", "t"}) == Bulk("\xff\x01"));
  REQUIRE(f.Run({"PTTL", "t"}) == Int(100000));
}

TEST_CASE("SETBIT counts a change only when something changed", "[bits]") {
  EngineFixture f;
  uint64_t before = Dirty(f);
  REQUIRE(f.Run({"SETBIT", "k", "0", "0"}) == Int(0));  // creates the key
  REQUIRE(Dirty(f) == before + 1);
  before = Dirty(f);
  REQUIRE(f.Run({"SETBIT", "k", "0", "0"}) == Int(0));
  REQUIRE(Dirty(f) == before);
  REQUIRE(f.Run({"SETBIT", "k", "0", "1"}) == Int(0));
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"SETBIT", "k", "0", "1"}) == Int(1));
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"SETBIT", "k", "20", "0"}) == Int(0));  // grows the string
  REQUIRE(Dirty(f) == before + 2);
}

TEST_CASE("SETBIT errors", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SETBIT", "k", "-1", "1"}) == kBadOffset);
  REQUIRE(f.Run({"SETBIT", "k", "x", "1"}) == kBadOffset);
  REQUIRE(f.Run({"SETBIT", "k", "4294967296", "1"}) == kBadOffset);  // 512 MB
  REQUIRE(f.Run({"SETBIT", "k", "0", "-1"}) == kBadBit);
  REQUIRE(f.Run({"SETBIT", "k", "0", "2"}) == kBadBit);
  REQUIRE(f.Run({"SETBIT", "k", "0", "10"}) == kBadBit);
  REQUIRE(f.Run({"SETBIT", "k", "0", "one"}) == kBadBit);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  // The offset limit follows the configured maximum string size.
  f.config().max_bulk_bytes = 4;
  REQUIRE(f.Run({"SETBIT", "k", "31", "1"}) == Int(0));
  REQUIRE(f.Run({"SETBIT", "k", "32", "1"}) == kBadOffset);
  REQUIRE(f.Run({"GETBIT", "k", "32"}) == kBadOffset);
  REQUIRE(f.Run({"STRLEN", "k"}) == Int(4));
}

TEST_CASE("GETBIT", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"GETBIT", "k", "0"}) == Int(0));
  REQUIRE(f.Run({"GETBIT", "k", "-1"}) == kBadOffset);
  REQUIRE(f.Run({"SET", "k", "`"}) == kOk);  // 0110 0000
  REQUIRE(f.Run({"GETBIT", "k", "0"}) == Int(0));
  REQUIRE(f.Run({"GETBIT", "k", "1"}) == Int(1));
  REQUIRE(f.Run({"GETBIT", "k", "2"}) == Int(1));
  REQUIRE(f.Run({"GETBIT", "k", "3"}) == Int(0));
  REQUIRE(f.Run({"GETBIT", "k", "8"}) == Int(0));
  REQUIRE(f.Run({"GETBIT", "k", "10000"}) == Int(0));
  REQUIRE(f.Run({"SET", "n", "1"}) == kOk);  // 0011 0001
  REQUIRE(f.Run({"GETBIT", "n", "2"}) == Int(1));
  REQUIRE(f.Run({"GETBIT", "n", "7"}) == Int(1));
  REQUIRE(f.Run({"GETBIT", "n", "1"}) == Int(0));
}

// ---- BITCOUNT -------------------------------------------------------------------------------

TEST_CASE("BITCOUNT", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITCOUNT", "k"}) == Int(0));
  REQUIRE(f.Run({"BITCOUNT", "k", "0", "-1"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "foobar"}) == kOk);
  REQUIRE(f.Run({"BITCOUNT", "k"}) == Int(26));
  REQUIRE(f.Run({"BITCOUNT", "k", "0", "0"}) == Int(4));
  REQUIRE(f.Run({"BITCOUNT", "k", "1", "1"}) == Int(6));
  REQUIRE(f.Run({"BITCOUNT", "k", "1", "1", "BYTE"}) == Int(6));
  REQUIRE(f.Run({"BITCOUNT", "k", "5", "30", "BIT"}) == Int(17));
  REQUIRE(f.Run({"BITCOUNT", "k", "-1", "-1"}) == Int(4));
  REQUIRE(f.Run({"BITCOUNT", "k", "-2", "-1"}) == Int(7));
  REQUIRE(f.Run({"BITCOUNT", "k", "-1", "-5"}) == Int(0));
  REQUIRE(f.Run({"BITCOUNT", "k", "0", "100"}) == Int(26));
  REQUIRE(f.Run({"BITCOUNT", "k", "100", "200"}) == Int(0));
  REQUIRE(f.Run({"BITCOUNT", "k", "-100", "-1"}) == Int(26));
  REQUIRE(f.Run({"BITCOUNT", "k", "-1", "-1", "bit"}) == Int(0));
  REQUIRE(f.Run({"BITCOUNT", "k", "-2", "-1", "BIT"}) == Int(1));
  REQUIRE(f.Run({"BITCOUNT", "k", "0", "-1", "bit"}) == Int(26));
  REQUIRE(f.Run({"BITCOUNT", "k", "3", "3", "BIT"}) == Int(0));
  REQUIRE(f.Run({"BITCOUNT", "k", "1", "1", "BIT"}) == Int(1));
  REQUIRE(f.Run({"SET", "e", ""}) == kOk);
  REQUIRE(f.Run({"BITCOUNT", "e"}) == Int(0));
  REQUIRE(f.Run({"BITCOUNT", "e", "0", "-1", "BIT"}) == Int(0));
}

TEST_CASE("BITCOUNT errors, checked before the key", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "foobar"}) == kOk);
  for (std::string_view key : {"k", "missing"}) {
    INFO(key);
    REQUIRE(f.Run({"BITCOUNT", key, "0"}) == kSyntax);
    REQUIRE(f.Run({"BITCOUNT", key, "0", "1", "BITS"}) == kSyntax);
    REQUIRE(f.Run({"BITCOUNT", key, "0", "1", "BIT", "x"}) == kSyntax);
    REQUIRE(f.Run({"BITCOUNT", key, "a", "1"}) == kNotInt);
    REQUIRE(f.Run({"BITCOUNT", key, "0", "1.0"}) == kNotInt);
  }
  REQUIRE(f.Run({"BITCOUNT"}) == Err("ERR wrong number of arguments for 'bitcount' command"));
}

// ---- BITPOS ---------------------------------------------------------------------------------

TEST_CASE("BITPOS on a missing key", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITPOS", "k", "0"}) == Int(0));
  REQUIRE(f.Run({"BITPOS", "k", "1"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "0", "5", "10", "BIT"}) == Int(0));
  REQUIRE(f.Run({"BITPOS", "k", "1", "5", "10"}) == Int(-1));
}

TEST_CASE("BITPOS on short strings", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "\xff\xf0\x00"s}) == kOk);
  REQUIRE(f.Run({"BITPOS", "k", "0"}) == Int(12));
  REQUIRE(f.Run({"BITPOS", "k", "0", "0", "-1", "BIT"}) == Int(12));
  REQUIRE(f.Run({"BITPOS", "k", "0", "1"}) == Int(12));
  REQUIRE(f.Run({"BITPOS", "k", "0", "1", "-1", "bit"}) == Int(12));
  REQUIRE(f.Run({"BITPOS", "k", "1"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "\x00\x0f\x00"s}) == kOk);
  REQUIRE(f.Run({"BITPOS", "k", "1"}) == Int(12));
  REQUIRE(f.Run({"BITPOS", "k", "1", "0", "-1", "BIT"}) == Int(12));
  REQUIRE(f.Run({"BITPOS", "k", "1", "13", "-1", "BIT"}) == Int(13));
  REQUIRE(f.Run({"BITPOS", "k", "1", "16", "-1", "BIT"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "0"}) == Int(0));
}

TEST_CASE("BITPOS with intervals", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "\x00\xff\x00"s}) == kOk);
  // bit 0
  REQUIRE(f.Run({"BITPOS", "k", "0", "0", "-1"}) == Int(0));
  REQUIRE(f.Run({"BITPOS", "k", "0", "1", "-1"}) == Int(16));
  REQUIRE(f.Run({"BITPOS", "k", "0", "2", "-1"}) == Int(16));
  REQUIRE(f.Run({"BITPOS", "k", "0", "2", "200"}) == Int(16));
  REQUIRE(f.Run({"BITPOS", "k", "0", "1", "1"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "0", "0", "-1", "BIT"}) == Int(0));
  REQUIRE(f.Run({"BITPOS", "k", "0", "8", "-1", "BIT"}) == Int(16));
  REQUIRE(f.Run({"BITPOS", "k", "0", "16", "-1", "BIT"}) == Int(16));
  REQUIRE(f.Run({"BITPOS", "k", "0", "16", "200", "BIT"}) == Int(16));
  REQUIRE(f.Run({"BITPOS", "k", "0", "8", "8", "BIT"}) == Int(-1));
  // bit 1
  REQUIRE(f.Run({"BITPOS", "k", "1", "0", "-1"}) == Int(8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "1", "-1"}) == Int(8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "2", "-1"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "1", "2", "200"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "1", "1", "1"}) == Int(8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "0", "-1", "bit"}) == Int(8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "8", "-1", "bit"}) == Int(8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "16", "-1", "bit"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "1", "16", "200", "bit"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "1", "8", "8", "bit"}) == Int(8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "9", "14", "bit"}) == Int(9));
  // Empty ranges contain neither bit.
  REQUIRE(f.Run({"BITPOS", "k", "1", "2", "1"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "0", "-1", "-2"}) == Int(-1));
}

TEST_CASE("BITPOS bit=0 pads with zeros only without an end", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "\xff\xff\xff"s}) == kOk);
  REQUIRE(f.Run({"BITPOS", "k", "0"}) == Int(24));
  REQUIRE(f.Run({"BITPOS", "k", "0", "0"}) == Int(24));
  REQUIRE(f.Run({"BITPOS", "k", "0", "1"}) == Int(24));
  REQUIRE(f.Run({"BITPOS", "k", "0", "0", "-1"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "k", "0", "0", "-1", "BIT"}) == Int(-1));
  REQUIRE(f.Run({"SET", "e", ""}) == kOk);
  REQUIRE(f.Run({"BITPOS", "e", "0"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "e", "1"}) == Int(-1));
}

TEST_CASE("BITPOS across long runs", "[bits]") {
  EngineFixture f;
  // Unaligned head, full words, then the answer in the tail.
  std::string ones(3 + 8 + 8, '\xff');
  ones += "\x0f"s;
  REQUIRE(f.Run({"SET", "k", ones}) == kOk);
  REQUIRE(f.Run({"BITPOS", "k", "0"}) == Int(19 * 8));
  REQUIRE(f.Run({"BITPOS", "k", "0", "1"}) == Int(19 * 8));
  REQUIRE(f.Run({"BITPOS", "k", "1", "19"}) == Int(19 * 8 + 4));
  std::string zeros(40, '\0');
  zeros[37] = '\x01';
  REQUIRE(f.Run({"SET", "z", zeros}) == kOk);
  REQUIRE(f.Run({"BITPOS", "z", "1"}) == Int(37 * 8 + 7));
  REQUIRE(f.Run({"BITPOS", "z", "1", "0", "36"}) == Int(-1));
  REQUIRE(f.Run({"BITPOS", "z", "1", "3", "-1"}) == Int(37 * 8 + 7));
}

TEST_CASE("BITPOS errors, checked before the key", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "abc"}) == kOk);
  for (std::string_view key : {"k", "missing"}) {
    INFO(key);
    REQUIRE(f.Run({"BITPOS", key, "2"}) == Err("ERR The bit argument must be 1 or 0."));
    REQUIRE(f.Run({"BITPOS", key, "-1"}) == Err("ERR The bit argument must be 1 or 0."));
    REQUIRE(f.Run({"BITPOS", key, "x"}) == kNotInt);
    REQUIRE(f.Run({"BITPOS", key, "1", "a"}) == kNotInt);
    REQUIRE(f.Run({"BITPOS", key, "1", "0", "a"}) == kNotInt);
    REQUIRE(f.Run({"BITPOS", key, "1", "0", "1", "WORD"}) == kSyntax);
    REQUIRE(f.Run({"BITPOS", key, "1", "0", "a", "WORD"}) == kSyntax);
    REQUIRE(f.Run({"BITPOS", key, "1", "0", "1", "BIT", "x"}) == kSyntax);
  }
}

TEST_CASE("BITCOUNT and BITPOS match a bit-by-bit model", "[bits]") {
  EngineFixture f;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; round++) {
    std::string s(rng() % 24, '\0');
    const int density = static_cast<int>(rng() % 3);  // sparse, mixed, dense
    for (char& c : s) {
      uint8_t v = static_cast<uint8_t>(rng());
      if (density == 0) v &= static_cast<uint8_t>(rng());
      if (density == 2) v |= static_cast<uint8_t>(rng());
      c = static_cast<char>(v);
    }
    REQUIRE(f.Run({"SET", "k", s}) == kOk);
    const bool in_bits = rng() % 2;
    const int64_t total = static_cast<int64_t>(in_bits ? s.size() * 8 : s.size());
    const int64_t span = total + 4;
    int64_t start = static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * span)) - span;
    int64_t end = static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * span)) - span;
    const std::string start_arg = std::to_string(start), end_arg = std::to_string(end);
    const std::string_view unit = in_bits ? "BIT" : "BYTE";
    INFO("len " << s.size() << " range " << start << " " << end << " " << unit);

    // The model: resolve the range as Redis documents it, then look at single bits.
    const bool reversed_negatives = start < 0 && end < 0 && start > end;
    if (start < 0) start += total;
    if (end < 0) end += total;
    start = std::max<int64_t>(start, 0);
    end = std::max<int64_t>(end, 0);
    end = std::min<int64_t>(end, total - 1);
    const int64_t lo = in_bits ? start : start * 8;
    const int64_t hi = in_bits ? end : end * 8 + 7;
    long long count = 0, first_one = -1, first_zero = -1;
    for (int64_t pos = lo; start <= end && pos <= hi; pos++) {
      if (BitAt(s, static_cast<uint64_t>(pos))) {
        count++;
        if (first_one < 0) first_one = pos;
      } else if (first_zero < 0) {
        first_zero = pos;
      }
    }
    REQUIRE(f.Run({"BITCOUNT", "k", start_arg, end_arg, unit}) ==
            Int(reversed_negatives ? 0 : count));
    REQUIRE(f.Run({"BITPOS", "k", "1", start_arg, end_arg, unit}) == Int(first_one));
    REQUIRE(f.Run({"BITPOS", "k", "0", start_arg, end_arg, unit}) == Int(first_zero));
  }
}

// ---- BITOP ----------------------------------------------------------------------------------

TEST_CASE("BITOP NOT", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "s", ""}) == kOk);
  REQUIRE(f.Run({"BITOP", "NOT", "dest", "s"}) == Int(0));
  REQUIRE(f.Run({"EXISTS", "dest"}) == Int(0));
  REQUIRE(f.Run({"SET", "s", "\xaa\x00\xff\x55"s}) == kOk);
  REQUIRE(f.Run({"BITOP", "not", "dest", "s"}) == Int(4));
  REQUIRE(f.Run({"GET", "dest"}) == Bulk("\x55\xff\x00\xaa"s));
  // Source and destination may be the same key.
  REQUIRE(f.Run({"BITOP", "NOT", "s", "s"}) == Int(4));
  REQUIRE(f.Run({"GET", "s"}) == Bulk("\x55\xff\x00\xaa"s));
}

TEST_CASE("BITOP AND, OR, XOR", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "a", "\x01\x02\xff"s}) == kOk);
  for (std::string_view op : {"AND", "OR", "XOR"}) {
    INFO(op);
    REQUIRE(f.Run({"BITOP", op, "res", "a"}) == Int(3));
    REQUIRE(f.Run({"GET", "res"}) == Bulk("\x01\x02\xff"s));
  }
  // Missing keys are streams of zeros.
  REQUIRE(f.Run({"BITOP", "AND", "res", "no-such-key", "a"}) == Int(3));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x00\x00\x00"s));
  REQUIRE(f.Run({"BITOP", "OR", "res", "no-such-key", "a", "no-such-key"}) == Int(3));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x01\x02\xff"s));
  REQUIRE(f.Run({"BITOP", "XOR", "res", "no-such-key", "a"}) == Int(3));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x01\x02\xff"s));
  // Shorter keys are zero-padded to the longest.
  REQUIRE(f.Run({"SET", "a", "\x01\x02\xff\xff"s}) == kOk);
  REQUIRE(f.Run({"SET", "b", "\x01\x02\xff"s}) == kOk);
  REQUIRE(f.Run({"BITOP", "AND", "res", "a", "b"}) == Int(4));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x01\x02\xff\x00"s));
  REQUIRE(f.Run({"BITOP", "OR", "res", "a", "b"}) == Int(4));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x01\x02\xff\xff"s));
  REQUIRE(f.Run({"BITOP", "XOR", "res", "a", "b"}) == Int(4));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x00\x00\x00\xff"s));
  REQUIRE(f.Run({"SET", "c", "\x0f\xf0\x3c\xc3"s}) == kOk);
  REQUIRE(f.Run({"BITOP", "XOR", "res", "a", "b", "c"}) == Int(4));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x0f\xf0\x3c\x3c"s));
  REQUIRE(f.Run({"BITOP", "AND", "res", "a", "c"}) == Int(4));
  REQUIRE(f.Run({"GET", "res"}) == Bulk("\x01\x00\x3c\xc3"s));
}

TEST_CASE("BITOP replaces the destination and its TTL", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "dest", "old", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"SET", "a", "xy"}) == kOk);
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"BITOP", "OR", "dest", "a"}) == Int(2));
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"GET", "dest"}) == Bulk("xy"));
  REQUIRE(f.Run({"PTTL", "dest"}) == Int(-1));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "dest"}) == Bulk("raw"));
  // All sources empty: the destination is deleted.
  REQUIRE(f.Run({"BITOP", "AND", "dest", "nothing", "none"}) == Int(0));
  REQUIRE(f.Run({"EXISTS", "dest"}) == Int(0));
  REQUIRE(Dirty(f) == before + 2);
  REQUIRE(f.Run({"BITOP", "AND", "dest", "nothing"}) == Int(0));
  REQUIRE(Dirty(f) == before + 2);
  // Issue #529 in Redis: an empty source after a long one.
  REQUIRE(f.Run({"SET", "long", std::string(32, '\0')}) == kOk);
  REQUIRE(f.Run({"BITOP", "OR", "x", "long", "empty"}) == Int(32));
}

TEST_CASE("BITOP errors", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITOP", "NAND", "d", "a"}) == kSyntax);
  REQUIRE(f.Run({"BITOP", "NOT", "d", "a", "b"}) ==
          Err("ERR BITOP NOT must be called with a single source key."));
  REQUIRE(f.Run({"BITOP", "AND", "d"}) == Err("ERR wrong number of arguments for 'bitop' command"));
}

// ---- BITFIELD -------------------------------------------------------------------------------

TEST_CASE("BITFIELD SET and GET", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITFIELD", "bits", "SET", "i8", "0", "-100"}) == Ints({0}));
  REQUIRE(f.Run({"BITFIELD", "bits", "SET", "i8", "0", "101"}) == Ints({-100}));
  REQUIRE(f.Run({"BITFIELD", "bits", "GET", "i8", "0"}) == Ints({101}));
  REQUIRE(f.Run({"BITFIELD", "u", "SET", "u8", "0", "255"}) == Ints({0}));
  REQUIRE(f.Run({"BITFIELD", "u", "SET", "u8", "0", "100"}) == Ints({255}));
  REQUIRE(f.Run({"BITFIELD", "u", "get", "u8", "0"}) == Ints({100}));
  REQUIRE(f.Run({"BITFIELD", "t", "SET", "i8", "0", "255", "SET", "i8", "0", "100", "GET", "i8",
                 "0"}) == Ints({0, -1, 100}));
  // "#n" offsets are multiplied by the width.
  REQUIRE(f.Run({"BITFIELD", "abc", "SET", "u8", "#0", "65", "SET", "u8", "#1", "66", "SET", "u8",
                 "#2", "67"}) == Ints({0, 0, 0}));
  REQUIRE(f.Run({"GET", "abc"}) == Bulk("ABC"));
  REQUIRE(f.Run({"BITFIELD", "abc", "GET", "u4", "#1", "GET", "u16", "8"}) == Ints({1, 0x4243}));
  // Unaligned fields and reads past the end (zeros).
  REQUIRE(f.Run({"BITFIELD", "w", "SET", "u5", "7", "23"}) == Ints({0}));
  REQUIRE(f.Run({"GET", "w"}) == Bulk("\x01\x70"s));
  REQUIRE(f.Run({"BITFIELD", "w", "GET", "u5", "7", "GET", "i5", "7", "GET", "u8", "100"}) ==
          Ints({23, -9, 0}));
  REQUIRE(f.Run({"BITFIELD", "missing", "GET", "i16", "0"}) == Ints({0}));
  REQUIRE(f.Run({"EXISTS", "missing"}) == Int(0));
  // "1" is 0011 0001.
  REQUIRE(f.Run({"SET", "one", "1"}) == kOk);
  REQUIRE(f.Run({"BITFIELD", "one", "GET", "u1", "0", "GET", "u2", "2"}) == Ints({0, 3}));
}

TEST_CASE("BITFIELD 64-bit fields", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "i64", "3", "-9223372036854775808"}) == Ints({0}));
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "i64", "3"}) == Arr(1) + ":-9223372036854775808\r\n");
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u63", "3", "9223372036854775807"}) ==
          Ints({4611686018427387904}));
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u63", "3"}) == Ints({INT64_MAX}));
  REQUIRE(f.Run({"BITFIELD", "k2", "SET", "i64", "0", "9223372036854775807", "OVERFLOW", "SAT",
                 "INCRBY", "i64", "0", "1", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "1"}) ==
          Arr(3) + Int(0) + Int(INT64_MAX) + ":-9223372036854775808\r\n");
  REQUIRE(f.Run({"BITFIELD", "k2", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1"}) ==
          Arr(1) + kNil);
  REQUIRE(f.Run({"BITFIELD", "k2", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1"}) ==
          Arr(1) + ":-9223372036854775808\r\n");
}

TEST_CASE("BITFIELD INCRBY", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITFIELD", "bits", "SET", "u8", "#0", "10"}) == Ints({0}));
  REQUIRE(f.Run({"BITFIELD", "bits", "INCRBY", "u8", "#0", "100"}) == Ints({110}));
  REQUIRE(f.Run({"BITFIELD", "bits", "incrby", "u8", "#0", "100", "INCRBY", "u8", "#0", "-5"}) ==
          Ints({210, 205}));
}

TEST_CASE("BITFIELD overflow", "[bits]") {
  EngineFixture f;
  SECTION("unsigned wrap") {
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "#0", "100"}) == Ints({0}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "wrap", "INCRBY", "u8", "#0", "257"}) ==
            Ints({101}));
    REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "0"}) == Ints({101}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "255"}) ==
            Ints({100}));
    REQUIRE(f.Run({"BITFIELD", "k", "INCRBY", "u8", "#0", "-101"}) == Ints({255}));
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "-1", "GET", "u8", "0"}) == Ints({255, 255}));
  }
  SECTION("unsigned saturate") {
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "#0", "100"}) == Ints({0}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "257"}) ==
            Ints({255}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "-255"}) == Ints({0}));
    // A negative SET is a huge unsigned value: it saturates upwards.
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "#0", "-1"}) == Ints({0}));
    REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "0"}) == Ints({255}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "#0", "300"}) == Ints({255}));
  }
  SECTION("signed wrap") {
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "i8", "0", "100"}) == Ints({0}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "257"}) ==
            Ints({101}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "255"}) ==
            Ints({100}));
    REQUIRE(f.Run({"BITFIELD", "k", "INCRBY", "i8", "0", "28"}) == Ints({-128}));
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "i8", "0", "200", "GET", "i8", "0"}) ==
            Ints({-128, -56}));
  }
  SECTION("signed saturate") {
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "100"}) == Ints({0}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "257"}) == Ints({127}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-255"}) ==
            Ints({-128}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i4", "0", "9"}) == Ints({-8}));
    REQUIRE(f.Run({"BITFIELD", "k", "GET", "i4", "0"}) == Ints({7}));
  }
  SECTION("fail") {
    REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "254"}) == Ints({0}));
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"}) == Ints({255}));
    const uint64_t before = Dirty(f);
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "GET", "u8",
                   "0"}) == Arr(2) + kNil + Int(255));
    REQUIRE(Dirty(f) == before);
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i8", "0", "128"}) == Arr(1) + kNil);
    REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1"}) == Ints({-2}));
    // OVERFLOW applies to the operations after it only.
    REQUIRE(f.Run({"BITFIELD", "k", "INCRBY", "u8", "0", "10", "OVERFLOW", "FAIL", "INCRBY", "u8",
                   "0", "250"}) == Arr(2) + Int(8) + kNil);
  }
}

TEST_CASE("BITFIELD counts changes", "[bits]") {
  EngineFixture f;
  uint64_t before = Dirty(f);
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "0"}) == Ints({0}));  // creates the key
  REQUIRE(Dirty(f) == before + 1);
  before = Dirty(f);
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "0", "INCRBY", "u8", "0", "0"}) ==
          Ints({0, 0}));
  REQUIRE(Dirty(f) == before);
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "1"}) ==
          Ints({0, 6}));
  REQUIRE(Dirty(f) == before + 2);
  REQUIRE(f.Run({"OBJECT", "ENCODING", "k"}) == Bulk("raw"));
  REQUIRE(f.Run({"BITFIELD", "k"}) == Arr(0));
}

TEST_CASE("BITFIELD errors", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u64", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "i65", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "i0", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "U8", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "x8", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u08", "0"}) == kBadType);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "-1"}) == kBadOffset);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "#-1"}) == kBadOffset);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "x"}) == kBadOffset);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "4294967296"}) == kBadOffset);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "#536870912"}) == kBadOffset);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8", "#1152921504606846976"}) == kBadOffset);
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "x"}) == kNotInt);
  REQUIRE(f.Run({"BITFIELD", "k", "INCRBY", "u8", "0", "1.5"}) == kNotInt);
  REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW", "NONE", "GET", "u8", "0"}) ==
          Err("ERR Invalid OVERFLOW type specified"));
  REQUIRE(f.Run({"BITFIELD", "k", "FOO"}) == kSyntax);
  REQUIRE(f.Run({"BITFIELD", "k", "GET", "u8"}) == kSyntax);
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0"}) == kSyntax);
  REQUIRE(f.Run({"BITFIELD", "k", "OVERFLOW"}) == kSyntax);
  // Nothing is done when a later operation is malformed.
  REQUIRE(f.Run({"BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u99", "0"}) == kBadType);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("BITFIELD_RO", "[bits]") {
  EngineFixture f;
  REQUIRE(f.Run({"BITFIELD_RO", "k"}) == Arr(0));
  REQUIRE(f.Run({"SET", "k", "\x80\x01"s}) == kOk);
  REQUIRE(f.Run({"BITFIELD_RO", "k", "GET", "u1", "0", "GET", "i16", "0"}) == Ints({1, -32767}));
  const std::string ro_error = Err("ERR BITFIELD_RO only supports the GET subcommand");
  REQUIRE(f.Run({"BITFIELD_RO", "k", "SET", "u8", "0", "100", "GET", "u8", "0"}) == ro_error);
  REQUIRE(f.Run({"BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"}) == ro_error);
  // OVERFLOW alone is no write.
  REQUIRE(f.Run({"BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"}) == Ints({128}));
  // Syntax is checked before the read-only rule.
  REQUIRE(f.Run({"BITFIELD_RO", "k", "SET", "u99", "0", "1"}) == kBadType);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("\x80\x01"s));
}

}  // namespace tidekv::commands
