// Write effects: what the engine hands to persistence (and later replication) for each
// command. Effects must be deterministic: applying them later, with any clock, gives the
// same state (DESIGN.md §3).
#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

struct Fixture {
  Fixture() { f.engine().set_effect_sink(&sink); }
  std::vector<std::string> Take() { return std::exchange(sink.effects, {}); }
  EngineFixture f;
  RecordingSink sink;
};

using V = std::vector<std::string>;

TEST_CASE("plain writes are their own effect, reads and no-ops emit nothing", "[effects]") {
  Fixture x;
  x.f.Run({"SET", "k", "v"});
  x.f.Run({"GET", "k"});
  x.f.Run({"APPEND", "k", "w"});
  x.f.Run({"DEL", "nosuch"});
  x.f.Run({"SETNX", "k", "z"});
  x.f.Run({"INCR", "n"});
  x.f.Run({"MSET", "a", "1", "b", "2"});
  CHECK(x.Take() == V{"0: SET k v", "0: APPEND k w", "0: INCR n", "0: MSET a 1 b 2"});
}

TEST_CASE("relative expiries become absolute", "[effects]") {
  Fixture x;
  const int64_t now = x.f.clock().NowMs();
  const std::string at = std::to_string(now + 10'000);
  x.f.Run({"SET", "k", "v", "EX", "10"});
  x.f.Run({"SETEX", "s", "10", "v"});
  x.f.Run({"PSETEX", "p", "10000", "v"});
  x.f.Run({"EXPIRE", "k", "10"});
  x.f.Run({"PEXPIRE", "k", "10000"});
  x.f.Run({"GETEX", "k", "PX", "10000"});
  x.f.Run({"GETEX", "k", "PERSIST"});
  x.f.Run({"SET", "k", "w", "KEEPTTL"});
  CHECK(x.Take() == V{"0: SET k v PXAT " + at, "0: SET s v PXAT " + at, "0: SET p v PXAT " + at,
                      "0: PEXPIREAT k " + at, "0: PEXPIREAT k " + at, "0: PEXPIREAT k " + at,
                      "0: PERSIST k", "0: SET k w KEEPTTL"});
}

TEST_CASE("times in the past and GETDEL become DEL", "[effects]") {
  Fixture x;
  x.f.Run({"SET", "k", "v"});
  x.f.Run({"SET", "j", "v"});
  x.f.Run({"SET", "g", "v"});
  x.Take();
  x.f.Run({"EXPIRE", "k", "-1"});
  x.f.Run({"SET", "j", "v", "PXAT", "1"});
  x.f.Run({"GETDEL", "g"});
  CHECK(x.Take() == V{"0: DEL k", "0: DEL j", "0: DEL g"});
}

TEST_CASE("expiry is propagated as DEL before the command that found it", "[effects]") {
  Fixture x;
  x.f.Run({"SET", "k", "v", "PX", "100"});
  x.Take();
  x.f.clock().AdvanceMs(100);
  x.f.Run({"APPEND", "k", "x"});
  CHECK(x.Take() == V{"0: DEL k", "0: APPEND k x"});
  x.f.Run({"SET", "e", "v", "PX", "10"});
  x.Take();
  x.f.clock().AdvanceMs(20);
  x.f.engine().keyspace().ActiveExpireCycle(x.f.clock().NowMs(), 1000, x.f.clock());
  CHECK(x.Take() == V{"0: DEL e"});
}

TEST_CASE("INCRBYFLOAT becomes SET of the result keeping the TTL", "[effects]") {
  Fixture x;
  x.f.Run({"INCRBYFLOAT", "f", "1.5"});
  CHECK(x.Take() == V{"0: SET f 1.5 KEEPTTL"});
}

TEST_CASE("effects carry the session's database", "[effects]") {
  Fixture x;
  x.f.Run({"SELECT", "3"});
  x.f.Run({"SET", "k", "v"});
  x.f.Run({"MOVE", "k", "5"});
  CHECK(x.Take() == V{"3: SET k v", "3: MOVE k 5"});
}

TEST_CASE("FLUSHDB, FLUSHALL and SWAPDB tell the sink about whole databases", "[effects]") {
  Fixture x;
  x.f.Run({"SET", "a", "1"});
  x.f.Run({"SELECT", "1"});
  x.f.Run({"SET", "b", "1"});
  x.f.Run({"SWAPDB", "0", "1"});
  x.f.Run({"FLUSHALL"});
  CHECK(x.sink.whole == std::vector<int>{0, 1, 0, 1});
  CHECK(x.sink.swapped_with == std::vector<int>{1, 0});
  CHECK(x.Take().back() == "1: FLUSHALL");
}

TEST_CASE("a sink can refuse writes, reads still run", "[effects]") {
  Fixture x;
  x.f.Run({"SET", "k", "v"});
  x.sink.refuse = "MISCONF disk full";
  CHECK(x.f.Run({"SET", "k", "w"}) == "-MISCONF disk full\r\n");
  CHECK(x.f.Run({"GET", "k"}) == Bulk("v"));
  x.f.session().internal = true;  // log replay and replication bypass the gate
  CHECK(x.f.Run({"SET", "k", "w"}) == kOk);
}

}  // namespace
}  // namespace tidekv::commands

