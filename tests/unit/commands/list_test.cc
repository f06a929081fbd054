// List commands (commands/lists.cc, list_pop.cc) through the in-process engine: replies and
// Redis 7.0 error texts, both encodings and the conversions between them, WRONGTYPE, the
// generic commands through the list's TypeOps row, the effects the pops and the blocking
// forms propagate, and the key specs of LMPOP/BLMPOP/BLPOP.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using Strings = std::vector<std::string>;
const std::string kEmpty = "*0\r\n";
const std::string kNullArray = "*-1\r\n";

Strings Range(EngineFixture& f, std::string_view key) {
  return Elements(f.Run({"LRANGE", key, "0", "-1"}));
}

TEST_CASE("LPUSH, RPUSH, LPUSHX, RPUSHX, LLEN, LRANGE and LINDEX", "[list]") {
  EngineFixture f;
  CHECK(f.Run({"RPUSH", "l", "a", "b", "c"}) == Int(3));
  CHECK(f.Run({"LPUSH", "l", "x", "y"}) == Int(5));
  CHECK(Range(f, "l") == Strings{"y", "x", "a", "b", "c"});
  CHECK(f.Run({"LPUSHX", "nosuch", "a"}) == Int(0));
  CHECK(f.Run({"RPUSHX", "nosuch", "a"}) == Int(0));
  CHECK(f.Run({"EXISTS", "nosuch"}) == Int(0));
  CHECK(f.Run({"RPUSHX", "l", "z1", "z2"}) == Int(7));
  CHECK(f.Run({"LPUSHX", "l", "w"}) == Int(8));
  CHECK(f.Run({"LLEN", "l"}) == Int(8));
  CHECK(f.Run({"LLEN", "nosuch"}) == Int(0));
  CHECK(f.Run({"LINDEX", "l", "0"}) == Bulk("w"));
  CHECK(f.Run({"LINDEX", "l", "-1"}) == Bulk("z2"));
  CHECK(f.Run({"LINDEX", "l", "8"}) == kNil);
  CHECK(f.Run({"LINDEX", "l", "-9"}) == kNil);
  CHECK(f.Run({"LINDEX", "nosuch", "x"}) == kNil);
  CHECK(f.Run({"LINDEX", "l", "x"}) == Err(err::kNotInteger));
  CHECK(Elements(f.Run({"LRANGE", "l", "1", "2"})) == Strings{"y", "x"});
  CHECK(Elements(f.Run({"LRANGE", "l", "-2", "100"})) == Strings{"z1", "z2"});
  CHECK(Elements(f.Run({"LRANGE", "l", "-100", "0"})) == Strings{"w"});
  CHECK(f.Run({"LRANGE", "l", "5", "2"}) == kEmpty);
  CHECK(f.Run({"LRANGE", "l", "8", "9"}) == kEmpty);
  CHECK(f.Run({"LRANGE", "nosuch", "0", "-1"}) == kEmpty);
  CHECK(f.Run({"LRANGE", "l", "a", "1"}) == Err(err::kNotInteger));
  // Integers are kept as such in a listpack and come back as the same text.
  f.Run({"RPUSH", "n", "1", "-0", "007", "9223372036854775807", "-9223372036854775808"});
  CHECK(Range(f, "n") == Strings{"1", "-0", "007", "9223372036854775807", "-9223372036854775808"});
}

