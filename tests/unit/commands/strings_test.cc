// String commands (commands/strings.cc) against an in-process engine with a manual
// clock: replies, options, error texts and TTL behaviour as Redis 7 has them.
#include <algorithm>
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
const std::string kEmpty = "$0\r\n\r\n";
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kNotFloat = Err("ERR value is not a valid float");
const std::string kSyntax = Err("ERR syntax error");

uint64_t Dirty(EngineFixture& f) { return f.engine().stats().dirty; }
std::string Now(EngineFixture& f) { return std::to_string(f.clock().NowMs()); }

}  // namespace

// ---- GET / SET ------------------------------------------------------------------------------

TEST_CASE("GET and SET basics", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"GET", "k"}) == kNil);
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"SET", "k", "other"}) == kOk);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("other"));
  REQUIRE(f.Run({"SET", "empty", ""}) == kOk);
  REQUIRE(f.Run({"GET", "empty"}) == kEmpty);
  REQUIRE(f.Run({"EXISTS", "empty"}) == Int(1));
}

TEST_CASE("GET and SET are binary safe", "[strings]") {
  EngineFixture f;
  const std::string key = "k\0\r\n"s;
  const std::string value = "a\0b\r\n\xff\x00"s;
  REQUIRE(value.size() == 7);
  REQUIRE(f.Run({"SET", key, value}) == kOk);
  REQUIRE(f.Run({"GET", key}) == Bulk(value));
  REQUIRE(f.Run({"GET", "k"}) == kNil);
  REQUIRE(f.Run({"STRLEN", key}) == Int(7));
}

TEST_CASE("GET and SET in RESP3", "[strings]") {
  EngineFixture f;
  f.session().resp = 3;
  REQUIRE(f.Run({"GET", "k"}) == "_\r\n");
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "v", "NX"}) == "_\r\n");
  REQUIRE(f.Run({"SET", "k", "w", "GET"}) == Bulk("v"));
}

TEST_CASE("SET counts one change and arity is checked", "[strings]") {
  EngineFixture f;
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"SET", "k", "v", "NX"}) == kNil);
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"SET", "k"}) == Err("ERR wrong number of arguments for 'set' command"));
  REQUIRE(f.Run({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
}

TEST_CASE("SET NX and XX", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v", "XX"}) == kNil);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "v", "nx"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "w", "NX"}) == kNil);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"SET", "k", "w", "xX"}) == kOk);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("w"));
  // Repeating the same flag is fine; combining the two is not.
  REQUIRE(f.Run({"SET", "k", "x", "XX", "XX"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "v", "NX", "XX"}) == kSyntax);
  REQUIRE(f.Run({"SET", "k", "v", "XX", "NX"}) == kSyntax);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("x"));
}

TEST_CASE("SET NX treats an expired key as absent", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v", "PX", "10"}) == kOk);
  f.clock().AdvanceMs(10);
  REQUIRE(f.Run({"SET", "k", "w", "NX"}) == kOk);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("w"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(-1));
}

TEST_CASE("SET GET returns the old value", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v1", "GET"}) == kNil);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v1"));
  REQUIRE(f.Run({"SET", "k", "v2", "get"}) == Bulk("v1"));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v2"));
  // With NX the old value comes back and nothing is written.
  REQUIRE(f.Run({"SET", "k", "v3", "NX", "GET"}) == Bulk("v2"));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v2"));
  REQUIRE(f.Run({"SET", "n", "v", "GET", "NX"}) == kNil);
  REQUIRE(f.Run({"GET", "n"}) == Bulk("v"));
  // With XX on a missing key: nil, and the key is not created.
  REQUIRE(f.Run({"SET", "missing", "v", "XX", "GET"}) == kNil);
  REQUIRE(f.Run({"EXISTS", "missing"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "v4", "XX", "GET"}) == Bulk("v2"));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v4"));
}

TEST_CASE("SET EX and PX expire exactly at the boundary", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "s", "v", "EX", "10"}) == kOk);
  REQUIRE(f.Run({"SET", "m", "v", "px", "100"}) == kOk);
  REQUIRE(f.Run({"PTTL", "s"}) == Int(10000));
  REQUIRE(f.Run({"PTTL", "m"}) == Int(100));
  f.clock().AdvanceMs(99);
  REQUIRE(f.Run({"GET", "m"}) == Bulk("v"));
  f.clock().AdvanceMs(1);
  REQUIRE(f.Run({"GET", "m"}) == kNil);
  f.clock().AdvanceMs(9899);
  REQUIRE(f.Run({"GET", "s"}) == Bulk("v"));
  f.clock().AdvanceMs(1);
  REQUIRE(f.Run({"GET", "s"}) == kNil);
  REQUIRE(f.Run({"EXISTS", "s"}) == Int(0));
}

