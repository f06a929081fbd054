// Large hashes and sets in batches as element rows (DESIGN.md §6, "Collections in
// batches"): a seal after a few changes to a large collection writes those changes, not the
// whole value; and through many seals, merges, RENAMEs away and back, deletion and
// re-creation, COPY, kill -9, a clean restart and a replica's full sync, every node holds
// exactly what the primary held (DEBUG DIGEST).
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/collections_util.h"
#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

// Every write durable before its reply, so kill -9 loses nothing acknowledged; seals often.
const std::vector<std::string> kArgs = {"--logstore.fsync", "always",
                                        "--compaction.seal_interval_ms", "100"};

// A seal of every write so far (SAVE), besides the timed ones.
void WaitSeal(redisContext* c) { REQUIRE(Call(c, {"SAVE"}) == "OK"); }

void Fill(redisContext* c, const std::string& hash, const std::string& set, int n) {
  for (int i = 0; i < n; i += 500) {
    Argv hset = {"HSET", hash}, sadd = {"SADD", set};
    for (int j = i; j < std::min(n, i + 500); j++) {
      hset.push_back("field:" + std::to_string(j));
      hset.push_back("value-" + std::to_string(j * 7919));
      sadd.push_back("member:" + std::to_string(j));
    }
    Ok(c, hset);
    Ok(c, sadd);
  }
}

TEST_CASE("a seal after a few changes to a large hash or set writes only those changes",
          "[integration][elements][persistence]") {
  TempDir dir;
  // Without timed seals, so each SAVE's batch holds exactly the writes since the last one.
  auto server = StartServerOn(dir.path() / "d", kNoTimedSeals);
  RedisConnection c = server->Connect();
  WaitFirstSeal(c.get());
  Fill(c.get(), "big", "bigset", 20000);
  WaitSeal(c.get());
  const int64_t whole = InfoInt(c.get(), "last_seal_bytes");
  Ok(c.get(), {"HSET", "big", "field:5", "changed", "brand-new", "x"});
  Ok(c.get(), {"HDEL", "big", "field:6"});
  Ok(c.get(), {"SREM", "bigset", "member:7"});
  Ok(c.get(), {"SADD", "bigset", "member:new"});
  WaitSeal(c.get());
  const int64_t incremental = InfoInt(c.get(), "last_seal_bytes");
  INFO("whole " << whole << " bytes, incremental " << incremental << " bytes");
  CHECK(whole > 200'000);
  CHECK(incremental < 5'000);
}

TEST_CASE("large hashes and sets come back exactly through seals, merges, kill -9 and a full sync",
          "[integration][elements][persistence][replication]") {
  TempDir dir;
  const fs::path data = dir.path() / "p";
  auto primary = StartServerOn(data, kArgs);
  RedisConnection p = primary->Connect();
  Fill(p.get(), "h", "s", 3000);
  Ok(p.get(), {"HPEXPIRE", "h", "3600000", "FIELDS", "2", "field:1", "field:2"});
  std::mt19937_64 rng(20261205);
  auto pick = [&](int n) { return std::to_string(rng() % static_cast<uint64_t>(n)); };
  for (int round = 0; round < 40; round++) {
    for (int i = 0; i < 30; i++) {
      Ok(p.get(), {"HSET", "h", "field:" + pick(4000), "v" + pick(1000)});
      Ok(p.get(), {"HDEL", "h", "field:" + pick(4000)});
      Ok(p.get(), {"SADD", "s", "member:" + pick(4000)});
      Ok(p.get(), {"SREM", "s", "member:" + pick(4000)});
    }
    Ok(p.get(), {"HPEXPIRE", "h", "3600000", "FIELDS", "1", "field:" + pick(4000)});
    Ok(p.get(), {"SPOP", "s", "3"});
    switch (round % 8) {
      case 1:  // away and back: the rows under "h" continue
        Ok(p.get(), {"RENAME", "h", "h2"});
        Ok(p.get(), {"RENAME", "h2", "h"});
        break;
      case 3:  // a new generation
        Ok(p.get(), {"DEL", "s"});
        Fill(p.get(), "h", "s", 1500);
        break;
      case 5:  // a copy is written whole under its own name
        Ok(p.get(), {"COPY", "h", "hc", "REPLACE"});
        Ok(p.get(), {"HSET", "hc", "only-in-copy", "1"});
        break;
      case 6:  // moved away for good
        Ok(p.get(), {"RENAME", "hc", "hc-" + std::to_string(round)});
        break;
      default:
        break;
    }
    if (round % 4 == 0) WaitSeal(p.get());
  }
  REQUIRE(WaitFor([&] { return InfoInt(p.get(), "merges_done") > 0; }));
  const std::string digest = Digest(p.get());

  KillHard(*primary);
  primary = StartServerOn(data, kArgs);
  p = primary->Connect();
  REQUIRE(Digest(p.get()) == digest);

  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  {
    RedisConnection r = replica->Connect();
    CHECK(Digest(r.get()) == digest);
  }

  // More changes after the restart continue the generations loaded from the batches.
  Ok(p.get(), {"HSET", "h", "after", "restart"});
  Ok(p.get(), {"SREM", "s", "member:1", "member:2"});
  WaitSeal(p.get());
  const std::string later = Digest(p.get());
  p.reset();
  ShutdownClean(*primary);
  primary = StartServerOn(data, kArgs);
  p = primary->Connect();
  CHECK(Digest(p.get()) == later);
  // The restarted primary listens on a new port: the replica follows it there.
  RedisConnection r = replica->Connect();
  Ok(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary->port())});
  WaitCaughtUp(*primary, *replica);
  CHECK(Digest(r.get()) == later);
}

}  // namespace
}  // namespace tidekv::integration
