// Hash commands (commands/hashes.cc) through the in-process engine: replies, Redis 7 error
// texts, encodings and their thresholds, effects.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

const std::string kWrongType = Err(err::kWrongType);

TEST_CASE("HSET adds and updates fields, HGET and HMGET read them", "[hash]") {
  EngineFixture f;
  CHECK(f.Run({"HSET", "h", "a", "1", "b", "2"}) == Int(2));
  CHECK(f.Run({"HSET", "h", "a", "10", "c", "3"}) == Int(1));
  CHECK(f.Run({"HGET", "h", "a"}) == Bulk("10"));
  CHECK(f.Run({"HGET", "h", "zz"}) == kNil);
  CHECK(f.Run({"HGET", "nokey", "a"}) == kNil);
  CHECK(Elements(f.Run({"HMGET", "h", "a", "x", "c"})) ==
        std::vector<std::string>{"10", "(nil)", "3"});
  CHECK(f.Run({"HLEN", "h"}) == Int(3));
  CHECK(f.Run({"HMSET", "h", "d", "4"}) == kOk);
  CHECK(f.Run({"HSET", "h", "a"}) == Err("ERR wrong number of arguments for 'hset' command"));
  CHECK(f.Run({"HSET", "h", "a", "1", "b"}) ==
        Err("ERR wrong number of arguments for 'hset' command"));
  CHECK(f.Run({"TYPE", "h"}) == "+hash\r\n");
}

TEST_CASE("HGETALL, HKEYS and HVALS list every field, RESP3 HGETALL is a map", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "h", "a", "1", "b", "2"});
  CHECK(Sorted(f.Run({"HGETALL", "h"})) == std::vector<std::string>{"1", "2", "a", "b"});
  CHECK(Sorted(f.Run({"HKEYS", "h"})) == std::vector<std::string>{"a", "b"});
  CHECK(Sorted(f.Run({"HVALS", "h"})) == std::vector<std::string>{"1", "2"});
  CHECK(f.Run({"HGETALL", "none"}) == "*0\r\n");
  f.session().resp = 3;
  CHECK(f.Run({"HGETALL", "h"}).substr(0, 4) == "%2\r\n");
  CHECK(f.Run({"HGETALL", "none"}) == "%0\r\n");
}

TEST_CASE("HDEL removes fields and the key with the last one", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "h", "a", "1", "b", "2"});
  CHECK(f.Run({"HDEL", "h", "a", "zz", "a"}) == Int(1));
  CHECK(f.Run({"HEXISTS", "h", "a"}) == Int(0));
  CHECK(f.Run({"HEXISTS", "h", "b"}) == Int(1));
  CHECK(f.Run({"HDEL", "h", "b"}) == Int(1));
  CHECK(f.Run({"EXISTS", "h"}) == Int(0));
  CHECK(f.Run({"HDEL", "h", "b"}) == Int(0));
}

TEST_CASE("HSETNX sets only new fields, HSTRLEN measures values", "[hash]") {
  EngineFixture f;
  CHECK(f.Run({"HSETNX", "h", "a", "hello"}) == Int(1));
  CHECK(f.Run({"HSETNX", "h", "a", "other"}) == Int(0));
  CHECK(f.Run({"HGET", "h", "a"}) == Bulk("hello"));
  CHECK(f.Run({"HSTRLEN", "h", "a"}) == Int(5));
  CHECK(f.Run({"HSTRLEN", "h", "b"}) == Int(0));
  f.Run({"HSET", "h", "n", "-12345"});
  CHECK(f.Run({"HSTRLEN", "h", "n"}) == Int(6));
}