TEST_CASE("LPOP and RPOP with and without COUNT, in RESP2 and RESP3", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  CHECK(f.Run({"LPOP", "l"}) == Bulk("a"));
  CHECK(f.Run({"RPOP", "l"}) == Bulk("e"));
  CHECK(Elements(f.Run({"LPOP", "l", "2"})) == Strings{"b", "c"});
  CHECK(f.Run({"LPOP", "l", "0"}) == kEmpty);
  CHECK(Elements(f.Run({"RPOP", "l", "10"})) == Strings{"d"});
  CHECK(f.Run({"EXISTS", "l"}) == Int(0));
  CHECK(f.Run({"LPOP", "l"}) == kNil);
  CHECK(f.Run({"LPOP", "l", "0"}) == kNullArray);
  CHECK(f.Run({"RPOP", "l", "1"}) == kNullArray);
  CHECK(f.Run({"LPOP", "l", "-1"}) == Err("ERR value is out of range, must be positive"));
  CHECK(f.Run({"LPOP", "l", "x"}) == Err("ERR value is out of range, must be positive"));
  CHECK(f.Run({"LPOP", "l", "1", "1"}) == Err("ERR wrong number of arguments for 'lpop' command"));
  CHECK(f.Run({"RPOP", "l", "1", "1"}) == Err("ERR wrong number of arguments for 'rpop' command"));
  f.session().resp = 3;
  CHECK(f.Run({"LPOP", "l"}) == "_\r\n");
  CHECK(f.Run({"LPOP", "l", "1"}) == "_\r\n");
  f.Run({"RPUSH", "l", "x"});
  CHECK(f.Run({"RPOP", "l", "0"}) == kEmpty);
}

TEST_CASE("LSET, LINSERT, LREM and LTRIM", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  CHECK(f.Run({"LSET", "l", "1", "B"}) == kOk);
  CHECK(f.Run({"LSET", "l", "-1", "A"}) == kOk);
  CHECK(Range(f, "l") == Strings{"a", "B", "a", "c", "A"});
  CHECK(f.Run({"LSET", "l", "5", "x"}) == Err("ERR index out of range"));
  CHECK(f.Run({"LSET", "nosuch", "0", "x"}) == Err(err::kNoSuchKey));
  CHECK(f.Run({"LSET", "l", "x", "x"}) == Err(err::kNotInteger));
  CHECK(f.Run({"LINSERT", "l", "BEFORE", "c", "b"}) == Int(6));
  CHECK(f.Run({"LINSERT", "l", "after", "A", "end"}) == Int(7));
  CHECK(f.Run({"LINSERT", "l", "after", "zz", "x"}) == Int(-1));
  CHECK(f.Run({"LINSERT", "nosuch", "after", "a", "x"}) == Int(0));
  CHECK(f.Run({"LINSERT", "l", "middle", "a", "x"}) == Err(err::kSyntax));
  CHECK(Range(f, "l") == Strings{"a", "B", "a", "b", "c", "A", "end"});
  CHECK(f.Run({"LREM", "l", "-1", "a"}) == Int(1));
  CHECK(Range(f, "l") == Strings{"a", "B", "b", "c", "A", "end"});
  f.Run({"RPUSH", "l", "a", "a"});
  CHECK(f.Run({"LREM", "l", "2", "a"}) == Int(2));
  CHECK(Range(f, "l") == Strings{"B", "b", "c", "A", "end", "a"});
  CHECK(f.Run({"LREM", "l", "0", "zz"}) == Int(0));
  CHECK(f.Run({"LREM", "nosuch", "0", "a"}) == Int(0));
  CHECK(f.Run({"LREM", "l", "x", "a"}) == Err(err::kNotInteger));
  CHECK(f.Run({"LTRIM", "l", "1", "-2"}) == kOk);
  CHECK(Range(f, "l") == Strings{"b", "c", "A", "end"});
  CHECK(f.Run({"LTRIM", "l", "-100", "100"}) == kOk);
  CHECK(Range(f, "l") == Strings{"b", "c", "A", "end"});
  CHECK(f.Run({"LTRIM", "nosuch", "0", "1"}) == kOk);
  CHECK(f.Run({"LTRIM", "l", "x", "1"}) == Err(err::kNotInteger));
  CHECK(f.Run({"LTRIM", "l", "3", "1"}) == kOk);
  CHECK(f.Run({"EXISTS", "l"}) == Int(0));
  f.Run({"RPUSH", "l", "only"});
  CHECK(f.Run({"LREM", "l", "0", "only"}) == Int(1));
  CHECK(f.Run({"EXISTS", "l"}) == Int(0));
}

