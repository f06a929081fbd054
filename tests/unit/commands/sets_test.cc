// Set commands (commands/sets.cc) through the in-process engine: replies, Redis 7 error
// texts, the three encodings and their thresholds, deterministic effects of SPOP.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using Strings = std::vector<std::string>;

TEST_CASE("SADD, SREM, SISMEMBER, SMISMEMBER, SCARD and SMEMBERS", "[set]") {
  EngineFixture f;
  CHECK(f.Run({"SADD", "s", "a", "b", "a"}) == Int(2));
  CHECK(f.Run({"SADD", "s", "b", "c"}) == Int(1));
  CHECK(f.Run({"SCARD", "s"}) == Int(3));
  CHECK(f.Run({"SISMEMBER", "s", "a"}) == Int(1));
  CHECK(f.Run({"SISMEMBER", "s", "z"}) == Int(0));
  CHECK(Elements(f.Run({"SMISMEMBER", "s", "a", "z", "c"})) == Strings{"1", "0", "1"});
  CHECK(Sorted(f.Run({"SMEMBERS", "s"})) == Strings{"a", "b", "c"});
  CHECK(f.Run({"SREM", "s", "a", "z"}) == Int(1));
  CHECK(f.Run({"SREM", "s", "b", "c"}) == Int(2));
  CHECK(f.Run({"EXISTS", "s"}) == Int(0));
  CHECK(f.Run({"SMEMBERS", "s"}) == "*0\r\n");
  CHECK(f.Run({"SCARD", "s"}) == Int(0));
  f.session().resp = 3;
  f.Run({"SADD", "s", "x"});
  CHECK(f.Run({"SMEMBERS", "s"}) == "~1\r\n" + Bulk("x"));
}

TEST_CASE("sets are intsets, listpacks or hashtables by Redis's rules", "[set]") {
  EngineFixture f;
  f.Run({"SADD", "ints", "1", "-5", "300"});
  CHECK(f.Run({"OBJECT", "ENCODING", "ints"}) == Bulk("intset"));
  CHECK(Sorted(f.Run({"SMEMBERS", "ints"})) == Strings{"-5", "1", "300"});
  f.Run({"SADD", "ints", "abc"});
  CHECK(f.Run({"OBJECT", "ENCODING", "ints"}) == Bulk("listpack"));
  CHECK(f.Run({"SISMEMBER", "ints", "300"}) == Int(1));
  // "01" is not the integer 1.
  f.Run({"SADD", "z", "01"});
  CHECK(f.Run({"OBJECT", "ENCODING", "z"}) == Bulk("listpack"));
  CHECK(f.Run({"SISMEMBER", "z", "1"}) == Int(0));
  f.Run({"SADD", "long", std::string(65, 'm')});
  CHECK(f.Run({"OBJECT", "ENCODING", "long"}) == Bulk("hashtable"));
  for (int i = 0; i < 512; i++) f.Run({"SADD", "many", std::to_string(i)});
  CHECK(f.Run({"OBJECT", "ENCODING", "many"}) == Bulk("intset"));
  f.Run({"SADD", "many", "512"});
  CHECK(f.Run({"OBJECT", "ENCODING", "many"}) == Bulk("hashtable"));
  CHECK(f.Run({"SCARD", "many"}) == Int(513));
  for (int i = 0; i < 129; i++) f.Run({"SADD", "words", "w" + std::to_string(i)});
  CHECK(f.Run({"OBJECT", "ENCODING", "words"}) == Bulk("hashtable"));
  CHECK(f.Run({"CONFIG", "SET", "set-max-intset-entries", "1"}) == kOk);
  f.Run({"SADD", "two", "1", "2"});
  CHECK(f.Run({"OBJECT", "ENCODING", "two"}) == Bulk("hashtable"));
}

TEST_CASE("SPOP removes and propagates the members it drew", "[set]") {
  EngineFixture f;
  f.Run({"SADD", "s", "a", "b", "c", "d"});
  const std::string one = Elements(f.Run({"SPOP", "s"}))[0];
  CHECK(f.Run({"SISMEMBER", "s", one}) == Int(0));
  CHECK(f.Run({"SCARD", "s"}) == Int(3));
  Strings two = Elements(f.Run({"SPOP", "s", "2"}));
  CHECK(two.size() == 2);
  CHECK(f.Run({"SCARD", "s"}) == Int(1));
  CHECK(Elements(f.Run({"SPOP", "s", "5"})).size() == 1);
  CHECK(f.Run({"EXISTS", "s"}) == Int(0));
  CHECK(f.Run({"SPOP", "s"}) == kNil);
  CHECK(f.Run({"SPOP", "s", "0"}) == "*0\r\n");
  CHECK(f.Run({"SPOP", "s", "-1"}) == Err("ERR value is out of range, must be positive"));
  CHECK(f.Run({"SPOP", "s", "1", "2"}) == Err(err::kSyntax));
}

TEST_CASE("SRANDMEMBER: distinct for positive counts, repeating for negative", "[set]") {
  EngineFixture f;
  f.Run({"SADD", "s", "a", "b", "c"});
  CHECK(Sorted(f.Run({"SRANDMEMBER", "s", "5"})) == Strings{"a", "b", "c"});
  Strings two = Elements(f.Run({"SRANDMEMBER", "s", "2"}));
  REQUIRE(two.size() == 2);
  CHECK(two[0] != two[1]);
  CHECK(Elements(f.Run({"SRANDMEMBER", "s", "-10"})).size() == 10);
  CHECK(f.Run({"SRANDMEMBER", "none"}) == kNil);
  CHECK(f.Run({"SRANDMEMBER", "none", "-3"}) == "*0\r\n");
  CHECK(f.Run({"SCARD", "s"}) == Int(3));
}

