// Sorted sets through the real binary (DESIGN.md §2a, §6, §7): both encodings keep their
// members, scores, encodings and TTLs across SAVE and a clean restart and across kill -9
// with only the log; a large sorted set is sealed as element rows, a few ZINCRBYs then seal
// as a few rows, and it comes back exactly; a replica converges under a sorted set load with
// pops, stores and blocking pops served at once; a traced sorted set workload replays
// without a mismatch.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/collections_util.h"
#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

std::string Int(int64_t i) { return std::to_string(i); }

// What a client sees of each key: OBJECT ENCODING, whether it has a TTL, and its members
// with their scores in order.
std::map<std::string, std::string> Observe(redisContext* c, const std::vector<std::string>& keys) {
  std::map<std::string, std::string> out;
  for (const std::string& key : keys) {
    const std::string ttl = Call(c, {"PTTL", key});
    out[key] = Call(c, {"OBJECT", "ENCODING", key}) +
               " ttl:" + (ttl == "(integer) -1" ? "no" : "yes") + " " +
               Call(c, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
  }
  return out;
}

// Sorted sets of both encodings, at and past Redis's thresholds (128 members, 64 bytes),
// with binary members, infinite, negative, fractional and huge scores, a TTL, and keys
// changed after they were created. Returns their names.
std::vector<std::string> WriteZSets(redisContext* c) {
  Ok(c, {"ZADD", "z:lp", "1", "a", "-2.5", "b", "+inf", "c", "-inf", "d", "1e300", "e", "0.1",
         BinaryValue(1, 20)});
  Ok(c, {"ZINCRBY", "z:lp", "0.25", "a"});
  Ok(c, {"ZREM", "z:lp", "e"});
  Argv lp128 = {"ZADD", "z:lp:128"};
  for (int i = 0; i < 128; i++) lp128.insert(lp128.end(), {Int(i % 10), BinaryValue(100 + i, 64)});
  Ok(c, lp128);
  Argv big = {"ZADD", "z:sl"};
  for (int i = 0; i < 600; i++) big.insert(big.end(), {Int(i * 7 % 101) + ".5", "m" + Int(i)});
  Ok(c, big);
  Ok(c, {"ZREMRANGEBYRANK", "z:sl", "0", "9"});
  Ok(c, {"ZADD", "z:sl", "XX", "GT", "1000", "m500"});
  Ok(c, {"ZADD", "z:long", "3", BinaryValue(7, 65), "4", "short"});
  Ok(c, {"EXPIRE", "z:long", "3600"});
  Ok(c, {"ZUNIONSTORE", "z:union", "2", "z:lp", "z:long", "WEIGHTS", "2", "3"});
  Ok(c, {"ZRANGESTORE", "z:store", "z:sl", "0", "199"});
  Ok(c, {"ZPOPMIN", "z:store", "5"});
  return {"z:lp", "z:lp:128", "z:sl", "z:long", "z:union", "z:store"};
}

void CheckRestartKeeps(bool save) {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  std::vector<std::string> keys;
  std::map<std::string, std::string> before;
  std::string digest;
  {
    auto server = StartServerOn(data, kNoTimedSeals);
    RedisConnection c = server->Connect();
    WaitFirstSeal(c.get());
    keys = WriteZSets(c.get());
    before = Observe(c.get(), keys);
    CHECK(before["z:lp"].rfind("listpack", 0) == 0);
    CHECK(before["z:lp:128"].rfind("listpack", 0) == 0);
    CHECK(before["z:sl"].rfind("skiplist", 0) == 0);
    CHECK(before["z:long"].rfind("skiplist ttl:yes", 0) == 0);
    digest = Digest(c.get());
    SaveAndShutdownOrKill(*server, c.get(), save);
  }
  auto server = StartServerOn(data, kNoTimedSeals);
  RedisConnection c = server->Connect();
  CHECK(Observe(c.get(), keys) == before);
  CHECK(Digest(c.get()) == digest);
}

TEST_CASE("sorted sets of both encodings survive SAVE and a clean restart",
          "[integration][zset][persistence]") {
  CheckRestartKeeps(true);
}

TEST_CASE("sorted sets written only to the log survive kill -9",
          "[integration][zset][persistence]") {
  CheckRestartKeeps(false);
}

TEST_CASE("a large sorted set is sealed as element rows and ZINCRBY seals only its changes",
          "[integration][zset][elements][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "d";
  auto server = StartServerOn(data, kNoTimedSeals);
  RedisConnection c = server->Connect();
  WaitFirstSeal(c.get());
  for (int i = 0; i < 20000; i += 1000) {
    Argv zadd = {"ZADD", "big"};
    for (int j = i; j < i + 1000; j++) zadd.insert(zadd.end(), {Int(j % 977), "member:" + Int(j)});
    Ok(c.get(), zadd);
  }
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  const int64_t whole = InfoInt(c.get(), "last_seal_bytes");
  Ok(c.get(), {"ZINCRBY", "big", "0.5", "member:5"});
  Ok(c.get(), {"ZINCRBY", "big", "-1000", "member:6"});
  Ok(c.get(), {"ZREM", "big", "member:7"});
  Ok(c.get(), {"ZADD", "big", "3.25", "member:new"});
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  const int64_t incremental = InfoInt(c.get(), "last_seal_bytes");
  INFO("whole " << whole << " bytes, incremental " << incremental << " bytes");
  CHECK(whole > 100'000);
  CHECK(incremental < 5'000);
  // More changes through several seals, a pop and a range removal, then kill -9.
  std::mt19937_64 rng(11);
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < 20; i++) {
      Ok(c.get(), {"ZINCRBY", "big", Int(static_cast<int64_t>(rng() % 9) - 4),
                   "member:" + Int(static_cast<int64_t>(rng() % 21000))});
    }
    if (round == 3) Ok(c.get(), {"ZPOPMAX", "big", "3"});
    if (round == 6) Ok(c.get(), {"ZREMRANGEBYSCORE", "big", "(10", "11"});
    if (round % 3 == 0) REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  }
  const std::string digest = Digest(c.get());
  const std::string top = Call(c.get(), {"ZRANGE", "big", "0", "9", "WITHSCORES"});
  WaitLogged(c.get());
  c.reset();
  KillHard(*server);
  server = StartServerOn(data, kNoTimedSeals);
  c = server->Connect();
  CHECK(Digest(c.get()) == digest);
  CHECK(Call(c.get(), {"ZRANGE", "big", "0", "9", "WITHSCORES"}) == top);
  CHECK(Call(c.get(), {"OBJECT", "ENCODING", "big"}) == "skiplist");
  // And once more after a clean restart, with changes on top of the loaded rows.
  Ok(c.get(), {"ZINCRBY", "big", "7", "member:8"});
  const std::string later = Digest(c.get());
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  c.reset();
  ShutdownClean(*server);
  server = StartServerOn(data, kNoTimedSeals);
  c = server->Connect();
  CHECK(Digest(c.get()) == later);
}

// A sorted set load over a few keys: adds, increments, removals, ranges, stores, pops and
// blocking pops that find data (they propagate as ZPOPMIN/ZPOPMAX).
std::vector<Argv> ZSetLoad(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t bound) { return static_cast<int64_t>(rng() % bound); };
  auto key = [&] { return "zk:" + Int(below(4)); };
  auto member = [&] { return "m" + Int(below(300)); };
  auto score = [&] { return below(10) == 0 ? std::string("+inf") : Int(below(100)) + ".25"; };
  std::vector<Argv> out;
  for (size_t i = 0; i < n; i++) {
    switch (below(16)) {
      case 0:
      case 1:
      case 2:
        out.push_back({"ZADD", key(), score(), member(), score(), member(), score(), member()});
        break;
      case 3:
        out.push_back({"ZINCRBY", key(), Int(below(7) - 3), member()});
        break;
      case 4:
        out.push_back({"ZADD", key(), "GT", "CH", score(), member()});
        break;
      case 5:
        out.push_back({"ZREM", key(), member(), member()});
        break;
      case 6:
        out.push_back({"ZREMRANGEBYSCORE", key(), Int(below(100)), Int(below(100))});
        break;
      case 7:
        out.push_back({"ZREMRANGEBYRANK", key(), Int(below(5)), Int(below(5))});
        break;
      case 8:
        out.push_back({"ZPOPMIN", key(), Int(1 + below(3))});
        break;
      case 9:
        out.push_back({"ZMPOP", "2", key(), key(), below(2) == 0 ? "MIN" : "MAX", "COUNT", "2"});
        break;
      case 10:
        out.push_back({"BZPOPMAX", key(), key(), "0.01"});
        break;
      case 11:
        out.push_back({"BZMPOP", "0.01", "1", key(), "MIN"});
        break;
      case 12:
        out.push_back({"ZUNIONSTORE", key(), "2", key(), key(), "AGGREGATE", "MAX"});
        break;
      case 13:
        out.push_back({"ZINTERSTORE", "zk:inter", "2", key(), key(), "WEIGHTS", "1", "2"});
        break;
      case 14:
        out.push_back({"ZRANGESTORE", "zk:range", key(), "0", "20", "BYSCORE", "LIMIT", "0", "50"});
        break;
      default:
        out.push_back({"ZRANGE", key(), "0", "-1", "WITHSCORES"});
        break;
    }
  }
  return out;
}