TEST_CASE("LPOS with RANK, COUNT and MAXLEN, and its errors", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  CHECK(f.Run({"LPOS", "l", "a"}) == Int(0));
  CHECK(f.Run({"LPOS", "l", "c"}) == Int(2));
  CHECK(f.Run({"LPOS", "l", "c", "RANK", "2"}) == Int(6));
  CHECK(f.Run({"LPOS", "l", "c", "RANK", "4"}) == kNil);
  CHECK(f.Run({"LPOS", "l", "c", "RANK", "-1"}) == Int(7));
  CHECK(f.Run({"LPOS", "l", "c", "RANK", "-2"}) == Int(6));
  CHECK(Elements(f.Run({"LPOS", "l", "c", "COUNT", "0"})) == Strings{"2", "6", "7"});
  CHECK(Elements(f.Run({"LPOS", "l", "c", "COUNT", "2"})) == Strings{"2", "6"});
  CHECK(Elements(f.Run({"LPOS", "l", "c", "COUNT", "0", "RANK", "2"})) == Strings{"6", "7"});
  CHECK(Elements(f.Run({"LPOS", "l", "c", "COUNT", "2", "RANK", "-1"})) == Strings{"7", "6"});
  CHECK(f.Run({"LPOS", "l", "c", "MAXLEN", "2"}) == kNil);
  CHECK(f.Run({"LPOS", "l", "c", "MAXLEN", "3"}) == Int(2));
  CHECK(f.Run({"LPOS", "l", "1", "RANK", "-1", "MAXLEN", "4"}) == kNil);
  CHECK(f.Run({"LPOS", "l", "1", "RANK", "-1", "MAXLEN", "5"}) == Int(3));
  CHECK(f.Run({"LPOS", "l", "x", "COUNT", "2"}) == kEmpty);
  CHECK(f.Run({"LPOS", "nosuch", "x"}) == kNil);
  CHECK(f.Run({"LPOS", "nosuch", "x", "COUNT", "1"}) == kEmpty);
  CHECK(f.Run({"LPOS", "l", "c", "RANK", "0"}) ==
        Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list"));
  CHECK(f.Run({"LPOS", "l", "c", "RANK", "-9223372036854775808"}) ==
        Err("ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807"));
  CHECK(f.Run({"LPOS", "l", "c", "COUNT", "-1"}) == Err("ERR COUNT can't be negative"));
  CHECK(f.Run({"LPOS", "l", "c", "MAXLEN", "-1"}) == Err("ERR MAXLEN can't be negative"));
  CHECK(f.Run({"LPOS", "l", "c", "RANK"}) == Err(err::kSyntax));
  CHECK(f.Run({"LPOS", "l", "c", "FOO", "1"}) == Err(err::kSyntax));
}

TEST_CASE("LMOVE and RPOPLPUSH, rotation of one list included", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "src", "a", "b", "c"});
  CHECK(f.Run({"LMOVE", "src", "dst", "LEFT", "RIGHT"}) == Bulk("a"));
  CHECK(f.Run({"LMOVE", "src", "dst", "RIGHT", "LEFT"}) == Bulk("c"));
  CHECK(Range(f, "dst") == Strings{"c", "a"});
  CHECK(f.Run({"RPOPLPUSH", "src", "dst"}) == Bulk("b"));
  CHECK(f.Run({"EXISTS", "src"}) == Int(0));
  CHECK(Range(f, "dst") == Strings{"b", "c", "a"});
  CHECK(f.Run({"RPOPLPUSH", "dst", "dst"}) == Bulk("a"));
  CHECK(Range(f, "dst") == Strings{"a", "b", "c"});
  CHECK(f.Run({"LMOVE", "dst", "dst", "LEFT", "RIGHT"}) == Bulk("a"));
  CHECK(Range(f, "dst") == Strings{"b", "c", "a"});
  f.Run({"RPUSH", "one", "x"});
  CHECK(f.Run({"LMOVE", "one", "one", "LEFT", "RIGHT"}) == Bulk("x"));
  CHECK(Range(f, "one") == Strings{"x"});
  CHECK(f.Run({"LMOVE", "nosuch", "dst", "LEFT", "LEFT"}) == kNil);
  CHECK(f.Run({"RPOPLPUSH", "nosuch", "dst"}) == kNil);
  CHECK(f.Run({"LMOVE", "one", "dst", "UP", "LEFT"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMOVE", "one", "dst", "LEFT", "DOWN"}) == Err(err::kSyntax));
  // A wrong destination type is found before anything is popped; a missing source wins.
  f.Run({"SET", "str", "v"});
  CHECK(f.Run({"RPOPLPUSH", "one", "str"}) == Err(err::kWrongType));
  CHECK(Range(f, "one") == Strings{"x"});
  CHECK(f.Run({"RPOPLPUSH", "nosuch", "str"}) == kNil);
  CHECK(f.Run({"RPOPLPUSH", "str", "one"}) == Err(err::kWrongType));
}

TEST_CASE("LMPOP and its errors", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "a", "1", "2", "3", "4", "5"});
  CHECK(Elements(f.Run({"LMPOP", "2", "none", "a", "LEFT"})) == Strings{"a", "1"});
  CHECK(Elements(f.Run({"LMPOP", "2", "a", "a", "RIGHT", "COUNT", "2"})) == Strings{"a", "5", "4"});
  CHECK(f.Run({"LMPOP", "1", "a", "left", "count", "10"}) ==
        "*2\r\n" + Bulk("a") + "*2\r\n" + Bulk("2") + Bulk("3"));
  CHECK(f.Run({"EXISTS", "a"}) == Int(0));
  CHECK(f.Run({"LMPOP", "2", "a", "b", "LEFT"}) == kNullArray);
  CHECK(f.Run({"LMPOP", "0", "a", "LEFT"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"LMPOP", "x", "a", "LEFT"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"LMPOP", "-1", "a", "LEFT"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"LMPOP", "1", "a", "UP"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMPOP", "1", "a", "LEFT", "extra"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMPOP", "1", "a", "RIGHT", "LEFT"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMPOP", "1", "a", "COUNT"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMPOP", "5", "a", "LEFT"}) == Err(err::kSyntax));
  CHECK(f.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "0"}) ==
        Err("ERR count should be greater than 0"));
  CHECK(f.Run({"LMPOP", "1", "a", "LEFT", "COUNT", "x"}) ==
        Err("ERR count should be greater than 0"));
  CHECK(f.Run({"LMPOP", "1"}) == Err("ERR wrong number of arguments for 'lmpop' command"));
  f.Run({"SET", "s", "v"});
  f.Run({"RPUSH", "b", "x"});
  CHECK(f.Run({"LMPOP", "2", "s", "b", "LEFT"}) == Err(err::kWrongType));
  CHECK(Elements(f.Run({"LMPOP", "2", "b", "s", "LEFT"})) == Strings{"b", "x"});
}