TEST_CASE("SET EXAT and PXAT are absolute", "[strings]") {
  EngineFixture f;
  const int64_t now = f.clock().NowMs();
  const std::string at_s = std::to_string(now / 1000 + 20);
  const std::string at_ms = std::to_string(now + 500);
  REQUIRE(f.Run({"SET", "s", "v", "EXAT", at_s}) == kOk);
  REQUIRE(f.Run({"PEXPIRETIME", "s"}) == Int((now / 1000 + 20) * 1000));
  REQUIRE(f.Run({"SET", "m", "v", "pxat", at_ms}) == kOk);
  REQUIRE(f.Run({"PEXPIRETIME", "m"}) == Int(now + 500));
  f.clock().AdvanceMs(499);
  REQUIRE(f.Run({"GET", "m"}) == Bulk("v"));
  f.clock().AdvanceMs(1);
  REQUIRE(f.Run({"GET", "m"}) == kNil);
  // The largest absolute time does not overflow.
  REQUIRE(f.Run({"SET", "far", "v", "PXAT", "9223372036854775807"}) == kOk);
  REQUIRE(f.Run({"GET", "far"}) == Bulk("v"));
}

TEST_CASE("SET with an absolute time in the past leaves the key absent", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "old"}) == kOk);
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"SET", "k", "new", "EXAT", "1"}) == kOk);
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  REQUIRE(f.Run({"SET", "n", "v", "PXAT", Now(f)}) == kOk);
  REQUIRE(f.Run({"EXISTS", "n"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "w", "PXAT", "1", "GET"}) == Bulk("v"));
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("SET without KEEPTTL drops the TTL, KEEPTTL keeps it", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "v2", "KEEPTTL"}) == kOk);
  REQUIRE(f.Run({"PTTL", "k"}) == Int(100000));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v2"));
  REQUIRE(f.Run({"SET", "k", "v3", "keepttl", "XX", "GET"}) == Bulk("v2"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(100000));
  REQUIRE(f.Run({"SET", "k", "v4"}) == kOk);
  REQUIRE(f.Run({"PTTL", "k"}) == Int(-1));
  REQUIRE(f.Run({"SET", "fresh", "v", "KEEPTTL"}) == kOk);
  REQUIRE(f.Run({"PTTL", "fresh"}) == Int(-1));
  // A new expiry replaces the old one.
  REQUIRE(f.Run({"SET", "k", "v", "Ex", "100"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "v", "pX", "50"}) == kOk);
  REQUIRE(f.Run({"PTTL", "k"}) == Int(50));
  f.clock().AdvanceMs(50);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("SET option conflicts are syntax errors", "[strings]") {
  EngineFixture f;
  const std::vector<std::vector<std::string_view>> bad = {
      {"SET", "k", "v", "EX", "10", "PX", "100"},
      {"SET", "k", "v", "PX", "10", "EX", "100"},
      {"SET", "k", "v", "EX", "10", "EXAT", "100"},
      {"SET", "k", "v", "PXAT", "10", "PX", "100"},
      {"SET", "k", "v", "EXAT", "10", "PXAT", "100"},
      {"SET", "k", "v", "EX", "10", "KEEPTTL"},
      {"SET", "k", "v", "KEEPTTL", "PX", "10"},
      {"SET", "k", "v", "KEEPTTL", "EXAT", "10"},
      {"SET", "k", "v", "EX"},
      {"SET", "k", "v", "PXAT"},
      {"SET", "k", "v", "PERSIST"},
      {"SET", "k", "v", "NXX"},
      {"SET", "k", "v", "G"},
      {"SET", "k", "v", "10"},
  };
  for (const auto& argv : bad) {
    INFO(argv[3]);
    REQUIRE(f.Run(argv) == kSyntax);
  }
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  // The same kind of expiry may repeat; the last value wins.
  REQUIRE(f.Run({"SET", "k", "v", "EX", "10", "EX", "20"}) == kOk);
  REQUIRE(f.Run({"PTTL", "k"}) == Int(20000));
  REQUIRE(f.Run({"SET", "k", "v", "KEEPTTL", "KEEPTTL"}) == kOk);
}

TEST_CASE("SET rejects invalid expire times", "[strings]") {
  EngineFixture f;
  const std::string invalid = Err("ERR invalid expire time in 'set' command");
  REQUIRE(f.Run({"SET", "k", "v", "EX", "0"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "EX", "-1"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "PX", "0"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "EXAT", "0"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "PXAT", "-5"}) == invalid);
  // Seconds that overflow once multiplied by 1000.
  REQUIRE(f.Run({"SET", "k", "v", "EX", "9223372036854776"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "EXAT", "9223372036854776"}) == invalid);
  // Relative times that overflow once now is added.
  REQUIRE(f.Run({"SET", "k", "v", "EX", "9223372036854775"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "PX", "9223372036854775807"}) == invalid);
  REQUIRE(f.Run({"SET", "k", "v", "EX", "ten"}) == kNotInt);
  REQUIRE(f.Run({"SET", "k", "v", "PX", "1.5"}) == kNotInt);
  REQUIRE(f.Run({"SET", "k", "v", "PX", "99999999999999999999"}) == kNotInt);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  // The expiry is validated before GET replies anything.
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(f.Run({"SET", "k", "w", "GET", "EX", "0"}) == invalid);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE("SETNX", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SETNX", "k", "v"}) == Int(1));
  REQUIRE(f.Run({"SETNX", "k", "w"}) == Int(0));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"SET", "t", "v", "PX", "5"}) == kOk);
  f.clock().AdvanceMs(5);
  REQUIRE(f.Run({"SETNX", "t", "w"}) == Int(1));
  REQUIRE(f.Run({"SETNX", "k", "v", "x"}) ==
          Err("ERR wrong number of arguments for 'setnx' command"));
}

