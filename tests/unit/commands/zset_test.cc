// Sorted set commands (commands/zset*.cc) through the in-process engine: replies in RESP2
// and RESP3, Redis 7.0's error texts, both encodings and the conversions at their
// thresholds, WRONGTYPE, and the generic commands on sorted sets.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using Strings = std::vector<std::string>;

// A fixture whose new sorted sets are listpacks, or skiplists from their first member.
struct ZFixture {
  explicit ZFixture(const std::string& encoding) : encoding(encoding) {
    if (encoding == "skiplist") f.Run({"CONFIG", "SET", "zset-max-listpack-entries", "0"});
  }
  std::string Run(std::initializer_list<std::string_view> argv) { return f.Run(argv); }
  EngineFixture f;
  std::string encoding;
};

const std::string kEmpty = "*0\r\n";
const std::string kNullArray = "*-1\r\n";

TEST_CASE("ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZCARD and ZREM in both encodings", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    CHECK(z.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}) == Int(3));
    CHECK(z.Run({"OBJECT", "ENCODING", "z"}) == Bulk(enc));
    CHECK(z.Run({"ZADD", "z", "1", "a", "5", "b"}) == Int(0));
    CHECK(z.Run({"ZSCORE", "z", "b"}) == Bulk("5"));
    CHECK(z.Run({"ZADD", "z", "CH", "1", "a", "6", "b", "7", "d"}) == Int(2));
    CHECK(z.Run({"ZCARD", "z"}) == Int(4));
    CHECK(z.Run({"ZINCRBY", "z", "1.5", "a"}) == Bulk("2.5"));
    CHECK(z.Run({"ZINCRBY", "z", "-0.1", "a"}) == Bulk("2.3999999999999999"));
    CHECK(z.Run({"ZINCRBY", "new", "3", "x"}) == Bulk("3"));
    CHECK(Elements(z.Run({"ZMSCORE", "z", "c", "nosuch", "d"})) == Strings{"3", "(nil)", "7"});
    CHECK(Elements(z.Run({"ZMSCORE", "nokey", "a"})) == Strings{"(nil)"});
    CHECK(z.Run({"ZSCORE", "z", "nosuch"}) == kNil);
    CHECK(z.Run({"ZSCORE", "nokey", "a"}) == kNil);
    CHECK(z.Run({"ZREM", "z", "a", "nosuch", "b"}) == Int(2));
    CHECK(z.Run({"ZREM", "nokey", "a"}) == Int(0));
    CHECK(z.Run({"ZREM", "z", "c", "d", "e"}) == Int(2));
    CHECK(z.Run({"EXISTS", "z"}) == Int(0));
    CHECK(z.Run({"ZCARD", "z"}) == Int(0));
    // Scores: infinities, exponents, shortest %.17g text, negative zero.
    CHECK(z.Run({"ZADD", "s", "+inf", "p", "-inf", "n", "1e3", "k", "-0", "zero"}) == Int(4));
    CHECK(Elements(z.Run({"ZMSCORE", "s", "p", "n", "k", "zero"})) ==
          Strings{"inf", "-inf", "1000", "-0"});
    z.f.session().resp = 3;
    CHECK(z.Run({"ZSCORE", "s", "k"}) == ",1000\r\n");
    CHECK(z.Run({"ZSCORE", "s", "p"}) == ",inf\r\n");
    CHECK(z.Run({"ZMSCORE", "s", "n", "x"}) == "*2\r\n,-inf\r\n_\r\n");
    CHECK(z.Run({"ZINCRBY", "s", "0.5", "k"}) == ",1000.5\r\n");
  }
}

