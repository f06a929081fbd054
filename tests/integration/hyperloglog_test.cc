// HyperLogLog through the real binary: sparse and dense sketches written with PFADD,
// PFMERGE, PFDEBUG TODENSE and PFCOUNT's cache write reach a replica (streamed, and by full
// sync) and come back after kill -9 (log only) and SAVE (batches) as the same bytes; PFADD /
// PFMERGE raise Redis's keyspace events; damaged sketches (SETRANGE, APPEND, RESTORE) answer
// INVALIDOBJ or WRONGTYPE and never take the server down.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/collections_util.h"
#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

using Argv = std::vector<std::string>;

const std::vector<std::string> kKeys = {"hll:small", "hll:dense", "hll:merged", "hll:todense"};

void WriteSketches(redisContext* c) {
  Ok(c, {"PFADD", "hll:small", "a", "b", "c"});
  Ok(c, {"PFCOUNT", "hll:small"});  // writes the cache: an effect of its own
  Argv many = {"PFADD", "hll:dense"};
  for (int i = 0; i < 3000; i++) many.push_back("e" + std::to_string(i));
  Ok(c, many);
  REQUIRE(Call(c, {"PFDEBUG", "ENCODING", "hll:dense"}) == "dense");
  Ok(c, {"PFMERGE", "hll:merged", "hll:small", "hll:dense"});
  Ok(c, {"PFADD", "hll:todense", "x", "y"});
  Ok(c, {"PFDEBUG", "TODENSE", "hll:todense"});
  Ok(c, {"PFCOUNT", "hll:merged"});
}

std::map<std::string, std::string> Values(redisContext* c) {
  std::map<std::string, std::string> out;
  for (const std::string& key : kKeys) {
    Reply r = Command(c, {"GET", key});
    REQUIRE(r != nullptr);
    REQUIRE(r->type == REDIS_REPLY_STRING);
    out[key] = std::string(r->str, r->len);
  }
  return out;
}

TEST_CASE("HyperLogLogs replicate and survive kill -9 byte for byte",
          "[integration][hll][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);

  RedisConnection p = primary->Connect();
  RedisConnection sub = primary->Connect();
  Ok(p.get(), {"CONFIG", "SET", "notify-keyspace-events", "E$"});
  AppendCommand(sub.get(), {"SUBSCRIBE", "__keyevent@0__:pfadd"});
  REQUIRE(Describe(GetReply(sub.get())) == "[subscribe, __keyevent@0__:pfadd, (integer) 1]");

  WriteSketches(p.get());
  // PFMERGE raises "pfadd" too (Redis 7.0); PFCOUNT and PFDEBUG raise nothing.
  for (const std::string key : {"hll:small", "hll:dense", "hll:merged", "hll:todense"}) {
    CHECK(Describe(GetReply(sub.get())) == "[message, __keyevent@0__:pfadd, " + key + "]");
  }

  const std::map<std::string, std::string> before = Values(p.get());
  CHECK(before.at("hll:small").substr(8, 8) == std::string("\x03\0\0\0\0\0\0\0", 8));
  CHECK(before.at("hll:dense").size() == 12304);
  REQUIRE(Call(p.get(), {"WAIT", "1", "20000"}) == "(integer) 1");
  RedisConnection r = replica->Connect();
  CHECK(Values(r.get()) == before);
  CHECK(Digest(r.get()) == Digest(p.get()));
  const std::string union_count = Call(p.get(), {"PFCOUNT", "hll:small", "hll:dense"});
  CHECK(Call(r.get(), {"PFCOUNT", "hll:small", "hll:dense"}) == union_count);

  WaitLogged(p.get());
  r.reset();
  replica.reset();
  KillHard(*primary);
  auto restarted = StartServerOn(dir.path() / "p");
  RedisConnection again = restarted->Connect();
  CHECK(Values(again.get()) == before);
  CHECK(Call(again.get(), {"PFCOUNT", "hll:small", "hll:dense"}) == union_count);
}

TEST_CASE("HyperLogLogs survive SAVE and reach a new replica by full sync",
          "[integration][hll][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  WriteSketches(p.get());
  Ok(p.get(), {"PFADD", "hll:small", "d"});  // the cache is invalid again: PFCOUNT would write
  const std::map<std::string, std::string> before = Values(p.get());
  CHECK(static_cast<uint8_t>(before.at("hll:small")[15]) & 0x80);

  SaveAndShutdownOrKill(*primary, p.get(), /*save=*/true);
  p.reset();
  primary = StartServerOn(dir.path() / "p");
  p = primary->Connect();
  CHECK(Values(p.get()) == before);

  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  CHECK(Values(r.get()) == before);
  // A replica answers PFCOUNT from the registers but leaves its primary's bytes alone.
  CHECK(Call(r.get(), {"PFCOUNT", "hll:small"}) == "(integer) 4");
  CHECK(Values(r.get()).at("hll:small") == before.at("hll:small"));
  // The primary's PFCOUNT writes its cache, which reaches the replica as bytes.
  CHECK(Call(p.get(), {"PFCOUNT", "hll:small"}) == "(integer) 4");
  CHECK(Values(p.get()).at("hll:small").substr(8, 8) == std::string("\x04\0\0\0\0\0\0\0", 8));
  WaitCaughtUp(*primary, *replica);
  CHECK(Values(r.get()) == Values(p.get()));
  CHECK(Digest(r.get()) == Digest(p.get()));
}