TEST_CASE("SETEX and PSETEX", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "old"}) == kOk);
  REQUIRE(f.Run({"SETEX", "k", "10", "v"}) == kOk);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(10000));
  REQUIRE(f.Run({"PSETEX", "p", "250", "v"}) == kOk);
  REQUIRE(f.Run({"PTTL", "p"}) == Int(250));
  f.clock().AdvanceMs(249);
  REQUIRE(f.Run({"GET", "p"}) == Bulk("v"));
  f.clock().AdvanceMs(1);
  REQUIRE(f.Run({"GET", "p"}) == kNil);
  REQUIRE(f.Run({"SETEX", "k", "0", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  REQUIRE(f.Run({"SETEX", "k", "-10", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  REQUIRE(f.Run({"PSETEX", "k", "0", "v"}) == Err("ERR invalid expire time in 'psetex' command"));
  REQUIRE(f.Run({"SETEX", "k", "9223372036854776", "v"}) ==
          Err("ERR invalid expire time in 'setex' command"));
  REQUIRE(f.Run({"SETEX", "k", "x", "v"}) == kNotInt);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"SETEX", "k", "10"}) == Err("ERR wrong number of arguments for 'setex' command"));
}

TEST_CASE("GETSET", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"GETSET", "k", "v"}) == kNil);
  REQUIRE(f.Run({"GET", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"EXPIRE", "k", "100"}) == Int(1));
  REQUIRE(f.Run({"GETSET", "k", "w"}) == Bulk("v"));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("w"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(-1));
}

TEST_CASE("GETDEL", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"GETDEL", "k"}) == kNil);
  REQUIRE(f.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"GETDEL", "k"}) == Bulk("v"));
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  REQUIRE(f.Run({"GETDEL", "k"}) == kNil);
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"SET", "t", "v", "PX", "5"}) == kOk);
  f.clock().AdvanceMs(5);
  REQUIRE(f.Run({"GETDEL", "t"}) == kNil);
}

TEST_CASE("GETEX without options is GET", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"GETEX", "k"}) == kNil);
  REQUIRE(f.Run({"SET", "k", "v", "PX", "500"}) == kOk);
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"GETEX", "k"}) == Bulk("v"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(500));
  REQUIRE(Dirty(f) == before);
}