TEST_CASE("blocking forms serve at once when a key holds a list", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "b", "1", "2", "3"});
  CHECK(Elements(f.Run({"BLPOP", "a", "b", "0"})) == Strings{"b", "1"});
  CHECK(Elements(f.Run({"BRPOP", "a", "b", "0.5"})) == Strings{"b", "3"});
  f.Run({"RPUSH", "b", "4", "5"});
  CHECK(Elements(f.Run({"BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2"})) ==
        Strings{"b", "2", "4"});
  CHECK(f.Run({"BLMOVE", "b", "c", "LEFT", "LEFT", "1"}) == Bulk("5"));
  CHECK(f.Run({"BRPOPLPUSH", "c", "b", "1"}) == Bulk("5"));
  CHECK(Range(f, "b") == Strings{"5"});
  // Timeouts are checked first, as Redis does.
  CHECK(f.Run({"BLPOP", "b", "-1"}) == Err("ERR timeout is negative"));
  CHECK(f.Run({"BLPOP", "b", "x"}) == Err("ERR timeout is not a float or out of range"));
  CHECK(f.Run({"BLMPOP", "0", "1", "b", "UP"}) == Err(err::kSyntax));
  CHECK(f.Run({"BLMOVE", "b", "c", "LEFT", "UP", "0"}) == Err(err::kSyntax));
  f.Run({"SET", "s", "v"});
  CHECK(f.Run({"BLPOP", "s", "b", "0"}) == Err(err::kWrongType));
  CHECK(f.Run({"BLMPOP", "0", "1", "s", "LEFT"}) == Err(err::kWrongType));
  CHECK(f.Run({"BRPOPLPUSH", "s", "b", "0"}) == Err(err::kWrongType));
  // Without data, and with no server to wait in, the reply is the timeout's null array.
  CHECK(f.Run({"BLPOP", "none", "1"}) == kNullArray);
  CHECK(f.Run({"BLMPOP", "1", "1", "none", "LEFT"}) == kNullArray);
  // The one-element forms reply a null bulk string, as their non-blocking forms do.
  CHECK(f.Run({"BLMOVE", "none", "b", "LEFT", "LEFT", "1"}) == "$-1\r\n");
  CHECK(f.Run({"BRPOPLPUSH", "none", "b", "0"}) == "$-1\r\n");
}