TEST_CASE("damaged HyperLogLogs answer INVALIDOBJ and the server stays up",
          "[integration][hll][bad-input]") {
  TempDir dir;
  auto server = StartServerOn(dir.path());
  RedisConnection c = server->Connect();
  const std::string corrupt = "(error) INVALIDOBJ Corrupted HLL object detected";
  const std::string not_hll = "(error) WRONGTYPE Key is not a valid HyperLogLog string value.";

  // Junk after a sparse payload, an opcode run past the last register, a cut XZERO.
  Ok(c.get(), {"PFADD", "tail", "a", "b", "c"});
  Ok(c.get(), {"APPEND", "tail", "hello"});
  Ok(c.get(), {"PFADD", "long", "a"});
  Ok(c.get(), {"SETRANGE", "long", "16", std::string("\x7f\xff", 2)});
  Ok(c.get(), {"SET", "cut", std::string("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f", 17)});
  for (const std::string key : {"tail", "long", "cut"}) {
    INFO(key);
    CHECK(Call(c.get(), {"PFCOUNT", key}) == corrupt);
    CHECK(Call(c.get(), {"PFCOUNT", key, "absent"}) == corrupt);
    CHECK(Call(c.get(), {"PFMERGE", "dest", key}) == corrupt);
    CHECK(Call(c.get(), {"PFDEBUG", "GETREG", key}) == corrupt);
    CHECK(Call(c.get(), {"PFDEBUG", "TODENSE", key}) == corrupt);
  }
  CHECK(Call(c.get(), {"EXISTS", "dest"}) == "(integer) 0");
  // PFADD edits what it finds before the damage, as Redis does; the damage stays.
  CHECK(Call(c.get(), {"PFADD", "tail", "zz"}) == "(integer) 1");
  CHECK(Call(c.get(), {"PFCOUNT", "tail"}) == corrupt);

  // Headers Redis refuses: a dense value of the wrong length, a bad magic or encoding.
  Ok(c.get(), {"PFADD", "dense", "a"});
  Ok(c.get(), {"PFDEBUG", "TODENSE", "dense"});
  Ok(c.get(), {"APPEND", "dense", "x"});
  Ok(c.get(), {"SET", "magic", "HYLX\x01xxxxxxxxxxxxxxxx"});
  Ok(c.get(), {"SET", "encoding", "HYLL\x02xxxxxxxxxxxxxxxx"});
  for (const std::string key : {"dense", "magic", "encoding"}) {
    INFO(key);
    CHECK(Call(c.get(), {"PFCOUNT", key}) == not_hll);
    CHECK(Call(c.get(), {"PFADD", key, "x"}) == not_hll);
  }

  // A damaged sketch restored from a DUMP payload is found just the same.
  Reply dump = Command(c.get(), {"DUMP", "tail"});
  REQUIRE(dump != nullptr);
  REQUIRE(dump->type == REDIS_REPLY_STRING);
  Ok(c.get(), {"RESTORE", "restored", "0", std::string(dump->str, dump->len)});
  CHECK(Call(c.get(), {"PFCOUNT", "restored"}) == corrupt);

  // Random damage to sketches of both encodings, as Redis's own fuzz test makes it: every
  // command answers (an integer or an error) and the server keeps serving.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; round++) {
    std::vector<std::string> add = {"PFADD", "fuzz"};
    const size_t elements = rng() % 2000;
    for (size_t i = 0; i < elements; i++) add.push_back(std::to_string(rng()));
    Ok(c.get(), {"DEL", "fuzz"});
    Ok(c.get(), add);
    for (int edit = 0; edit < 5; edit++) {
      Reply len = Command(c.get(), {"STRLEN", "fuzz"});
      REQUIRE(len != nullptr);
      const std::string at = std::to_string(static_cast<uint64_t>(len->integer) == 0
                                                ? 0
                                                : rng() % static_cast<uint64_t>(len->integer));
      Ok(c.get(), {"SETRANGE", "fuzz", at, std::string(1, static_cast<char>(rng()))});
      if (rng() % 2 == 0) break;
    }
    for (const std::vector<std::string>& cmd :
         std::vector<std::vector<std::string>>{{"PFCOUNT", "fuzz"},
                                               {"PFCOUNT", "fuzz", "tail"},
                                               {"PFADD", "fuzz", "new"},
                                               {"PFMERGE", "fuzz:dest", "fuzz"},
                                               {"PFDEBUG", "DECODE", "fuzz"},
                                               {"PFDEBUG", "GETREG", "fuzz"}}) {
      Reply r = Command(c.get(), cmd);
      REQUIRE(r != nullptr);
      CHECK((r->type == REDIS_REPLY_INTEGER || r->type == REDIS_REPLY_ERROR ||
             r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING ||
             r->type == REDIS_REPLY_ARRAY));
    }
  }
  CHECK(Call(c.get(), {"PING"}) == "PONG");
  CHECK(Call(c.get(), {"PFADD", "fine", "a", "b"}) == "(integer) 1");
  CHECK(Call(c.get(), {"PFCOUNT", "fine"}) == "(integer) 2");
}

}  // namespace
}  // namespace tidekv::integration