TEST_CASE("GETEX sets and removes expiry", "[strings]") {
  EngineFixture f;
  const int64_t now = f.clock().NowMs();
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(f.Run({"GETEX", "k", "EX", "10"}) == Bulk("v"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(10000));
  REQUIRE(f.Run({"GETEX", "k", "px", "300"}) == Bulk("v"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(300));
  REQUIRE(f.Run({"GETEX", "k", "EXAT", std::to_string(now / 1000 + 50)}) == Bulk("v"));
  REQUIRE(f.Run({"PEXPIRETIME", "k"}) == Int((now / 1000 + 50) * 1000));
  REQUIRE(f.Run({"GETEX", "k", "PXAT", std::to_string(now + 42)}) == Bulk("v"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(42));
  uint64_t before = Dirty(f);
  REQUIRE(f.Run({"GETEX", "k", "PERSIST"}) == Bulk("v"));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(-1));
  REQUIRE(Dirty(f) == before + 1);
  // PERSIST on a key without TTL changes nothing.
  before = Dirty(f);
  REQUIRE(f.Run({"GETEX", "k", "persist"}) == Bulk("v"));
  REQUIRE(Dirty(f) == before);
  // The new TTL expires at its boundary.
  REQUIRE(f.Run({"GETEX", "k", "PX", "20"}) == Bulk("v"));
  f.clock().AdvanceMs(19);
  REQUIRE(f.Run({"GETEX", "k"}) == Bulk("v"));
  f.clock().AdvanceMs(1);
  REQUIRE(f.Run({"GETEX", "k"}) == kNil);
}

TEST_CASE("GETEX with an absolute time in the past deletes the key", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"GETEX", "k", "PXAT", Now(f)}) == Bulk("v"));
  REQUIRE(Dirty(f) == before + 1);
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "v"}) == kOk);
  REQUIRE(f.Run({"GETEX", "k", "EXAT", "1"}) == Bulk("v"));
  REQUIRE(f.Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("GETEX errors", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"GETEX", "k", "EX", "10", "PERSIST"}) == kSyntax);
  REQUIRE(f.Run({"GETEX", "k", "PERSIST", "PX", "10"}) == kSyntax);
  REQUIRE(f.Run({"GETEX", "k", "EX", "10", "PX", "10"}) == kSyntax);
  REQUIRE(f.Run({"GETEX", "k", "KEEPTTL"}) == kSyntax);
  REQUIRE(f.Run({"GETEX", "k", "NX"}) == kSyntax);
  REQUIRE(f.Run({"GETEX", "k", "GET"}) == kSyntax);
  REQUIRE(f.Run({"GETEX", "k", "EX"}) == kSyntax);
  const std::string invalid = Err("ERR invalid expire time in 'getex' command");
  REQUIRE(f.Run({"GETEX", "k", "EX", "0"}) == invalid);
  REQUIRE(f.Run({"GETEX", "k", "PXAT", "-1"}) == invalid);
  REQUIRE(f.Run({"GETEX", "k", "EX", "9223372036854775"}) == invalid);
  REQUIRE(f.Run({"GETEX", "k", "EX", "soon"}) == kNotInt);
  REQUIRE(f.Run({"PTTL", "k"}) == Int(100000));
  // Redis looks the key up first: a missing key is nil even with a bad time.
  REQUIRE(f.Run({"GETEX", "missing", "EX", "0"}) == kNil);
}

// ---- MGET / MSET / MSETNX -------------------------------------------------------------------

TEST_CASE("MGET", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "a", "1"}) == kOk);
  REQUIRE(f.Run({"SET", "c", "3", "PX", "10"}) == kOk);
  REQUIRE(f.Run({"MGET", "a", "b", "c", "a"}) == Arr(4) + Bulk("1") + kNil + Bulk("3") + Bulk("1"));
  f.clock().AdvanceMs(10);
  REQUIRE(f.Run({"MGET", "c"}) == Arr(1) + kNil);
  REQUIRE(f.Run({"MGET"}) == Err("ERR wrong number of arguments for 'mget' command"));
}

TEST_CASE("MSET", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "a", "old", "EX", "100"}) == kOk);
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"MSET", "a", "1", "b", "\0\n"s, "a", "2"}) == kOk);
  REQUIRE(Dirty(f) == before + 3);
  REQUIRE(f.Run({"MGET", "a", "b"}) == Arr(2) + Bulk("2") + Bulk("\0\n"s));
  REQUIRE(f.Run({"PTTL", "a"}) == Int(-1));
  REQUIRE(f.Run({"MSET", "a", "1", "b"}) ==
          Err("ERR wrong number of arguments for 'mset' command"));
  REQUIRE(f.Run({"MSET", "a"}) == Err("ERR wrong number of arguments for 'mset' command"));
  REQUIRE(f.Run({"GET", "a"}) == Bulk("2"));
}

TEST_CASE("MSETNX", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"MSETNX", "a", "1", "b", "2"}) == Int(1));
  REQUIRE(f.Run({"MGET", "a", "b"}) == Arr(2) + Bulk("1") + Bulk("2"));
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"MSETNX", "c", "3", "b", "x"}) == Int(0));
  REQUIRE(Dirty(f) == before);
  REQUIRE(f.Run({"EXISTS", "c"}) == Int(0));
  REQUIRE(f.Run({"GET", "b"}) == Bulk("2"));
  // Expired keys do not block it.
  REQUIRE(f.Run({"SET", "t", "v", "PX", "1"}) == kOk);
  f.clock().AdvanceMs(1);
  REQUIRE(f.Run({"MSETNX", "t", "new", "u", "u"}) == Int(1));
  REQUIRE(f.Run({"GET", "t"}) == Bulk("new"));
  REQUIRE(f.Run({"MSETNX", "x", "1", "y"}) ==
          Err("ERR wrong number of arguments for 'msetnx' command"));
}

// ---- APPEND / STRLEN ------------------------------------------------------------------------