TEST_CASE("ZADD options and their errors", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    CHECK(z.Run({"ZADD", "z", "XX", "1", "a"}) == Int(0));
    CHECK(z.Run({"EXISTS", "z"}) == Int(0));
    CHECK(z.Run({"ZADD", "z", "XX", "INCR", "1", "a"}) == kNil);
    CHECK(z.Run({"ZADD", "z", "NX", "1", "a", "2", "b"}) == Int(2));
    CHECK(z.Run({"ZADD", "z", "NX", "9", "a", "3", "c"}) == Int(1));
    CHECK(z.Run({"ZSCORE", "z", "a"}) == Bulk("1"));
    CHECK(z.Run({"ZADD", "z", "XX", "5", "a", "9", "new"}) == Int(0));
    CHECK(z.Run({"ZSCORE", "z", "a"}) == Bulk("5"));
    CHECK(z.Run({"ZSCORE", "z", "new"}) == kNil);
    CHECK(z.Run({"ZADD", "z", "GT", "CH", "4", "a", "10", "b", "1", "d"}) == Int(2));
    CHECK(Elements(z.Run({"ZMSCORE", "z", "a", "b", "d"})) == Strings{"5", "10", "1"});
    CHECK(z.Run({"ZADD", "z", "LT", "CH", "6", "a", "3", "b"}) == Int(1));
    CHECK(z.Run({"ZADD", "z", "XX", "LT", "CH", "0", "a", "0", "zz"}) == Int(1));
    CHECK(z.Run({"ZSCORE", "z", "zz"}) == kNil);
    CHECK(z.Run({"ZADD", "z", "INCR", "GT", "-1", "a"}) == kNil);  // score not raised
    CHECK(z.Run({"ZADD", "z", "INCR", "LT", "-1", "a"}) == Bulk("-1"));
    CHECK(z.Run({"ZADD", "z", "INCR", "2", "a"}) == Bulk("1"));
    CHECK(z.Run({"ZADD", "z", "INCR", "0", "a"}) == Bulk("1"));  // unchanged, still replied
    CHECK(z.Run({"ZADD", "z", "NX", "INCR", "5", "a"}) == kNil);
    CHECK(z.Run({"ZADD", "z", "XX", "NX", "1", "a"}) ==
          Err("ERR XX and NX options at the same time are not compatible"));
    for (auto bad : {std::pair{"GT", "NX"}, {"LT", "NX"}, {"GT", "LT"}}) {
      CHECK(z.Run({"ZADD", "z", bad.first, bad.second, "1", "a"}) ==
            Err("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    CHECK(z.Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}) ==
          Err("ERR INCR option supports a single increment-element pair"));
    CHECK(z.Run({"ZADD", "z", "1", "a", "2"}) == Err(err::kSyntax));
    CHECK(z.Run({"ZADD", "z", "NX", "CH"}) == Err(err::kSyntax));
    CHECK(z.Run({"ZADD", "z", "1", "a", "x", "b"}) == Err(err::kNotFloat));
    CHECK(z.Run({"ZADD", "z", "", "a"}) == Err(err::kNotFloat));
    CHECK(z.Run({"ZADD", "z", "nan", "a"}) == Err(err::kNotFloat));
    CHECK(z.Run({"ZADD", "z", " 1", "a"}) == Err(err::kNotFloat));
    CHECK(z.Run({"ZADD", "z", "1e999", "a"}) == Err(err::kNotFloat));
    // A parse error adds nothing, not even the pairs before it.
    CHECK(z.Run({"ZADD", "z", "1", "p1", "x", "p2"}) == Err(err::kNotFloat));
    CHECK(z.Run({"ZSCORE", "z", "p1"}) == kNil);
    CHECK(z.Run({"ZADD", "z", "+inf", "i"}) == Int(1));
    CHECK(z.Run({"ZINCRBY", "z", "-inf", "i"}) == Err("ERR resulting score is not a number (NaN)"));
    CHECK(z.Run({"ZADD", "z", "INCR", "-inf", "i"}) ==
          Err("ERR resulting score is not a number (NaN)"));
    CHECK(z.Run({"ZSCORE", "z", "i"}) == Bulk("inf"));
    CHECK(z.Run({"ZINCRBY", "z", "abc", "a"}) == Err(err::kNotFloat));
    CHECK(z.Run({"ZINCRBY", "z", "1", "a", "b"}) ==
          Err("ERR wrong number of arguments for 'zincrby' command"));
  }
}

TEST_CASE("ZRANK, ZREVRANK and ZRANGE by rank", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    z.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "4", "e"});
    CHECK(z.Run({"ZRANK", "z", "a"}) == Int(0));
    CHECK(z.Run({"ZRANK", "z", "e"}) == Int(4));
    CHECK(z.Run({"ZREVRANK", "z", "e"}) == Int(0));
    CHECK(z.Run({"ZREVRANK", "z", "a"}) == Int(4));
    CHECK(z.Run({"ZRANK", "z", "nosuch"}) == kNil);
    CHECK(z.Run({"ZRANK", "nokey", "a"}) == kNil);
    CHECK(Elements(z.Run({"ZRANGE", "z", "0", "-1"})) == Strings{"a", "b", "c", "d", "e"});
    CHECK(Elements(z.Run({"ZRANGE", "z", "1", "2"})) == Strings{"b", "c"});
    CHECK(Elements(z.Run({"ZRANGE", "z", "-2", "100"})) == Strings{"d", "e"});
    CHECK(Elements(z.Run({"ZRANGE", "z", "-100", "0"})) == Strings{"a"});
    CHECK(z.Run({"ZRANGE", "z", "3", "1"}) == kEmpty);
    CHECK(z.Run({"ZRANGE", "z", "5", "10"}) == kEmpty);
    CHECK(z.Run({"ZRANGE", "nokey", "0", "-1"}) == kEmpty);
    CHECK(Elements(z.Run({"ZRANGE", "z", "0", "1", "WITHSCORES"})) == Strings{"a", "1", "b", "2"});
    CHECK(Elements(z.Run({"ZRANGE", "z", "0", "1", "REV"})) == Strings{"e", "d"});
    CHECK(Elements(z.Run({"ZREVRANGE", "z", "0", "1"})) == Strings{"e", "d"});
    CHECK(Elements(z.Run({"ZREVRANGE", "z", "-2", "-1", "WITHSCORES"})) ==
          Strings{"b", "2", "a", "1"});
    CHECK(z.Run({"ZRANGE", "z", "a", "1"}) == Err(err::kNotInteger));
    z.f.session().resp = 3;
    CHECK(z.Run({"ZRANGE", "z", "0", "1", "WITHSCORES"}) ==
          "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    CHECK(z.Run({"ZRANGE", "z", "0", "0"}) == "*1\r\n$1\r\na\r\n");
  }
}