TEST_CASE("pops and blocking forms propagate deterministic plain effects", "[list]") {
  EngineFixture f;
  EffectLines sink;
  f.engine().set_effect_sink(&sink);
  f.Run({"RPUSH", "l", "a", "b", "c", "d", "e", "f"});
  f.Run({"LPOP", "l"});
  f.Run({"BLPOP", "none", "l", "0"});
  f.Run({"BRPOP", "l", "0"});
  f.Run({"LMPOP", "1", "l", "RIGHT", "COUNT", "5"});
  f.Run({"RPUSH", "l", "x", "y"});
  f.Run({"BLMOVE", "l", "m", "RIGHT", "LEFT", "0"});
  f.Run({"BRPOPLPUSH", "l", "m", "0"});
  f.Run({"BLMPOP", "0", "1", "m", "LEFT", "COUNT", "1"});
  f.Run({"LPOP", "nosuch"});
  f.Run({"LREM", "m", "0", "nosuch"});
  f.Run({"LTRIM", "m", "0", "-1"});
  CHECK(sink.effects == Strings{"RPUSH l a b c d e f", "LPOP l", "LPOP l", "RPOP l", "RPOP l 3",
                                "RPUSH l x y", "LMOVE l m RIGHT LEFT", "RPOPLPUSH l m",
                                "LPOP m 1"});
  f.engine().set_effect_sink(nullptr);
}

TEST_CASE("lists are listpacks while they fit one node, quicklists beyond", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "small", "a", "b"});
  CHECK(f.Run({"OBJECT", "ENCODING", "small"}) == Bulk("listpack"));
  for (int i = 0; i < 2000; i++) f.Run({"RPUSH", "big", "element-" + std::to_string(i)});
  CHECK(f.Run({"OBJECT", "ENCODING", "big"}) == Bulk("quicklist"));
  CHECK(f.Run({"LINDEX", "big", "1500"}) == Bulk("element-1500"));
  CHECK(f.Run({"LINDEX", "big", "-1"}) == Bulk("element-1999"));
  CHECK(f.Run({"LTRIM", "big", "0", "9"}) == kOk);
  CHECK(f.Run({"OBJECT", "ENCODING", "big"}) == Bulk("listpack"));
  CHECK(f.Run({"CONFIG", "SET", "list-max-listpack-size", "3"}) == kOk);
  f.Run({"RPUSH", "three", "1", "2", "3"});
  CHECK(f.Run({"OBJECT", "ENCODING", "three"}) == Bulk("listpack"));
  f.Run({"RPUSH", "three", "4"});
  CHECK(f.Run({"OBJECT", "ENCODING", "three"}) == Bulk("quicklist"));
  CHECK(Range(f, "three") == Strings{"1", "2", "3", "4"});
  // Commands behave the same on a quicklist with compressed nodes.
  CHECK(f.Run({"CONFIG", "SET", "list-compress-depth", "1"}) == kOk);
  for (int i = 0; i < 30; i++) f.Run({"RPUSH", "c", std::string(100, 'a' + i % 26)});
  CHECK(f.Run({"LINSERT", "c", "BEFORE", std::string(100, 'k'), "mid"}) == Int(31));
  CHECK(f.Run({"LINDEX", "c", "10"}) == Bulk("mid"));
  CHECK(f.Run({"LSET", "c", "15", "set"}) == kOk);
  CHECK(f.Run({"LREM", "c", "0", std::string(100, 'c')}) == Int(2));
  CHECK(f.Run({"LPOS", "c", "set"}) == Int(14));
  CHECK(f.Run({"LLEN", "c"}) == Int(29));
}