TEST_CASE("APPEND", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"APPEND", "k", "hello"}) == Int(5));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "k"}) == Bulk("embstr"));
  REQUIRE(f.Run({"APPEND", "k", " world"}) == Int(11));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("hello world"));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "k"}) == Bulk("raw"));
  REQUIRE(f.Run({"APPEND", "k", "\0\r\n"s}) == Int(14));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("hello world\0\r\n"s));
  // Appending nothing still counts as a change, as in Redis.
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"APPEND", "k", ""}) == Int(14));
  REQUIRE(Dirty(f) == before + 1);
  // The TTL stays.
  REQUIRE(f.Run({"SET", "t", "a", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"APPEND", "t", "b"}) == Int(2));
  REQUIRE(f.Run({"PTTL", "t"}) == Int(100000));
  REQUIRE(f.Run({"APPEND", "n", "1"}) == Int(1));
  REQUIRE(f.Run({"APPEND", "n", "2"}) == Int(2));
  REQUIRE(f.Run({"INCR", "n"}) == Int(13));
}

TEST_CASE("APPEND respects the maximum string size", "[strings]") {
  EngineFixture f;
  f.config().max_bulk_bytes = 10;
  REQUIRE(f.Run({"APPEND", "k", "123456"}) == Int(6));
  REQUIRE(f.Run({"APPEND", "k", "7890"}) == Int(10));
  REQUIRE(f.Run({"APPEND", "k", "x"}) ==
          Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("1234567890"));
}

TEST_CASE("STRLEN", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"STRLEN", "k"}) == Int(0));
  REQUIRE(f.Run({"SET", "k", "hello"}) == kOk);
  REQUIRE(f.Run({"STRLEN", "k"}) == Int(5));
  REQUIRE(f.Run({"SET", "n", "-12345"}) == kOk);
  REQUIRE(f.Run({"STRLEN", "n"}) == Int(6));
  REQUIRE(f.Run({"SET", "e", ""}) == kOk);
  REQUIRE(f.Run({"STRLEN", "e"}) == Int(0));
}

// ---- counters -------------------------------------------------------------------------------

TEST_CASE("INCR and DECR", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"INCR", "n"}) == Int(1));
  REQUIRE(f.Run({"INCR", "n"}) == Int(2));
  REQUIRE(f.Run({"GET", "n"}) == Bulk("2"));
  REQUIRE(f.Run({"DECR", "n"}) == Int(1));
  REQUIRE(f.Run({"DECR", "m"}) == Int(-1));
  REQUIRE(f.Run({"SET", "n", "-100"}) == kOk);
  REQUIRE(f.Run({"INCR", "n"}) == Int(-99));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "n"}) == Bulk("int"));
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"INCR", "n"}) == Int(-98));
  REQUIRE(Dirty(f) == before + 1);
}

TEST_CASE("INCR requires a canonical integer", "[strings]") {
  EngineFixture f;
  for (std::string_view bad : {"abc", " 1", "1 ", "+1", "01", "-0", "1.0", "", "1e3",
                               "9223372036854775808", "-9223372036854775809"}) {
    INFO(bad);
    REQUIRE(f.Run({"SET", "n", bad}) == kOk);
    REQUIRE(f.Run({"INCR", "n"}) == kNotInt);
    REQUIRE(f.Run({"DECRBY", "n", "1"}) == kNotInt);
    REQUIRE(f.Run({"GET", "n"}) == Bulk(bad));
  }
}

TEST_CASE("INCR overflow", "[strings]") {
  EngineFixture f;
  const std::string overflow = Err("ERR increment or decrement would overflow");
  REQUIRE(f.Run({"SET", "n", "9223372036854775806"}) == kOk);
  REQUIRE(f.Run({"INCR", "n"}) == Int(INT64_MAX));
  REQUIRE(f.Run({"INCR", "n"}) == overflow);
  REQUIRE(f.Run({"GET", "n"}) == Bulk("9223372036854775807"));
  REQUIRE(f.Run({"SET", "n", "-9223372036854775807"}) == kOk);
  REQUIRE(f.Run({"DECR", "n"}) == ":-9223372036854775808\r\n");
  REQUIRE(f.Run({"DECR", "n"}) == overflow);
  REQUIRE(f.Run({"INCRBY", "n", "-1"}) == overflow);
  REQUIRE(f.Run({"INCRBY", "n", "9223372036854775807"}) == Int(-1));
  REQUIRE(f.Run({"SET", "n", "1"}) == kOk);
  REQUIRE(f.Run({"INCRBY", "n", "9223372036854775807"}) == overflow);
}

TEST_CASE("INCRBY and DECRBY", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"INCRBY", "n", "10"}) == Int(10));
  REQUIRE(f.Run({"INCRBY", "n", "-15"}) == Int(-5));
  REQUIRE(f.Run({"DECRBY", "n", "5"}) == Int(-10));
  REQUIRE(f.Run({"DECRBY", "n", "-20"}) == Int(10));
  REQUIRE(f.Run({"INCRBY", "n", "x"}) == kNotInt);
  REQUIRE(f.Run({"INCRBY", "n", "1.5"}) == kNotInt);
  REQUIRE(f.Run({"DECRBY", "n", "99999999999999999999"}) == kNotInt);
  REQUIRE(f.Run({"DECRBY", "n", "-9223372036854775808"}) == Err("ERR decrement would overflow"));
  REQUIRE(f.Run({"INCRBY", "n", "-9223372036854775808"}) == ":-9223372036854775798\r\n");
}