TEST_CASE("a replica converges with its primary under a sorted set load",
          "[integration][zset][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  for (const Argv& argv : ZSetLoad(1, 1500)) Ok(p.get(), argv);
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  for (const Argv& argv : ZSetLoad(2, 3000)) Ok(p.get(), argv);
  // And a large (skiplist) sorted set changed in place.
  Argv big = {"ZADD", "zk:big"};
  for (int i = 0; i < 1000; i++) big.insert(big.end(), {Int(i % 97), "big:" + Int(i)});
  Ok(p.get(), big);
  for (int i = 0; i < 300; i++) Ok(p.get(), {"ZINCRBY", "zk:big", "1.5", "big:" + Int(i * 3)});
  Ok(p.get(), {"ZPOPMIN", "zk:big", "5"});
  Ok(p.get(), {"BZMPOP", "1", "1", "zk:big", "MAX", "COUNT", "4"});
  Ok(p.get(), {"ZREMRANGEBYLEX", "zk:big", "[big:1", "(big:2"});
  REQUIRE(Call(p.get(), {"OBJECT", "ENCODING", "zk:big"}) == "skiplist");
  REQUIRE(Call(p.get(), {"WAIT", "1", "20000"}) == "(integer) 1");
  RedisConnection r = replica->Connect();
  CHECK(Digest(r.get()) == Digest(p.get()));
  for (const std::string key : {"zk:0", "zk:1", "zk:2", "zk:3", "zk:big"}) {
    const Argv range = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
    CHECK(Call(r.get(), range) == Call(p.get(), range));
  }
}

TEST_CASE("a traced sorted set workload replays without a mismatch", "[integration][zset][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "zset.trace";
  std::vector<Argv> commands = ZSetLoad(3, 2500);
  // Random picks from small (listpack) sorted sets replay as drawn; ZSCAN of a listpack is
  // one whole reply.
  for (int i = 0; i < 200; i++) {
    commands.push_back({"ZADD", "zr:small", Int(i % 7), "r" + Int(i % 20)});
    commands.push_back({"ZRANDMEMBER", "zr:small", Int(i % 9 - 4), "WITHSCORES"});
    if (i % 10 == 0) commands.push_back({"ZSCAN", "zr:small", "0"});
  }
  const std::string digest = Record(trace, [&](ServerProcess& server) {
    RedisConnection c = server.Connect();
    for (const Argv& argv : commands) {
      const std::string reply = Call(c.get(), argv);
      INFO(argv[0] << " answered " << reply);
      REQUIRE(reply.rfind("(connection error)", 0) != 0);
    }
  });
  CheckReplays(trace, digest, commands.size(), /*target_too=*/false);
}

}  // namespace
}  // namespace tidekv::integration