TEST_CASE("list commands on another type answer WRONGTYPE", "[list]") {
  EngineFixture f;
  f.Run({"SET", "s", "v"});
  for (const auto& argv :
       std::vector<std::vector<std::string_view>>{{"LPUSH", "s", "a"},
                                                  {"RPUSHX", "s", "a"},
                                                  {"LLEN", "s"},
                                                  {"LRANGE", "s", "0", "1"},
                                                  {"LINDEX", "s", "0"},
                                                  {"LSET", "s", "0", "a"},
                                                  {"LINSERT", "s", "BEFORE", "a", "b"},
                                                  {"LREM", "s", "0", "a"},
                                                  {"LTRIM", "s", "0", "1"},
                                                  {"LPOS", "s", "a"},
                                                  {"LPOP", "s"},
                                                  {"RPOP", "s", "2"},
                                                  {"LMOVE", "s", "d", "LEFT", "LEFT"}}) {
    CHECK(f.Run(argv) == Err(err::kWrongType));
  }
  f.Run({"RPUSH", "l", "a"});
  CHECK(f.Run({"GET", "l"}) == Err(err::kWrongType));
  CHECK(f.Run({"SADD", "l", "a"}) == Err(err::kWrongType));
}

TEST_CASE("generic commands work on lists through their TypeOps row", "[list]") {
  EngineFixture f;
  f.Run({"RPUSH", "l", "a", "b", "c"});
  CHECK(f.Run({"TYPE", "l"}) == "+list\r\n");
  CHECK(f.Run({"COPY", "l", "c"}) == Int(1));
  f.Run({"RPUSH", "c", "d"});
  CHECK(Range(f, "l") == Strings{"a", "b", "c"});
  CHECK(Range(f, "c") == Strings{"a", "b", "c", "d"});
  CHECK(f.Run({"RENAME", "c", "r"}) == kOk);
  CHECK(Range(f, "r") == Strings{"a", "b", "c", "d"});
  CHECK(f.Run({"MOVE", "r", "1"}) == Int(1));
  f.Run({"SELECT", "1"});
  CHECK(Range(f, "r") == Strings{"a", "b", "c", "d"});
  f.Run({"SELECT", "0"});
  const std::string digest = f.Run({"DEBUG", "DIGEST-VALUE", "l"});
  f.Run({"RPUSH", "same", "a", "b", "c"});
  CHECK(f.Run({"DEBUG", "DIGEST-VALUE", "same"}) == digest);
  f.Run({"DEL", "same"});
  f.Run({"RPUSH", "same", "c", "b", "a"});
  CHECK(f.Run({"DEBUG", "DIGEST-VALUE", "same"}) != digest);
  CHECK(Elements(f.Run({"MEMORY", "USAGE", "l"})).size() == 1);
  f.Run({"SET", "str", "v"});
  CHECK(Sorted(f.Run({"SCAN", "0", "TYPE", "list"})) == Strings{"0", "l", "same"});
  // DUMP and RESTORE, and a restored list of many elements is a quicklist again.
  for (int i = 0; i < 3000; i++) f.Run({"RPUSH", "big", "e" + std::to_string(i)});
  for (std::string_view key : {"l", "big"}) {
    const Strings dump = Elements(f.Run({"DUMP", key}));
    REQUIRE(dump.size() == 1);
    CHECK(f.Run({"RESTORE", "restored", "0", dump[0], "REPLACE"}) == kOk);
    CHECK(f.Run({"DEBUG", "DIGEST-VALUE", "restored"}) == f.Run({"DEBUG", "DIGEST-VALUE", key}));
    CHECK(f.Run({"OBJECT", "ENCODING", "restored"}) == f.Run({"OBJECT", "ENCODING", key}));
  }
}

TEST_CASE("key specs: LMPOP and BLMPOP after numkeys, BLPOP up to the timeout", "[list]") {
  EngineFixture f;
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"})) ==
        Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"})) ==
        Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "BLPOP", "a", "b", "0"})) == Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "BLMOVE", "a", "b", "LEFT", "LEFT", "0"})) ==
        Strings{"a", "b"});
}

}  // namespace
}  // namespace tidekv::commands