TEST_CASE("INCR keeps the TTL", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "n", "1", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"INCR", "n"}) == Int(2));
  REQUIRE(f.Run({"INCRBY", "n", "3"}) == Int(5));
  REQUIRE(f.Run({"DECR", "n"}) == Int(4));
  REQUIRE(f.Run({"INCRBYFLOAT", "n", "0.5"}) == Bulk("4.5"));
  REQUIRE(f.Run({"PTTL", "n"}) == Int(100000));
  f.clock().AdvanceMs(100000);
  REQUIRE(f.Run({"INCR", "n"}) == Int(1));
  REQUIRE(f.Run({"PTTL", "n"}) == Int(-1));
}

TEST_CASE("INCRBYFLOAT", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "1"}) == Bulk("1"));
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "0.25"}) == Bulk("1.25"));
  REQUIRE(f.Run({"GET", "f"}) == Bulk("1.25"));
  REQUIRE(f.Run({"SET", "f", "10.50"}) == kOk);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "0.1"}) == Bulk("10.6"));
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "-5.6"}) == Bulk("5"));
  REQUIRE(f.Run({"SET", "f", "5.0e3"}) == kOk);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "2.0e2"}) == Bulk("5200"));
  REQUIRE(f.Run({"SET", "f", "17"}) == kOk);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "-17"}) == Bulk("0"));
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "-1.5"}) == Bulk("-1.5"));
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "1.5"}) == Bulk("0"));
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "3"}) == Bulk("3"));
  REQUIRE(f.Run({"INCR", "f"}) == Int(4));
}

TEST_CASE("INCRBYFLOAT errors", "[strings]") {
  EngineFixture f;
  const std::string nan_inf = Err("ERR increment would produce NaN or Infinity");
  REQUIRE(f.Run({"SET", "f", "0"}) == kOk);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "+inf"}) == nan_inf);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "-inf"}) == nan_inf);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "Infinity"}) == nan_inf);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "nan"}) == kNotFloat);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "abc"}) == kNotFloat);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", " 1"}) == kNotFloat);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "1 "}) == kNotFloat);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", ""}) == kNotFloat);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "1e5000"}) == kNotFloat);
  REQUIRE(f.Run({"GET", "f"}) == Bulk("0"));
  REQUIRE(f.Run({"SET", "f", "one"}) == kOk);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "1"}) == kNotFloat);
  REQUIRE(f.Run({"SET", "f", "1.5 "}) == kOk);
  REQUIRE(f.Run({"INCRBYFLOAT", "f", "1"}) == kNotFloat);
  REQUIRE(f.Run({"EXISTS", "missing"}) == Int(0));
  REQUIRE(f.Run({"INCRBYFLOAT", "missing", "x"}) == kNotFloat);
  REQUIRE(f.Run({"EXISTS", "missing"}) == Int(0));
}

// ---- ranges ---------------------------------------------------------------------------------

TEST_CASE("GETRANGE and SUBSTR", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"GETRANGE", "k", "0", "-1"}) == kEmpty);
  REQUIRE(f.Run({"SET", "k", "Hello World"}) == kOk);
  for (std::string_view cmd : {"GETRANGE", "SUBSTR"}) {
    INFO(cmd);
    REQUIRE(f.Run({cmd, "k", "0", "3"}) == Bulk("Hell"));
    REQUIRE(f.Run({cmd, "k", "0", "-1"}) == Bulk("Hello World"));
    REQUIRE(f.Run({cmd, "k", "-3", "-1"}) == Bulk("rld"));
    REQUIRE(f.Run({cmd, "k", "5", "3"}) == kEmpty);
    REQUIRE(f.Run({cmd, "k", "0", "100"}) == Bulk("Hello World"));
    REQUIRE(f.Run({cmd, "k", "10", "100"}) == Bulk("d"));
    REQUIRE(f.Run({cmd, "k", "11", "100"}) == kEmpty);
    REQUIRE(f.Run({cmd, "k", "-1", "-5"}) == kEmpty);
    REQUIRE(f.Run({cmd, "k", "-100", "2"}) == Bulk("Hel"));
    // Both negative but in order: each clamps to 0 and the first byte is returned.
    REQUIRE(f.Run({cmd, "k", "-100", "-50"}) == Bulk("H"));
    REQUIRE(f.Run({cmd, "k", "-9223372036854775808", "9223372036854775807"}) ==
            Bulk("Hello World"));
    REQUIRE(f.Run({cmd, "k", "a", "1"}) == kNotInt);
    REQUIRE(f.Run({cmd, "k", "0", "1.5"}) == kNotInt);
    REQUIRE(f.Run({cmd, "missing", "x", "1"}) == kNotInt);
  }
  REQUIRE(f.Run({"SET", "e", ""}) == kOk);
  REQUIRE(f.Run({"GETRANGE", "e", "0", "-1"}) == kEmpty);
  REQUIRE(f.Run({"GETRANGE", "e", "0", "0"}) == kEmpty);
  REQUIRE(f.Run({"SET", "b", "\0\1\2\3"s}) == kOk);
  REQUIRE(f.Run({"GETRANGE", "b", "1", "2"}) == Bulk("\1\2"s));
}

