// SORT and SORT_RO (commands/sort.cc) through the in-process engine: numeric and ALPHA
// orders, BY and GET patterns (strings, hash fields, "#", missing keys), LIMIT windows, the
// native orders of BY nosort, STORE and its effects, errors and key specs.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using Strings = std::vector<std::string>;

TEST_CASE("SORT orders lists, sets and sorted sets numerically or by bytes", "[sort]") {
  EngineFixture f;
  f.Run({"RPUSH", "l", "3", "10", "-1.5", "2e1", "0"});
  CHECK(Elements(f.Run({"SORT", "l"})) == Strings{"-1.5", "0", "3", "10", "2e1"});
  CHECK(Elements(f.Run({"SORT", "l", "DESC"})) == Strings{"2e1", "10", "3", "0", "-1.5"});
  CHECK(Elements(f.Run({"SORT", "l", "ALPHA"})) == Strings{"-1.5", "0", "10", "2e1", "3"});
  CHECK(Elements(f.Run({"SORT_RO", "l", "alpha", "desc"})) ==
        Strings{"3", "2e1", "10", "0", "-1.5"});
  f.Run({"SADD", "s", "b", "a", "c"});
  CHECK(Elements(f.Run({"SORT", "s", "ALPHA"})) == Strings{"a", "b", "c"});
  CHECK(f.Run({"SORT", "s"}) == Err("ERR One or more scores can't be converted into double"));
  f.Run({"ZADD", "z", "1", "c", "2", "b", "3", "a"});
  CHECK(Elements(f.Run({"SORT", "z", "ALPHA"})) == Strings{"a", "b", "c"});
  // Equal weights are ordered by the elements' bytes.
  f.Run({"RPUSH", "same", "1.0", "1", "01"});
  CHECK(Elements(f.Run({"SORT", "same"})) == Strings{"01", "1", "1.0"});
  CHECK(Elements(f.Run({"SORT", "same", "DESC"})) == Strings{"1.0", "1", "01"});
  // A missing key sorts as an empty list.
  CHECK(f.Run({"SORT", "nosuch"}) == "*0\r\n");
  CHECK(f.Run({"SORT", "nosuch", "STORE", "dst"}) == Int(0));
  // strtod's rules: an empty string is 0, NaN and trailing text are refused.
  f.Run({"RPUSH", "e", "", "-2"});
  CHECK(Elements(f.Run({"SORT", "e"})) == Strings{"-2", ""});
  f.Run({"RPUSH", "bad", "1", "nan"});
  CHECK(f.Run({"SORT", "bad"}) == Err("ERR One or more scores can't be converted into double"));
}

TEST_CASE("SORT LIMIT windows, with and without sorting", "[sort]") {
  EngineFixture f;
  f.Run({"RPUSH", "l", "5", "1", "4", "2", "3"});
  CHECK(Elements(f.Run({"SORT", "l", "LIMIT", "1", "2"})) == Strings{"2", "3"});
  CHECK(Elements(f.Run({"SORT", "l", "LIMIT", "-5", "2"})) == Strings{"1", "2"});
  CHECK(Elements(f.Run({"SORT", "l", "LIMIT", "3", "-1"})) == Strings{"4", "5"});
  CHECK(Elements(f.Run({"SORT", "l", "LIMIT", "2", "100", "DESC"})) == Strings{"3", "2", "1"});
  CHECK(f.Run({"SORT", "l", "LIMIT", "5", "1"}) == "*0\r\n");
  CHECK(f.Run({"SORT", "l", "LIMIT", "0", "0"}) == "*0\r\n");
  CHECK(f.Run({"SORT", "l", "LIMIT", "x", "1"}) == Err(err::kNotInteger));
  // Huge values are bounded by the length first (no overflow).
  CHECK(Elements(f.Run({"SORT", "l", "LIMIT", "1", "9223372036854775807"})) ==
        Strings{"2", "3", "4", "5"});
  CHECK(f.Run({"SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"}) == "*0\r\n");
  CHECK(Elements(f.Run({"SORT", "l", "LIMIT", "-9223372036854775808", "2"})) == Strings{"1", "2"});
  CHECK(f.Run({"SORT", "l", "LIMIT", "1"}) == Err(err::kSyntax));
  // BY a pattern without '*' keeps the native order: a list's, DESC reversing it...
  CHECK(Elements(f.Run({"SORT", "l", "BY", "nosort"})) == Strings{"5", "1", "4", "2", "3"});
  CHECK(Elements(f.Run({"SORT", "l", "BY", "nosort", "LIMIT", "1", "3"})) ==
        Strings{"1", "4", "2"});
  CHECK(Elements(f.Run({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "3"})) ==
        Strings{"2", "4", "1"});
  // ...and a sorted set's score order.
  f.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  CHECK(Elements(f.Run({"SORT", "z", "BY", "nosort"})) == Strings{"a", "b", "c", "d"});
  CHECK(Elements(f.Run({"SORT", "z", "BY", "nosort", "DESC"})) == Strings{"d", "c", "b", "a"});
  CHECK(Elements(f.Run({"SORT", "z", "BY", "nosort", "LIMIT", "1", "2"})) == Strings{"b", "c"});
  CHECK(Elements(f.Run({"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"})) ==
        Strings{"c", "b"});
}