TEST_CASE("SMOVE moves a member between sets, creating and deleting keys", "[set]") {
  EngineFixture f;
  f.Run({"SADD", "a", "x", "y"});
  CHECK(f.Run({"SMOVE", "a", "b", "x"}) == Int(1));
  CHECK(f.Run({"SMOVE", "a", "b", "zz"}) == Int(0));
  CHECK(f.Run({"SMOVE", "none", "b", "x"}) == Int(0));
  CHECK(f.Run({"SMOVE", "a", "a", "y"}) == Int(1));
  CHECK(f.Run({"SMOVE", "a", "b", "y"}) == Int(1));
  CHECK(f.Run({"EXISTS", "a"}) == Int(0));
  CHECK(Sorted(f.Run({"SMEMBERS", "b"})) == Strings{"x", "y"});
  f.Run({"SET", "str", "v"});
  CHECK(f.Run({"SMOVE", "b", "str", "x"}) == Err(err::kWrongType));
  CHECK(f.Run({"SMOVE", "str", "b", "x"}) == Err(err::kWrongType));
}

TEST_CASE("SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD", "[set]") {
  EngineFixture f;
  f.Run({"SADD", "a", "1", "2", "3", "x"});
  f.Run({"SADD", "b", "2", "3", "4"});
  f.Run({"SADD", "c", "3", "9"});
  CHECK(Sorted(f.Run({"SINTER", "a", "b"})) == Strings{"2", "3"});
  CHECK(Sorted(f.Run({"SINTER", "a", "b", "c"})) == Strings{"3"});
  CHECK(f.Run({"SINTER", "a", "none"}) == "*0\r\n");
  CHECK(Sorted(f.Run({"SUNION", "a", "b", "none"})) == Strings{"1", "2", "3", "4", "x"});
  CHECK(Sorted(f.Run({"SDIFF", "a", "b", "c"})) == Strings{"1", "x"});
  CHECK(f.Run({"SDIFF", "none", "a"}) == "*0\r\n");
  CHECK(f.Run({"SINTERSTORE", "d", "a", "b"}) == Int(2));
  CHECK(Sorted(f.Run({"SMEMBERS", "d"})) == Strings{"2", "3"});
  CHECK(f.Run({"SUNIONSTORE", "d", "b", "c"}) == Int(4));
  CHECK(f.Run({"SDIFFSTORE", "d", "a", "a"}) == Int(0));
  CHECK(f.Run({"EXISTS", "d"}) == Int(0));
  f.Run({"SET", "str", "v"});
  CHECK(f.Run({"SUNIONSTORE", "str", "a"}) == Int(4));
  CHECK(f.Run({"TYPE", "str"}) == "+set\r\n");
  CHECK(f.Run({"SINTER", "a", "str2"}) == "*0\r\n");
  f.Run({"SET", "str2", "v"});
  CHECK(f.Run({"SUNION", "a", "str2"}) == Err(err::kWrongType));
  CHECK(f.Run({"SINTERCARD", "2", "a", "b"}) == Int(2));
  CHECK(f.Run({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}) == Int(1));
  CHECK(f.Run({"SINTERCARD", "0", "a"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"SINTERCARD", "3", "a", "b"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(f.Run({"SINTERCARD", "1", "a", "LIMIT", "-1"}) == Err("ERR LIMIT can't be negative"));
  CHECK(f.Run({"SINTERCARD", "1", "a", "FOO", "1"}) == Err(err::kSyntax));
}

TEST_CASE("SSCAN visits every member of every encoding", "[set]") {
  EngineFixture f;
  for (int i = 0; i < 2000; i++) f.Run({"SADD", "big", "m" + std::to_string(i)});
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    Strings r = Elements(f.Run({"SSCAN", "big", cursor, "COUNT", "50", "MATCH", "m1*"}));
    cursor = r[0];
    seen.insert(r.begin() + 1, r.end());
    REQUIRE(++calls < 10000);
  } while (cursor != "0");
  CHECK(seen.size() == 1111);  // m1, m10-m19, m100-m199, m1000-m1999
  f.Run({"SADD", "ints", "5", "7"});
  CHECK(Sorted(f.Run({"SSCAN", "ints", "0"})) == Strings{"0", "5", "7"});
}

TEST_CASE("a set's digest does not depend on its encoding or member order", "[set]") {
  EngineFixture f;
  f.Run({"SADD", "a", "1", "2", "3"});
  f.Run({"CONFIG", "SET", "set-max-intset-entries", "0"});
  f.Run({"CONFIG", "SET", "set-max-listpack-entries", "0"});
  f.Run({"SADD", "b", "3", "1", "2"});
  CHECK(f.Run({"OBJECT", "ENCODING", "a"}) == Bulk("intset"));
  CHECK(f.Run({"OBJECT", "ENCODING", "b"}) == Bulk("hashtable"));
  CHECK(f.Run({"DEBUG", "DIGEST-VALUE", "a"}) == f.Run({"DEBUG", "DIGEST-VALUE", "b"}));
}

}  // namespace
}  // namespace tidekv::commands

namespace tidekv::commands {
namespace {

TEST_CASE("COMMAND GETKEYS finds keys from argument-dependent key specs", "[set]") {
  EngineFixture f;
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"})) ==
        Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"})) ==
        Strings{"d", "a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"})) == Strings{"a", "b"});
}

}  // namespace
}  // namespace tidekv::commands