TEST_CASE("SETRANGE on a missing key", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SETRANGE", "k", "0", "foo"}) == Int(3));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("foo"));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "k"}) == Bulk("raw"));
  REQUIRE(f.Run({"SETRANGE", "z", "1", "foo"}) == Int(4));
  REQUIRE(f.Run({"GET", "z"}) == Bulk("\0foo"s));
  // Writing nothing does not create the key.
  const uint64_t before = Dirty(f);
  REQUIRE(f.Run({"SETRANGE", "n", "0", ""}) == Int(0));
  REQUIRE(f.Run({"SETRANGE", "n", "100", ""}) == Int(0));
  REQUIRE(f.Run({"EXISTS", "n"}) == Int(0));
  REQUIRE(Dirty(f) == before);
}

TEST_CASE("SETRANGE on an existing key", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "foo", "EX", "100"}) == kOk);
  REQUIRE(f.Run({"SETRANGE", "k", "0", "b"}) == Int(3));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("boo"));
  REQUIRE(f.Run({"SETRANGE", "k", "0", ""}) == Int(3));
  REQUIRE(f.Run({"SETRANGE", "k", "1", "b"}) == Int(3));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("bbo"));
  REQUIRE(f.Run({"SETRANGE", "k", "4", "bar"}) == Int(7));
  REQUIRE(f.Run({"GET", "k"}) == Bulk("bbo\0bar"s));
  REQUIRE(f.Run({"PTTL", "k"}) == Int(100000));
  REQUIRE(f.Run({"SET", "n", "1234"}) == kOk);
  REQUIRE(f.Run({"SETRANGE", "n", "1", "\r\n"}) == Int(4));
  REQUIRE(f.Run({"GET", "n"}) == Bulk("1\r\n4"));
  REQUIRE(f.Run({"OBJECT", "ENCODING", "n"}) == Bulk("raw"));
}

TEST_CASE("SETRANGE errors", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "foo"}) == kOk);
  REQUIRE(f.Run({"SETRANGE", "k", "-1", "x"}) == Err("ERR offset is out of range"));
  REQUIRE(f.Run({"SETRANGE", "k", "x", "x"}) == kNotInt);
  const std::string too_long = Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  REQUIRE(f.Run({"SETRANGE", "k", "536870911", "xy"}) == too_long);
  REQUIRE(f.Run({"SETRANGE", "new", "9223372036854775807", "x"}) == too_long);
  REQUIRE(f.Run({"EXISTS", "new"}) == Int(0));
  f.config().max_bulk_bytes = 8;
  REQUIRE(f.Run({"SETRANGE", "k", "5", "abc"}) == Int(8));
  REQUIRE(f.Run({"SETRANGE", "k", "6", "abc"}) == too_long);
  // An empty value replies the length without checking the size.
  REQUIRE(f.Run({"SETRANGE", "k", "100", ""}) == Int(8));
}

// ---- LCS ------------------------------------------------------------------------------------

TEST_CASE("LCS string and LEN", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"MSET", "key1", "ohmytext", "key2", "mynewtext"}) == kOk);
  REQUIRE(f.Run({"LCS", "key1", "key2"}) == Bulk("mytext"));
  REQUIRE(f.Run({"LCS", "key1", "key2", "LEN"}) == Int(6));
  REQUIRE(f.Run({"LCS", "key1", "key1"}) == Bulk("ohmytext"));
  REQUIRE(f.Run({"LCS", "key1", "missing"}) == kEmpty);
  REQUIRE(f.Run({"LCS", "missing", "other", "len"}) == Int(0));
  REQUIRE(f.Run({"SET", "x", "abc"}) == kOk);
  REQUIRE(f.Run({"SET", "y", "xyz"}) == kOk);
  REQUIRE(f.Run({"LCS", "x", "y"}) == kEmpty);
}