TEST_CASE("ZRANGE BYSCORE and BYLEX, with REV and LIMIT, and the older forms", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    z.Run(
        {"ZADD", "z", "-inf", "m", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "+inf", "p"});
    CHECK(Elements(z.Run({"ZRANGEBYSCORE", "z", "2", "4"})) == Strings{"b", "c", "d"});
    CHECK(Elements(z.Run({"ZRANGEBYSCORE", "z", "(2", "(4"})) == Strings{"c"});
    CHECK(Elements(z.Run({"ZRANGEBYSCORE", "z", "-inf", "1"})) == Strings{"m", "a"});
    CHECK(Elements(z.Run({"ZRANGEBYSCORE", "z", "(5", "+inf"})) == Strings{"p"});
    CHECK(Elements(z.Run({"ZREVRANGEBYSCORE", "z", "4", "2"})) == Strings{"d", "c", "b"});
    CHECK(Elements(z.Run({"ZRANGE", "z", "4", "2", "BYSCORE", "REV"})) == Strings{"d", "c", "b"});
    CHECK(Elements(z.Run({"ZRANGEBYSCORE", "z", "0", "10", "WITHSCORES", "LIMIT", "1", "2"})) ==
          Strings{"b", "2", "c", "3"});
    CHECK(Elements(z.Run({"ZREVRANGEBYSCORE", "z", "10", "0", "LIMIT", "1", "2"})) ==
          Strings{"d", "c"});
    CHECK(Elements(z.Run({"ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "3", "-1"})) ==
          Strings{"d", "e"});
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "-1", "2"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "10", "2"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "0", "0"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "4", "2"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "(2", "2"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "2.5", "2.7"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "x", "2"}) == Err("ERR min or max is not a float"));
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "1", "NaN"}) == Err("ERR min or max is not a float"));
    CHECK(z.Run({"ZRANGEBYSCORE", "z", "0", "1", "REV"}) == Err(err::kSyntax));
    CHECK(z.Run({"ZREVRANGE", "z", "0", "1", "BYSCORE"}) == Err(err::kSyntax));
    CHECK(z.Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}) ==
          Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE "
              "or BYLEX"));
    CHECK(z.Run({"ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"}) ==
          Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    CHECK(z.Run({"ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"}) == Err(err::kSyntax));
    CHECK(z.Run({"ZRANGE", "z", "0", "1", "LIMIT", "x", "1", "BYSCORE"}) == Err(err::kNotInteger));

    z.Run({"ZADD", "lex", "0", "alpha", "0", "bar", "0", "cool", "0", "down", "0", "elephant", "0",
           "foo"});
    CHECK(Elements(z.Run({"ZRANGEBYLEX", "lex", "[bar", "[down"})) ==
          Strings{"bar", "cool", "down"});
    CHECK(Elements(z.Run({"ZRANGEBYLEX", "lex", "(bar", "(down"})) == Strings{"cool"});
    CHECK(Elements(z.Run({"ZRANGEBYLEX", "lex", "-", "[b"})) == Strings{"alpha"});
    CHECK(Elements(z.Run({"ZRANGEBYLEX", "lex", "[e", "+"})) == Strings{"elephant", "foo"});
    CHECK(Elements(z.Run({"ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "2"})) ==
          Strings{"bar", "cool"});
    CHECK(Elements(z.Run({"ZREVRANGEBYLEX", "lex", "+", "[d", "LIMIT", "0", "2"})) ==
          Strings{"foo", "elephant"});
    CHECK(Elements(z.Run({"ZRANGE", "lex", "[d", "-", "BYLEX", "REV"})) ==
          Strings{"cool", "bar", "alpha"});
    CHECK(z.Run({"ZRANGEBYLEX", "lex", "+", "-"}) == kEmpty);
    CHECK(z.Run({"ZRANGEBYLEX", "lex", "[z", "[zz"}) == kEmpty);
    for (auto bad : {std::pair{"foo", "[bar"}, {"[foo", "bar"}, {"+x", "[bar"}, {"", "+"}}) {
      CHECK(z.Run({"ZRANGEBYLEX", "lex", bad.first, bad.second}) ==
            Err("ERR min or max not valid string range item"));
    }
  }
}

TEST_CASE("ZCOUNT, ZLEXCOUNT and ZREMRANGEBY{RANK,SCORE,LEX}", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    z.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
    CHECK(z.Run({"ZCOUNT", "z", "2", "4"}) == Int(3));
    CHECK(z.Run({"ZCOUNT", "z", "(2", "+inf"}) == Int(3));
    CHECK(z.Run({"ZCOUNT", "z", "6", "7"}) == Int(0));
    CHECK(z.Run({"ZCOUNT", "nokey", "0", "1"}) == Int(0));
    CHECK(z.Run({"ZCOUNT", "z", "a", "1"}) == Err("ERR min or max is not a float"));
    CHECK(z.Run({"ZLEXCOUNT", "z", "-", "+"}) == Int(5));
    CHECK(z.Run({"ZLEXCOUNT", "z", "[b", "(d"}) == Int(2));
    CHECK(z.Run({"ZLEXCOUNT", "z", "b", "(d"}) ==
          Err("ERR min or max not valid string range item"));
    CHECK(z.Run({"ZREMRANGEBYRANK", "z", "0", "0"}) == Int(1));
    CHECK(z.Run({"ZREMRANGEBYRANK", "z", "-1", "-1"}) == Int(1));
    CHECK(z.Run({"ZREMRANGEBYRANK", "z", "5", "10"}) == Int(0));
    CHECK(Elements(z.Run({"ZRANGE", "z", "0", "-1"})) == Strings{"b", "c", "d"});
    CHECK(z.Run({"ZREMRANGEBYSCORE", "z", "(2", "3"}) == Int(1));
    CHECK(z.Run({"ZREMRANGEBYSCORE", "z", "x", "3"}) == Err("ERR min or max is not a float"));
    CHECK(z.Run({"ZREMRANGEBYLEX", "z", "[a", "[b"}) == Int(1));
    CHECK(z.Run({"ZREMRANGEBYLEX", "z", "[a", "b"}) ==
          Err("ERR min or max not valid string range item"));
    CHECK(z.Run({"ZREMRANGEBYSCORE", "z", "-inf", "+inf"}) == Int(1));
    CHECK(z.Run({"EXISTS", "z"}) == Int(0));
    CHECK(z.Run({"ZREMRANGEBYRANK", "nokey", "0", "-1"}) == Int(0));
  }
}

TEST_CASE("ZRANGESTORE stores a range, a new destination's encoding follows its size", "[zset]") {
  EngineFixture f;
  f.Run({"ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d"});
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "1", "2"}) == Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"})) == Strings{"b", "2", "c", "3"});
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "3", "2", "BYSCORE", "REV"}) == Int(2));
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "[a", "[b", "BYLEX"}) == Int(2));
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "1"}) ==
        Int(1));
  CHECK(Elements(f.Run({"ZRANGE", "dst", "0", "-1"})) == Strings{"b"});
  // The source itself as the destination.
  CHECK(f.Run({"ZRANGESTORE", "src", "src", "0", "1"}) == Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "src", "0", "-1"})) == Strings{"a", "b"});
  // An empty result deletes the destination.
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "5", "10"}) == Int(0));
  CHECK(f.Run({"EXISTS", "dst"}) == Int(0));
  CHECK(f.Run({"ZRANGESTORE", "dst", "nokey", "0", "-1"}) == Int(0));
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "1", "2"}) ==
        Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX"));
  f.Run({"SET", "str", "x"});
  CHECK(f.Run({"ZRANGESTORE", "dst", "str", "0", "-1"}) == Err(err::kWrongType));
  CHECK(f.Run({"CONFIG", "SET", "zset-max-listpack-entries", "1"}) == kOk);
  CHECK(f.Run({"ZRANGESTORE", "one", "src", "0", "0"}) == Int(1));
  CHECK(f.Run({"OBJECT", "ENCODING", "one"}) == Bulk("listpack"));
  CHECK(f.Run({"ZRANGESTORE", "two", "src", "0", "1"}) == Int(2));
  CHECK(f.Run({"OBJECT", "ENCODING", "two"}) == Bulk("skiplist"));
  // ZRANGESTORE over a string destination replaces it.
  CHECK(f.Run({"ZRANGESTORE", "str", "src", "0", "0"}) == Int(1));
  CHECK(f.Run({"TYPE", "str"}) == "+zset\r\n");
}