TEST_CASE("HINCRBY and HINCRBYFLOAT follow Redis's rules and errors", "[hash]") {
  EngineFixture f;
  CHECK(f.Run({"HINCRBY", "h", "n", "5"}) == Int(5));
  CHECK(f.Run({"HINCRBY", "h", "n", "-7"}) == Int(-2));
  f.Run({"HSET", "h", "s", "abc", "big", "9223372036854775807"});
  CHECK(f.Run({"HINCRBY", "h", "s", "1"}) == Err("ERR hash value is not an integer"));
  CHECK(f.Run({"HINCRBY", "h", "big", "1"}) == Err(err::kOverflow));
  CHECK(f.Run({"HINCRBY", "h", "n", "x"}) == Err(err::kNotInteger));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "1.5"}) == Bulk("1.5"));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "0.25"}) == Bulk("1.75"));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "n", "2"}) == Bulk("0"));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "s", "1"}) == Err("ERR hash value is not a float"));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "x"}) == Err(err::kNotFloat));
  f.Run({"HSET", "h", "huge", "1e4932"});
  CHECK(f.Run({"HINCRBYFLOAT", "h", "huge", "1e4932"}) ==
        Err("ERR increment would produce NaN or Infinity"));
  // A long result converts the hash to a hashtable, replacing the field's node.
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "1e300"}).size() > 300);
  CHECK(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "1e300"}).size() > 300);
}

TEST_CASE("HRANDFIELD: one field, distinct counts, repeating negative counts", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  const std::set<std::string> fields = {"a", "b", "c"};
  CHECK(fields.count(Elements(f.Run({"HRANDFIELD", "h"}))[0]) == 1);
  CHECK(f.Run({"HRANDFIELD", "none"}) == kNil);
  CHECK(f.Run({"HRANDFIELD", "none", "3"}) == "*0\r\n");
  CHECK(f.Run({"HRANDFIELD", "h", "0"}) == "*0\r\n");
  CHECK(Sorted(f.Run({"HRANDFIELD", "h", "10"})) == std::vector<std::string>{"a", "b", "c"});
  std::vector<std::string> two = Elements(f.Run({"HRANDFIELD", "h", "2"}));
  CHECK(two.size() == 2);
  CHECK(two[0] != two[1]);
  std::vector<std::string> many = Elements(f.Run({"HRANDFIELD", "h", "-20"}));
  CHECK(many.size() == 20);
  for (const auto& m : many) CHECK(fields.count(m) == 1);
  std::vector<std::string> pairs = Elements(f.Run({"HRANDFIELD", "h", "-4", "WITHVALUES"}));
  REQUIRE(pairs.size() == 8);
  for (size_t i = 0; i < pairs.size(); i += 2) {
    CHECK(std::string(1, static_cast<char>('1' + (pairs[i][0] - 'a'))) == pairs[i + 1]);
  }
  CHECK(f.Run({"HRANDFIELD", "h", "1", "WITHVALUE"}) == Err(err::kSyntax));
  CHECK(f.Run({"HRANDFIELD", "h", "x"}) == Err(err::kNotInteger));
  CHECK(f.Run({"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"}) ==
        Err("ERR value is out of range"));
  f.session().resp = 3;
  CHECK(f.Run({"HRANDFIELD", "h", "1", "WITHVALUES"}).substr(0, 8) == "*1\r\n*2\r\n");
}

TEST_CASE("a hash converts from listpack to hashtable past its thresholds", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "small", "a", "1"});
  CHECK(f.Run({"OBJECT", "ENCODING", "small"}) == Bulk("listpack"));
  f.Run({"HSET", "long", "a", std::string(65, 'x')});
  CHECK(f.Run({"OBJECT", "ENCODING", "long"}) == Bulk("hashtable"));
  for (int i = 0; i < 128; i++) f.Run({"HSET", "many", "f" + std::to_string(i), "v"});
  CHECK(f.Run({"OBJECT", "ENCODING", "many"}) == Bulk("listpack"));
  f.Run({"HSET", "many", "one-more", "v"});
  CHECK(f.Run({"OBJECT", "ENCODING", "many"}) == Bulk("hashtable"));
  CHECK(f.Run({"HLEN", "many"}) == Int(129));
  CHECK(f.Run({"HGET", "many", "f77"}) == Bulk("v"));
  CHECK(f.Run({"CONFIG", "SET", "hash-max-listpack-entries", "2"}) == kOk);
  f.Run({"HSET", "tiny", "a", "1", "b", "2"});
  CHECK(f.Run({"OBJECT", "ENCODING", "tiny"}) == Bulk("listpack"));
  f.Run({"HSET", "tiny", "c", "3"});
  CHECK(f.Run({"OBJECT", "ENCODING", "tiny"}) == Bulk("hashtable"));
}