namespace tidekv::commands {
namespace {

TEST_CASE("hash and set effects carry results and drawn members, never randomness", "[effects]") {
  Fixture x;
  x.f.Run({"HSET", "h", "f", "1.5"});
  x.f.Run({"HINCRBYFLOAT", "h", "f", "0.25"});
  x.f.Run({"HDEL", "h", "nosuch"});
  x.f.Run({"SADD", "s", "a"});
  x.f.Run({"SADD", "s", "a"});
  CHECK(x.Take() == V{"0: HSET h f 1.5", "0: HSET h f 1.75", "0: SADD s a"});
  x.f.Run({"SADD", "s", "b", "c"});
  x.Take();
  const std::string popped = Elements(x.f.Run({"SPOP", "s"}))[0];
  CHECK(x.Take() == V{"0: SREM s " + popped});
  const V two = Elements(x.f.Run({"SPOP", "s", "1"}));
  CHECK(x.Take() == V{"0: SREM s " + two[0]});
  x.f.Run({"SPOP", "s", "10"});
  CHECK(x.Take() == V{"0: DEL s"});
  x.f.Run({"SRANDMEMBER", "s"});
  x.f.Run({"HRANDFIELD", "h"});
  CHECK(x.Take().empty());
}

TEST_CASE("sorted set pops propagate as ZPOPMIN/ZPOPMAX, stores and ZADD as themselves",
          "[effects][zset]") {
  Fixture x;
  x.f.Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  x.f.Run({"ZADD", "z", "INCR", "1", "a"});
  x.f.Run({"ZADD", "z", "NX", "9", "a"});  // changes nothing: no effect
  x.f.Run({"ZINCRBY", "z", "0.5", "b"});
  CHECK(x.Take() == V{"0: ZADD z 1 a 2 b 3 c 4 d 5 e", "0: ZADD z INCR 1 a", "0: ZINCRBY z 0.5 b"});
  x.f.Run({"ZPOPMIN", "z"});
  x.f.Run({"ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "1"});
  x.f.Run({"BZPOPMAX", "nokey", "z", "0"});
  x.f.Run({"BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"});
  CHECK(x.Take() == V{"0: ZPOPMIN z", "0: ZPOPMAX z 1", "0: ZPOPMAX z", "0: ZPOPMIN z 2"});
  x.f.Run({"ZADD", "z", "1", "a", "2", "b"});
  x.f.Run({"ZRANGESTORE", "d", "z", "0", "0"});
  x.f.Run({"ZUNIONSTORE", "u", "1", "z"});
  x.f.Run({"ZINTERSTORE", "none", "2", "z", "nokey"});  // nothing stored, nothing deleted
  x.f.Run({"ZRANDMEMBER", "z", "2"});
  x.f.Run({"ZSCAN", "z", "0"});
  x.f.Run({"ZPOPMIN", "nokey"});
  CHECK(x.Take() == V{"0: ZADD z 1 a 2 b", "0: ZRANGESTORE d z 0 0", "0: ZUNIONSTORE u 1 z"});
}

}  // namespace
}  // namespace tidekv::commands

namespace tidekv::commands {
namespace {

TEST_CASE("RESTORE becomes RESTORE with an absolute time and REPLACE", "[effects][dump]") {
  Fixture x;
  x.f.clock().SetMs(1'700'000'000'000);
  x.f.Run({"SET", "k", "v"});
  const std::vector<std::string> dump = Elements(x.f.Run({"DUMP", "k"}));
  REQUIRE(dump.size() == 1);
  x.Take();
  x.f.Run({"RESTORE", "r", "5000", dump[0]});
  x.f.Run({"RESTORE", "p", "0", dump[0]});
  CHECK(x.Take() == V{"0: RESTORE r 1700000005000 " + dump[0] + " REPLACE ABSTTL",
                      "0: RESTORE p 0 " + dump[0] + " REPLACE ABSTTL"});
  // Replacing a key with one already expired deletes it.
  x.f.Run({"RESTORE", "p", "1", dump[0], "REPLACE", "ABSTTL"});
  CHECK(x.Take() == V{"0: DEL p"});
}

}  // namespace
}  // namespace tidekv::commands