TEST_CASE("LCS IDX", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"MSET", "key1", "ohmytext", "key2", "mynewtext"}) == kOk);
  const std::string range_4_7 = Arr(2) + Int(4) + Int(7) + Arr(2) + Int(5) + Int(8);
  const std::string range_2_3 = Arr(2) + Int(2) + Int(3) + Arr(2) + Int(0) + Int(1);
  const std::string len = Bulk("len") + Int(6);
  REQUIRE(f.Run({"LCS", "key1", "key2", "IDX"}) ==
          Arr(4) + Bulk("matches") + Arr(2) + Arr(2) + range_4_7 + Arr(2) + range_2_3 + len);
  REQUIRE(f.Run({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"}) ==
          Arr(4) + Bulk("matches") + Arr(1) + Arr(2) + range_4_7 + len);
  REQUIRE(f.Run({"LCS", "key1", "key2", "idx", "minmatchlen", "4", "withmatchlen"}) ==
          Arr(4) + Bulk("matches") + Arr(1) + Arr(3) + range_4_7 + Int(4) + len);
  REQUIRE(f.Run({"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"}) ==
          Arr(4) + Bulk("matches") + Arr(2) + Arr(3) + range_4_7 + Int(4) + Arr(3) + range_2_3 +
              Int(2) + len);
  // A negative minimum is 0: every match.
  REQUIRE(f.Run({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-3"}) ==
          Arr(4) + Bulk("matches") + Arr(2) + Arr(2) + range_4_7 + Arr(2) + range_2_3 + len);
  REQUIRE(f.Run({"LCS", "key1", "nope", "IDX"}) ==
          Arr(4) + Bulk("matches") + Arr(0) + Bulk("len") + Int(0));
  // WITHMATCHLEN and MINMATCHLEN alone only change the IDX form.
  REQUIRE(f.Run({"LCS", "key1", "key2", "WITHMATCHLEN", "MINMATCHLEN", "9"}) == Bulk("mytext"));
}

TEST_CASE("LCS IDX in RESP3 is a map", "[strings]") {
  EngineFixture f;
  f.session().resp = 3;
  REQUIRE(f.Run({"MSET", "key1", "ohmytext", "key2", "mynewtext"}) == kOk);
  REQUIRE(f.Run({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}) ==
          "%2\r\n" + Bulk("matches") + Arr(1) + Arr(3) + Arr(2) + Int(4) + Int(7) + Arr(2) +
              Int(5) + Int(8) + Int(4) + Bulk("len") + Int(6));
}

TEST_CASE("LCS errors", "[strings]") {
  EngineFixture f;
  REQUIRE(f.Run({"MSET", "a", "0123456789", "b", "9876543210"}) == kOk);
  REQUIRE(f.Run({"LCS", "a", "b", "LEN", "IDX"}) ==
          Err("ERR If you want both the length and indexes, please just use IDX."));
  REQUIRE(f.Run({"LCS", "a", "b", "FOO"}) == kSyntax);
  REQUIRE(f.Run({"LCS", "a", "b", "MINMATCHLEN"}) == kSyntax);
  REQUIRE(f.Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "x"}) == kNotInt);
  REQUIRE(f.Run({"LCS", "a"}) == Err("ERR wrong number of arguments for 'lcs' command"));
  // (10 + 1) * (10 + 1) cells of 4 bytes exceed a 400-byte limit.
  f.config().max_bulk_bytes = 400;
  REQUIRE(f.Run({"LCS", "a", "b"}) ==
          Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
  f.config().max_bulk_bytes = 484;
  REQUIRE(f.Run({"LCS", "a", "b", "LEN"}) == Int(1));
}

namespace {

bool IsSubsequence(std::string_view sub, std::string_view s) {
  size_t i = 0;
  for (char c : s) {
    if (i < sub.size() && sub[i] == c) i++;
  }
  return i == sub.size();
}

size_t ReferenceLcsLength(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (char ca : a) {
    for (size_t j = 1; j <= b.size(); j++) {
      cur[j] = ca == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

TEST_CASE("LCS matches a reference on random strings", "[strings]") {
  EngineFixture f;
  std::mt19937 rng(42);
  for (int round = 0; round < 200; round++) {
    std::string a(rng() % 40, 'a'), b(rng() % 40, 'a');
    for (char& c : a) c = static_cast<char>('a' + rng() % 4);
    for (char& c : b) c = static_cast<char>('a' + rng() % 4);
    REQUIRE(f.Run({"MSET", "a", a, "b", b}) == kOk);
    const size_t expected = ReferenceLcsLength(a, b);
    REQUIRE(f.Run({"LCS", "a", "b", "LEN"}) == Int(static_cast<long long>(expected)));
    const std::string reply = f.Run({"LCS", "a", "b"});
    const std::string lcs = reply.substr(reply.find("\r\n") + 2, expected);
    INFO(a << " / " << b << " -> " << lcs);
    REQUIRE(reply == Bulk(lcs));
    REQUIRE(IsSubsequence(lcs, a));
    REQUIRE(IsSubsequence(lcs, b));
  }
}

}  // namespace tidekv::commands