TEST_CASE("HSCAN returns every field of both encodings, with MATCH and NOVALUES", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "small", "a1", "x", "b1", "y"});
  CHECK(Elements(f.Run({"HSCAN", "small", "0", "MATCH", "a*"})) ==
        std::vector<std::string>{"0", "a1", "x"});
  CHECK(Elements(f.Run({"HSCAN", "small", "0", "NOVALUES"})).size() == 3);
  for (int i = 0; i < 1000; i++) f.Run({"HSET", "big", "f" + std::to_string(i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::vector<std::string> r = Elements(f.Run({"HSCAN", "big", cursor, "COUNT", "20"}));
    cursor = r[0];
    for (size_t i = 1; i < r.size(); i += 2) seen.insert(r[i]);
    REQUIRE(++calls < 10000);
  } while (cursor != "0");
  CHECK(seen.size() == 1000);
  CHECK(f.Run({"HSCAN", "big", "x"}) == Err("ERR invalid cursor"));
  CHECK(f.Run({"HSCAN", "big", "0", "COUNT", "0"}) == Err(err::kSyntax));
}

TEST_CASE("string commands on a hash and hash commands on a string answer WRONGTYPE", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "h", "a", "1"});
  f.Run({"SET", "s", "v"});
  for (auto cmd : std::vector<std::vector<std::string_view>>{{"GET", "h"},
                                                             {"APPEND", "h", "x"},
                                                             {"INCR", "h"},
                                                             {"STRLEN", "h"},
                                                             {"GETRANGE", "h", "0", "1"},
                                                             {"SETRANGE", "h", "0", "x"},
                                                             {"GETDEL", "h"},
                                                             {"SET", "h", "x", "GET"},
                                                             {"GETBIT", "h", "0"},
                                                             {"BITCOUNT", "h"}}) {
    CAPTURE(cmd[0]);
    CHECK(f.Run(cmd) == kWrongType);
  }
  for (auto cmd : std::vector<std::vector<std::string_view>>{{"HGET", "s", "a"},
                                                             {"HSET", "s", "a", "1"},
                                                             {"HLEN", "s"},
                                                             {"HGETALL", "s"},
                                                             {"HDEL", "s", "a"},
                                                             {"HINCRBY", "s", "a", "1"},
                                                             {"HSCAN", "s", "0"},
                                                             {"HRANDFIELD", "s"}}) {
    CAPTURE(cmd[0]);
    CHECK(f.Run(cmd) == kWrongType);
  }
  // SET replaces a hash whatever its type; MGET reads it as nil.
  CHECK(Elements(f.Run({"MGET", "h", "s"})) == std::vector<std::string>{"(nil)", "v"});
  CHECK(f.Run({"SET", "h", "now-a-string"}) == kOk);
  CHECK(f.Run({"GET", "h"}) == Bulk("now-a-string"));
}