TEST_CASE("SORT BY and GET patterns read strings and hash fields", "[sort]") {
  EngineFixture f;
  f.Run({"RPUSH", "ids", "1", "2", "3", "4"});
  f.Run({"MSET", "w_1", "30", "w_2", "10", "w_3", "20"});  // w_4 is missing: weight 0
  f.Run({"HSET", "obj_1", "name", "one", "rank", "b"});
  f.Run({"HSET", "obj_2", "name", "two", "rank", "a"});
  f.Run({"HSET", "obj_3", "name", "three"});
  f.Run({"SET", "obj_4", "a string, not a hash"});
  CHECK(Elements(f.Run({"SORT", "ids", "BY", "w_*"})) == Strings{"4", "2", "3", "1"});
  CHECK(Elements(f.Run({"SORT", "ids", "BY", "w_*", "GET", "#", "GET", "obj_*->name"})) ==
        Strings{"4", "(nil)", "2", "two", "3", "three", "1", "one"});
  // ALPHA BY: a missing weight sorts first; equal ones keep the list's order (as Redis).
  CHECK(Elements(f.Run({"SORT", "ids", "BY", "obj_*->rank", "ALPHA"})) ==
        Strings{"3", "4", "2", "1"});
  CHECK(Elements(f.Run({"SORT", "ids", "BY", "obj_*->rank", "ALPHA", "DESC"})) ==
        Strings{"1", "2", "3", "4"});
  // Equal ALPHA BY weights keep a list's order (a set's go by their bytes).
  f.Run({"RPUSH", "tie", "b", "a"});
  f.Run({"MSET", "t_a", "x", "t_b", "x"});
  CHECK(Elements(f.Run({"SORT", "tie", "BY", "t_*", "ALPHA"})) == Strings{"b", "a"});
  f.Run({"SADD", "tieset", "b", "a"});
  CHECK(Elements(f.Run({"SORT", "tieset", "BY", "t_*", "ALPHA"})) == Strings{"a", "b"});
  // A GET pattern without '*' (or a "->" with no field) reads nothing.
  CHECK(Elements(f.Run({"SORT", "ids", "GET", "w_1", "LIMIT", "0", "1"})) == Strings{"(nil)"});
  CHECK(Elements(f.Run({"SORT", "ids", "GET", "w_*->", "LIMIT", "0", "1"})) == Strings{"(nil)"});
  // A BY weight that is not a number fails the sort.
  f.Run({"SET", "w_4", "abc"});
  CHECK(f.Run({"SORT", "ids", "BY", "w_*"}) ==
        Err("ERR One or more scores can't be converted into double"));
  CHECK(f.Run({"SORT", "obj_4"}) == Err(err::kWrongType));
  CHECK(f.Run({"SORT", "ids", "FOO"}) == Err(err::kSyntax));
  CHECK(f.Run({"SORT_RO", "ids", "STORE", "x"}) == Err(err::kSyntax));
}

TEST_CASE("SORT STORE writes a list and propagates it as one group", "[sort]") {
  EngineFixture f;
  RecordingSink sink(/*with_db=*/false);
  f.engine().set_effect_sink(&sink);
  f.Run({"SADD", "s", "c", "a", "b"});
  f.Run({"SET", "k_a", "x"});
  sink.Take();
  // A set sorted nowhere is sorted by its bytes when stored, so every node stores the same.
  CHECK(f.Run({"SORT", "s", "BY", "nosort", "GET", "k_*", "STORE", "dst"}) == Int(3));
  CHECK(Elements(f.Run({"LRANGE", "dst", "0", "-1"})) == Strings{"x", "", ""});
  CHECK(sink.Take() == Strings{"TIDEKV.GROUP 2 0 2 DEL dst 0 5 RPUSH dst x  "});
  CHECK(f.Run({"SORT", "s", "ALPHA", "DESC", "STORE", "s"}) == Int(3));
  CHECK(f.Run({"TYPE", "s"}) == "+list\r\n");
  CHECK(Elements(f.Run({"LRANGE", "s", "0", "-1"})) == Strings{"c", "b", "a"});
  sink.Take();
  // An empty result deletes the destination.
  CHECK(f.Run({"SORT", "nosuch", "STORE", "dst"}) == Int(0));
  CHECK(f.Run({"EXISTS", "dst"}) == Int(0));
  CHECK(sink.Take() == Strings{"DEL dst"});
  CHECK(f.Run({"SORT", "nosuch", "STORE", "dst"}) == Int(0));
  CHECK(sink.Take().empty());
  // SORT without STORE changes nothing and propagates nothing.
  f.Run({"SORT", "s", "ALPHA"});
  CHECK(sink.Take().empty());
}

TEST_CASE("SORT key specs: the sorted key and STORE's destination, never a pattern", "[sort]") {
  EngineFixture f;
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "SORT", "l", "BY", "store", "GET", "store", "LIMIT",
                        "0", "1", "STORE", "dst"})) == Strings{"l", "dst"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "SORT", "l", "ALPHA"})) == Strings{"l"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "SORT_RO", "l", "BY", "w_*"})) == Strings{"l"});
}

}  // namespace
}  // namespace tidekv::commands