TEST_CASE("ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    z.Run({"ZADD", "a", "1", "x", "2", "y", "3", "z"});
    z.Run({"ZADD", "b", "1", "y", "2", "z", "3", "w"});
    z.Run({"SADD", "s", "x", "w"});
    CHECK(Elements(z.Run({"ZUNION", "2", "a", "b", "WITHSCORES"})) ==
          Strings{"x", "1", "w", "3", "y", "3", "z", "5"});
    CHECK(Elements(z.Run({"ZINTER", "2", "a", "b", "WITHSCORES"})) == Strings{"y", "3", "z", "5"});
    CHECK(Elements(z.Run({"ZDIFF", "2", "a", "b", "WITHSCORES"})) == Strings{"x", "1"});
    CHECK(Elements(z.Run({"ZUNION", "2", "a", "b", "WEIGHTS", "2", "3", "WITHSCORES"})) ==
          Strings{"x", "2", "y", "7", "w", "9", "z", "12"});  // weights 2 and 3
    CHECK(Elements(z.Run({"ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"})) ==
          Strings{"y", "1", "z", "2"});
    CHECK(Elements(z.Run({"ZINTER", "2", "a", "b", "AGGREGATE", "max"})) == Strings{"y", "z"});
    // Plain sets count as score 1.
    CHECK(Elements(z.Run({"ZINTER", "2", "s", "a", "WEIGHTS", "2", "3", "WITHSCORES"})) ==
          Strings{"x", "5"});
    CHECK(Elements(z.Run({"ZDIFF", "2", "s", "a"})) == Strings{"w"});
    CHECK(Elements(z.Run({"ZUNION", "3", "a", "nokey", "s"})) ==
          Strings{"w", "x", "y", "z"});  // w 1, x 2, y 2, z 3
    CHECK(z.Run({"ZINTER", "2", "a", "nokey"}) == kEmpty);
    CHECK(z.Run({"ZUNIONSTORE", "dst", "2", "a", "b"}) == Int(4));
    CHECK(Elements(z.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"})) ==
          Strings{"x", "1", "w", "3", "y", "3", "z", "5"});
    CHECK(z.Run({"ZINTERSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "0"}) == Int(2));
    CHECK(Elements(z.Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"})) ==
          Strings{"y", "2", "z", "3"});
    CHECK(z.Run({"ZDIFFSTORE", "dst", "2", "a", "a"}) == Int(0));
    CHECK(z.Run({"EXISTS", "dst"}) == Int(0));
    CHECK(z.Run({"ZINTERCARD", "2", "a", "b"}) == Int(2));
    CHECK(z.Run({"ZINTERCARD", "2", "a", "b", "LIMIT", "1"}) == Int(1));
    CHECK(z.Run({"ZINTERCARD", "2", "a", "b", "LIMIT", "0"}) == Int(2));
    // inf + -inf is 0; 0 * inf is 0.
    z.Run({"ZADD", "i1", "+inf", "k"});
    z.Run({"ZADD", "i2", "-inf", "k"});
    CHECK(Elements(z.Run({"ZUNION", "2", "i1", "i2", "WITHSCORES"})) == Strings{"k", "0"});
    CHECK(Elements(z.Run({"ZUNION", "1", "i1", "WEIGHTS", "0", "WITHSCORES"})) ==
          Strings{"k", "0"});
    CHECK(Elements(z.Run({"ZINTER", "2", "i1", "i1", "WITHSCORES"})) == Strings{"k", "inf"});
    z.f.session().resp = 3;
    CHECK(z.Run({"ZINTER", "2", "a", "b", "WITHSCORES"}) ==
          "*2\r\n*2\r\n$1\r\ny\r\n,3\r\n*2\r\n$1\r\nz\r\n,5\r\n");
  }
}

TEST_CASE("Z*STORE, ZUNION and ZINTERCARD errors as Redis 7.0", "[zset]") {
  EngineFixture f;
  f.Run({"ZADD", "a", "1", "x"});
  f.Run({"SET", "str", "v"});
  for (std::string cmd : {"zunion", "zinter", "zdiff", "zintercard"}) {
    CHECK(f.Run({cmd, "0", "a"}) ==
          Err("ERR at least 1 input key is needed for '" + cmd + "' command"));
  }
  for (std::string cmd : {"zunionstore", "zinterstore", "zdiffstore"}) {
    CHECK(f.Run({cmd, "d", "0", "a"}) ==
          Err("ERR at least 1 input key is needed for '" + cmd + "' command"));
    CHECK(f.Run({cmd, "d", "1", "a", "WITHSCORES"}) == Err(err::kSyntax));
  }
  CHECK(f.Run({"ZUNION", "x", "a"}) == Err(err::kNotInteger));
  CHECK(f.Run({"ZUNION", "3", "a"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZUNION", "1", "str"}) == Err(err::kWrongType));
  CHECK(f.Run({"ZUNION", "1", "a", "WEIGHTS", "nan"}) == Err("ERR weight value is not a float"));
  CHECK(f.Run({"ZUNION", "1", "a", "WEIGHTS"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZUNION", "1", "a", "AGGREGATE", "avg"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZDIFF", "1", "a", "WEIGHTS", "1"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZINTERCARD", "1", "a", "a"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZINTERCARD", "1", "a", "LIMIT"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZINTERCARD", "1", "a", "LIMIT", "-1"}) == Err("ERR LIMIT can't be negative"));
  CHECK(f.Run({"ZINTERCARD", "1", "a", "LIMIT", "x"}) == Err("ERR LIMIT can't be negative"));
  CHECK(f.Run({"ZINTERCARD", "1", "a", "WITHSCORES"}) == Err(err::kSyntax));
  // The keys of numkeys commands, for the dispatcher and COMMAND GETKEYS.
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1",
                        "2"})) == Strings{"d", "a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "ZINTERCARD", "2", "a", "b", "LIMIT", "1"})) ==
        Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"})) ==
        Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN"})) ==
        Strings{"a", "b"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0"})) == Strings{"a", "b"});
}

TEST_CASE("ZPOPMIN, ZPOPMAX and ZMPOP", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    z.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
    CHECK(Elements(z.Run({"ZPOPMIN", "z"})) == Strings{"a", "1"});
    CHECK(Elements(z.Run({"ZPOPMAX", "z", "2"})) == Strings{"e", "5", "d", "4"});
    CHECK(z.Run({"ZPOPMIN", "z", "0"}) == kEmpty);
    CHECK(z.Run({"ZPOPMIN", "nokey"}) == kEmpty);
    CHECK(z.Run({"ZPOPMIN", "z", "-1"}) == Err("ERR value is out of range, must be positive"));
    CHECK(z.Run({"ZPOPMIN", "z", "1", "2"}) == Err(err::kSyntax));
    CHECK(Elements(z.Run({"ZMPOP", "2", "nokey", "z", "MIN", "COUNT", "10"})) ==
          Strings{"z", "b", "2", "c", "3"});
    CHECK(z.Run({"EXISTS", "z"}) == Int(0));
    CHECK(z.Run({"ZMPOP", "1", "z", "MAX"}) == kNullArray);
    z.Run({"ZADD", "z", "1", "a", "2", "b"});
    CHECK(z.Run({"ZMPOP", "1", "z", "MAX"}) ==
          "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    z.f.session().resp = 3;
    z.Run({"ZADD", "z", "2", "b", "3", "c"});
    CHECK(z.Run({"ZPOPMIN", "z"}) == "*2\r\n$1\r\na\r\n,1\r\n");
    CHECK(z.Run({"ZPOPMIN", "z", "1"}) == "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    CHECK(z.Run({"ZMPOP", "1", "z", "MIN"}) == "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n");
    CHECK(z.Run({"ZMPOP", "1", "z", "MIN"}) == "_\r\n");
  }
  EngineFixture f;
  f.Run({"SET", "str", "v"});
  CHECK(f.Run({"ZPOPMIN", "str", "-1"}) == Err("ERR value is out of range, must be positive"));
  CHECK(f.Run({"ZPOPMIN", "str", "0"}) == Err(err::kWrongType));
  CHECK(f.Run({"ZMPOP", "2", "nokey", "str", "MIN"}) == Err(err::kWrongType));
  CHECK(f.Run({"ZMPOP", "0", "z", "MIN"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"ZMPOP", "a", "z", "MIN"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"ZMPOP", "1", "z", "bad"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZMPOP", "1", "z", "MIN", "x"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZMPOP", "1", "z", "COUNT"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZMPOP", "2", "z", "MIN"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZMPOP", "1", "z", "MAX", "COUNT", "1", "COUNT", "2"}) == Err(err::kSyntax));
  CHECK(f.Run({"ZMPOP", "1", "z", "MIN", "COUNT", "0"}) ==
        Err("ERR count should be greater than 0"));
  CHECK(f.Run({"ZMPOP", "1", "z", "MIN", "COUNT", "a"}) ==
        Err("ERR count should be greater than 0"));
}

TEST_CASE("BZPOPMIN, BZPOPMAX and BZMPOP serve data at once, else wait", "[zset]") {
  EngineFixture f;
  f.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  CHECK(Elements(f.Run({"BZPOPMIN", "nokey", "z", "0"})) == Strings{"z", "a", "1"});
  CHECK(Elements(f.Run({"BZPOPMAX", "z", "0.5"})) == Strings{"z", "c", "3"});
  CHECK(Elements(f.Run({"BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "5"})) ==
        Strings{"z", "b", "2"});
  // Nothing to pop: an engine without a server cannot block, so the timeout reply is at once.
  CHECK(f.Run({"BZPOPMIN", "z", "0"}) == kNullArray);
  CHECK(f.Run({"BZMPOP", "0", "1", "z", "MAX"}) == kNullArray);
  CHECK(f.Run({"BZPOPMIN", "z", "-1"}) == Err("ERR timeout is negative"));
  CHECK(f.Run({"BZPOPMIN", "z", "x"}) == Err("ERR timeout is not a float or out of range"));
  CHECK(f.Run({"BZMPOP", "0", "0", "z", "MIN"}) == Err("ERR numkeys should be greater than 0"));
  CHECK(f.Run({"BZMPOP", "x", "1", "z", "MIN"}) ==
        Err("ERR timeout is not a float or out of range"));
  CHECK(f.Run({"BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"}) ==
        Err("ERR count should be greater than 0"));
  f.Run({"SET", "str", "v"});
  CHECK(f.Run({"BZPOPMIN", "str", "0"}) == Err(err::kWrongType));
  CHECK(f.Run({"BZMPOP", "0", "2", "nokey", "str", "MIN"}) == Err(err::kWrongType));
  f.session().resp = 3;
  f.Run({"ZADD", "z", "1.5", "a"});
  CHECK(f.Run({"BZPOPMIN", "z", "0"}) == "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1.5\r\n");
}

TEST_CASE("ZRANDMEMBER", "[zset]") {
  for (const std::string enc : {"listpack", "skiplist"}) {
    INFO(enc);
    ZFixture z(enc);
    z.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
    const std::map<std::string, std::string> scores = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
    for (int i = 0; i < 20; i++) CHECK(scores.count(Elements(z.Run({"ZRANDMEMBER", "z"}))[0]));
    const Strings all = Elements(z.Run({"ZRANDMEMBER", "z", "5"}));
    CHECK(std::set<std::string>(all.begin(), all.end()) == std::set<std::string>{"a", "b", "c"});
    CHECK(Elements(z.Run({"ZRANDMEMBER", "z", "2"})).size() == 2);
    const Strings many = Elements(z.Run({"ZRANDMEMBER", "z", "-10", "WITHSCORES"}));
    REQUIRE(many.size() == 20);
    for (size_t i = 0; i < many.size(); i += 2) CHECK(scores.at(many[i]) == many[i + 1]);
    const Strings two = Elements(z.Run({"ZRANDMEMBER", "z", "2", "WITHSCORES"}));
    REQUIRE(two.size() == 4);
    CHECK(two[0] != two[2]);
    CHECK(z.Run({"ZRANDMEMBER", "z", "0"}) == kEmpty);
    CHECK(z.Run({"ZRANDMEMBER", "nokey"}) == kNil);
    CHECK(z.Run({"ZRANDMEMBER", "nokey", "5"}) == kEmpty);
    CHECK(z.Run({"ZRANDMEMBER", "z", "1", "bad"}) == Err(err::kSyntax));
    CHECK(z.Run({"ZRANDMEMBER", "z", "x"}) == Err(err::kNotInteger));
    CHECK(z.Run({"ZRANDMEMBER", "z", "-9223372036854775808"}) == Err("ERR value is out of range"));
    CHECK(z.Run({"ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"}) ==
          Err("ERR value is out of range"));
    z.f.session().resp = 3;
    const std::string r3 = z.Run({"ZRANDMEMBER", "z", "-1", "WITHSCORES"});
    CHECK(r3.rfind("*1\r\n*2\r\n$1\r\n", 0) == 0);
  }
}

TEST_CASE("ZSCAN walks both encodings", "[zset]") {
  EngineFixture f;
  f.Run({"ZADD", "small", "1", "a", "2.5", "b"});
  CHECK(Elements(f.Run({"ZSCAN", "small", "0"})) == Strings{"0", "a", "1", "b", "2.5"});
  CHECK(Elements(f.Run({"ZSCAN", "small", "0", "MATCH", "b*"})) == Strings{"0", "b", "2.5"});
  CHECK(Elements(f.Run({"ZSCAN", "nokey", "0"})) == Strings{"0"});
  std::vector<std::string> add = {"ZADD", "big"};
  for (int i = 0; i < 500; i++) {
    add.push_back(std::to_string(i));
    add.push_back("m" + std::to_string(i));
  }
  f.Run(add);
  CHECK(f.Run({"OBJECT", "ENCODING", "big"}) == Bulk("skiplist"));
  std::map<std::string, std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    const Strings page = Elements(f.Run({"ZSCAN", "big", cursor, "COUNT", "20"}));
    cursor = page[0];
    for (size_t i = 1; i + 1 < page.size(); i += 2) seen[page[i]] = page[i + 1];
    calls++;
  } while (cursor != "0" && calls < 1000);
  CHECK(calls > 1);
  REQUIRE(seen.size() == 500);
  CHECK(seen["m42"] == "42");
  f.Run({"SET", "str", "v"});
  CHECK(f.Run({"ZSCAN", "str", "0"}) == Err(err::kWrongType));
}

TEST_CASE("sorted sets convert to skiplists at Redis's thresholds, and never back", "[zset]") {
  EngineFixture f;
  std::vector<std::string> add = {"ZADD", "z"};
  for (int i = 0; i < 128; i++) {
    add.push_back(std::to_string(i));
    add.push_back("m" + std::to_string(i));
  }
  f.Run(add);
  CHECK(f.Run({"OBJECT", "ENCODING", "z"}) == Bulk("listpack"));
  f.Run({"ZADD", "z", "1", "m1"});  // an update does not convert
  CHECK(f.Run({"OBJECT", "ENCODING", "z"}) == Bulk("listpack"));
  f.Run({"ZADD", "z", "999", "one-more"});
  CHECK(f.Run({"OBJECT", "ENCODING", "z"}) == Bulk("skiplist"));
  f.Run({"ZREMRANGEBYRANK", "z", "0", "100"});
  CHECK(f.Run({"OBJECT", "ENCODING", "z"}) == Bulk("skiplist"));
  CHECK(f.Run({"ZCARD", "z"}) == Int(28));
  f.Run({"ZADD", "v", "1", std::string(64, 'x')});
  CHECK(f.Run({"OBJECT", "ENCODING", "v"}) == Bulk("listpack"));
  f.Run({"ZADD", "v", "2", std::string(65, 'y')});
  CHECK(f.Run({"OBJECT", "ENCODING", "v"}) == Bulk("skiplist"));
  CHECK(Elements(f.Run({"ZRANGE", "v", "0", "-1"})) ==
        Strings{std::string(64, 'x'), std::string(65, 'y')});
  f.Run({"ZADD", "long", "1", std::string(65, 'z')});  // a new key with a long member
  CHECK(f.Run({"OBJECT", "ENCODING", "long"}) == Bulk("skiplist"));
  CHECK(f.Run({"CONFIG", "SET", "zset-max-ziplist-entries", "2"}) == kOk);
  f.Run({"ZADD", "three", "1", "a", "2", "b", "3", "c"});
  CHECK(f.Run({"OBJECT", "ENCODING", "three"}) == Bulk("skiplist"));
  CHECK(f.Run({"CONFIG", "SET", "zset-max-listpack-value", "3"}) == kOk);
  f.Run({"ZADD", "four", "1", "abcd"});
  CHECK(f.Run({"OBJECT", "ENCODING", "four"}) == Bulk("skiplist"));
}

TEST_CASE("sorted set commands answer WRONGTYPE on other types", "[zset]") {
  EngineFixture f;
  f.Run({"SET", "k", "v"});
  const std::vector<std::vector<std::string_view>> cmds = {
      {"ZADD", "k", "1", "a"},
      {"ZINCRBY", "k", "1", "a"},
      {"ZREM", "k", "a"},
      {"ZCARD", "k"},
      {"ZSCORE", "k", "a"},
      {"ZMSCORE", "k", "a"},
      {"ZRANK", "k", "a"},
      {"ZREVRANK", "k", "a"},
      {"ZCOUNT", "k", "0", "1"},
      {"ZLEXCOUNT", "k", "-", "+"},
      {"ZRANGE", "k", "0", "-1"},
      {"ZREVRANGE", "k", "0", "-1"},
      {"ZRANGEBYSCORE", "k", "0", "1"},
      {"ZREVRANGEBYSCORE", "k", "1", "0"},
      {"ZRANGEBYLEX", "k", "-", "+"},
      {"ZREVRANGEBYLEX", "k", "+", "-"},
      {"ZREMRANGEBYRANK", "k", "0", "1"},
      {"ZREMRANGEBYSCORE", "k", "0", "1"},
      {"ZREMRANGEBYLEX", "k", "-", "+"},
      {"ZPOPMIN", "k"},
      {"ZPOPMAX", "k"},
      {"ZRANDMEMBER", "k"},
      {"ZINTERCARD", "1", "k"},
      {"ZDIFF", "1", "k"},
  };
  for (const auto& cmd : cmds) {
    INFO(cmd[0]);
    CHECK(f.Run(cmd) == Err(err::kWrongType));
  }
  f.Run({"ZADD", "z", "1", "a"});
  CHECK(f.Run({"SADD", "z", "a"}) == Err(err::kWrongType));
  CHECK(f.Run({"GET", "z"}) == Err(err::kWrongType));
}

TEST_CASE("generic commands on sorted sets: TYPE, COPY, RENAME, MOVE, DUMP, digests, memory",
          "[zset]") {
  EngineFixture f;
  f.Run({"ZADD", "small", "1", "a", "2.5", "b"});
  f.Run({"CONFIG", "SET", "zset-max-listpack-entries", "0"});
  f.Run({"ZADD", "large", "1", "a", "2.5", "b"});
  f.Run({"CONFIG", "SET", "zset-max-listpack-entries", "128"});
  CHECK(f.Run({"TYPE", "small"}) == "+zset\r\n");
  CHECK(f.Run({"OBJECT", "ENCODING", "large"}) == Bulk("skiplist"));
  // Equal contents digest the same whatever the encoding.
  CHECK(f.Run({"DEBUG", "DIGEST-VALUE", "small"}) == f.Run({"DEBUG", "DIGEST-VALUE", "large"}));
  for (const char* key : {"small", "large"}) {
    INFO(key);
    const std::string copy = std::string(key) + "-copy";
    CHECK(f.Run({"COPY", key, copy}) == Int(1));
    CHECK(f.Run({"OBJECT", "ENCODING", copy}) == f.Run({"OBJECT", "ENCODING", key}));
    CHECK(f.Run({"DEBUG", "DIGEST-VALUE", copy}) == f.Run({"DEBUG", "DIGEST-VALUE", key}));
    f.Run({"ZADD", copy, "9", "c"});  // the copy is independent
    CHECK(f.Run({"ZCARD", key}) == Int(2));
    const std::string dump = Elements(f.Run({"DUMP", key}))[0];
    CHECK(f.Run({"RESTORE", std::string(key) + "-restored", "0", dump}) == kOk);
    CHECK(f.Run({"DEBUG", "DIGEST-VALUE", std::string(key) + "-restored"}) ==
          f.Run({"DEBUG", "DIGEST-VALUE", key}));
    CHECK(Elements(f.Run({"MEMORY", "USAGE", key}))[0] != "0");
  }
  CHECK(f.Run({"RENAME", "small-copy", "renamed"}) == kOk);
  CHECK(Elements(f.Run({"ZRANGE", "renamed", "0", "-1", "WITHSCORES"})) ==
        Strings{"a", "1", "b", "2.5", "c", "9"});
  CHECK(f.Run({"MOVE", "renamed", "1"}) == Int(1));
  CHECK(f.Run({"SELECT", "1"}) == kOk);
  CHECK(f.Run({"ZCARD", "renamed"}) == Int(3));
  CHECK(f.Run({"SELECT", "0"}) == kOk);
  CHECK(Sorted(f.Run({"SCAN", "0", "TYPE", "zset", "COUNT", "100"})) ==
        Strings{"0", "large", "large-copy", "large-restored", "small", "small-restored"});
}

}  // namespace
}  // namespace tidekv::commands