TEST_CASE("COPY, RENAME and MOVE carry a hash whole, DEBUG DIGEST ignores its encoding", "[hash]") {
  EngineFixture f;
  f.Run({"HSET", "h", "a", "1", "b", "2"});
  CHECK(f.Run({"COPY", "h", "h2"}) == Int(1));
  f.Run({"HSET", "h2", "c", "3"});
  CHECK(f.Run({"HLEN", "h"}) == Int(2));
  CHECK(f.Run({"HLEN", "h2"}) == Int(3));
  CHECK(f.Run({"RENAME", "h2", "h3"}) == kOk);
  CHECK(f.Run({"HGET", "h3", "c"}) == Bulk("3"));
  CHECK(f.Run({"MOVE", "h3", "1"}) == Int(1));
  CHECK(f.Run({"EXISTS", "h3"}) == Int(0));
  // The same fields in a listpack and in a hashtable digest alike.
  const std::string listpack = f.Run({"DEBUG", "DIGEST-VALUE", "h"});
  f.Run({"CONFIG", "SET", "hash-max-listpack-entries", "0"});
  f.Run({"DEL", "h"});
  f.Run({"HSET", "h", "b", "2", "a", "1"});
  CHECK(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
  CHECK(f.Run({"DEBUG", "DIGEST-VALUE", "h"}) == listpack);
}

}  // namespace
}  // namespace tidekv::commands

namespace tidekv::commands {
namespace {

TEST_CASE("HRANDFIELD picks fields of a hashtable fairly", "[hash]") {
  EngineFixture f;
  f.Run({"CONFIG", "SET", "hash-max-listpack-entries", "0"});
  for (int i = 0; i < 10; i++) f.Run({"HSET", "h", "f" + std::to_string(i), "v"});
  REQUIRE(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
  std::map<std::string, int> counts;
  for (const std::string& field : Elements(f.Run({"HRANDFIELD", "h", "-20000"}))) {
    counts[field]++;
  }
  REQUIRE(counts.size() == 10);
  // 2000 expected each; a fair draw stays within +-15% (over 10 standard deviations).
  for (const auto& [field, n] : counts) {
    CAPTURE(field);
    CHECK(n > 1700);
    CHECK(n < 2300);
  }
}

TEST_CASE("HINCRBYFLOAT refuses infinite increments with Redis's error", "[hash]") {
  EngineFixture f;
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "+inf"}) == Err("ERR value is NaN or Infinity"));
  CHECK(f.Run({"HINCRBYFLOAT", "h", "f", "nan"}) == Err(err::kNotFloat));
  CHECK(f.Run({"EXISTS", "h"}) == Int(0));
}

TEST_CASE("Redis 7.0's ziplist option names set the listpack thresholds", "[hash]") {
  EngineFixture f;
  CHECK(f.Run({"CONFIG", "SET", "hash-max-ziplist-entries", "1"}) == kOk);
  CHECK(Elements(f.Run({"CONFIG", "GET", "hash-max-listpack-entries"})) ==
        std::vector<std::string>{"hash-max-listpack-entries", "1"});
  CHECK(Elements(f.Run({"CONFIG", "GET", "hash-max-ziplist-entries"})) ==
        std::vector<std::string>{"hash-max-ziplist-entries", "1"});
  f.Run({"HSET", "h", "a", "1", "b", "2"});
  CHECK(f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("hashtable"));
}

TEST_CASE("MEMORY USAGE grows with a collection and is nil for a missing key", "[hash]") {
  EngineFixture f;
  CHECK(f.Run({"MEMORY", "USAGE", "none"}) == kNil);
  f.Run({"HSET", "h", "a", "1"});
  const auto small = std::stoll(Elements(f.Run({"MEMORY", "USAGE", "h"}))[0]);
  for (int i = 0; i < 1000; i++) f.Run({"HSET", "h", "field" + std::to_string(i), "value"});
  const auto large = std::stoll(Elements(f.Run({"MEMORY", "USAGE", "h", "SAMPLES", "0"}))[0]);
  CHECK(small > 0);
  CHECK(large > small + 1000 * 10);
  CHECK(f.Run({"MEMORY", "USAGE", "h", "SAMPLES"}) == Err(err::kSyntax));
  f.Run({"SET", "s", std::string(1000, 'x')});
  CHECK(std::stoll(Elements(f.Run({"MEMORY", "USAGE", "s"}))[0]) > 1000);
}

}  // namespace
}  // namespace tidekv::commands
