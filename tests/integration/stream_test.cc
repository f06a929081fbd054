// Streams through the real binary (DESIGN.md §2a, §6, §11): entries and consumer groups
// (pending lists, counters, consumers) survive kill -9 with a stream large enough to be
// sealed as element rows; a replica converges (DEBUG DIGEST) under XADD / XREADGROUP /
// XACK / XCLAIM / XAUTOCLAIM / trims; XREAD BLOCK and XREADGROUP BLOCK are woken by XADD,
// and a blocked XREADGROUP ends with an error when its stream is deleted.
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/collections_util.h"
#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

std::string Int(int64_t i) { return std::to_string(i); }

// A stream load over a few keys with two groups each.
std::vector<Argv> StreamLoad(uint64_t seed, size_t n, bool create_groups = true) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t bound) { return static_cast<int64_t>(rng() % bound); };
  auto key = [&] { return "st:" + Int(below(3)); };
  auto group = [&] { return below(2) == 0 ? std::string("ga") : std::string("gb"); };
  auto consumer = [&] { return "c" + Int(below(4)); };
  std::vector<Argv> out;
  for (const char* k : {"st:0", "st:1", "st:2"}) {
    if (!create_groups) break;
    out.push_back({"XGROUP", "CREATE", k, "ga", "$", "MKSTREAM"});
    out.push_back({"XGROUP", "CREATE", k, "gb", "0"});
  }
  for (size_t i = 0; i < n; i++) {
    switch (below(12)) {
      case 0:
      case 1:
      case 2:
        out.push_back({"XADD", key(), "*", "f", Int(below(1000)), "g", "x"});
        break;
      case 3:
        out.push_back({"XADD", key(), "MAXLEN", "~", "60", "*", "f", Int(i)});
        break;
      case 4:
        out.push_back({"XREADGROUP", "GROUP", group(), consumer(), "COUNT", Int(1 + below(3)),
                       "STREAMS", key(), ">"});
        break;
      case 5:
        out.push_back({"XREADGROUP", "GROUP", group(), consumer(), "NOACK", "COUNT", "2", "STREAMS",
                       key(), ">"});
        break;
      case 6:
        out.push_back({"XAUTOCLAIM", key(), group(), consumer(), "0", "0", "COUNT", "2"});
        break;
      case 7:
        out.push_back({"XTRIM", key(), "MAXLEN", Int(40 + below(40))});
        break;
      case 8:
        out.push_back({"XREADGROUP", "GROUP", group(), consumer(), "STREAMS", key(), "0"});
        break;
      case 9:
        out.push_back({"XGROUP", "DELCONSUMER", key(), group(), consumer()});
        break;
      default:
        out.push_back({"XRANGE", key(), "-", "+", "COUNT", "3"});
        break;
    }
  }
  return out;
}

TEST_CASE("streams and their groups survive kill -9, a large one as element rows",
          "[integration][stream][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "d";
  auto server = StartServerOn(data, kNoTimedSeals);
  RedisConnection c = server->Connect();
  WaitFirstSeal(c.get());
  for (const Argv& argv : StreamLoad(7, 600)) Ok(c.get(), argv);
  for (int i = 1; i <= 3000; i++) Ok(c.get(), {"XADD", "big", Int(i), "field", Int(i * 7)});
  Ok(c.get(), {"XGROUP", "CREATE", "big", "g", "0"});
  Ok(c.get(), {"XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "big", ">"});
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  // Changes after the seal: new entries, a deletion, an ack, a claim.
  Ok(c.get(), {"XADD", "big", "5000", "field", "new"});
  Ok(c.get(), {"XDEL", "big", "1500"});
  Ok(c.get(), {"XACK", "big", "g", "1-0", "2-0"});
  Ok(c.get(), {"XCLAIM", "big", "g", "bob", "0", "3-0"});
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  Ok(c.get(), {"XTRIM", "big", "MINID", "100"});
  const std::string digest = Digest(c.get());
  const std::string pending = Call(c.get(), {"XPENDING", "big", "g"});
  WaitLogged(c.get());
  c.reset();
  KillHard(*server);
  server = StartServerOn(data, kNoTimedSeals);
  c = server->Connect();
  CHECK(Digest(c.get()) == digest);
  CHECK(Call(c.get(), {"XPENDING", "big", "g"}) == pending);
  CHECK(Call(c.get(), {"XLEN", "big"}) == "(integer) 2901");
  CHECK(Call(c.get(), {"TYPE", "big"}) == "stream");
}

TEST_CASE("a replica converges with its primary under a stream load",
          "[integration][stream][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  for (const Argv& argv : StreamLoad(1, 400)) Ok(p.get(), argv);
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  for (const Argv& argv : StreamLoad(2, 1200, false)) Ok(p.get(), argv);
  Ok(p.get(), {"XCLAIM", "st:0", "gb", "zed", "0", "0-1", "FORCE", "LASTID", "99999999999999"});
  REQUIRE(Call(p.get(), {"WAIT", "1", "20000"}) == "(integer) 1");
  RedisConnection r = replica->Connect();
  CHECK(Digest(r.get()) == Digest(p.get()));
  for (const std::string key : {"st:0", "st:1", "st:2"}) {
    CHECK(Call(r.get(), {"XINFO", "GROUPS", key}) == Call(p.get(), {"XINFO", "GROUPS", key}));
    CHECK(Call(r.get(), {"XRANGE", key, "-", "+"}) == Call(p.get(), {"XRANGE", key, "-", "+"}));
  }
}

void WaitBlocked(redisContext* c, int64_t n) { WaitBlockedClients(c, n); }
void Send(redisContext* c, const Argv& argv) { SendCommand(c, argv); }

TEST_CASE("XREAD and XREADGROUP BLOCK are woken by XADD, in order",
          "[integration][stream][blocking]") {
  ServerProcess server;
  RedisConnection a = server.Connect();
  RedisConnection b = server.Connect();
  RedisConnection w = server.Connect();
  Ok(w.get(), {"XADD", "s", "1", "f", "old"});
  Ok(w.get(), {"XGROUP", "CREATE", "s", "g", "$"});
  Send(a.get(), {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  Send(b.get(), {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"});
  WaitBlocked(w.get(), 2);
  Ok(w.get(), {"XADD", "s", "2", "f", "new"});
  CHECK(Describe(GetReply(a.get()).get()) == "[[s, [[2-0, [f, new]]]]]");
  CHECK(Describe(GetReply(b.get()).get()) == "[[s, [[2-0, [f, new]]]]]");
  CHECK(Call(w.get(), {"XPENDING", "s", "g", "-", "+", "10"}).find("2-0") != std::string::npos);
  // A blocked XREADGROUP whose stream is deleted ends with an error; a timeout with a null.
  Send(b.get(), {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"});
  WaitBlocked(w.get(), 1);
  Ok(w.get(), {"DEL", "s"});
  CHECK(Describe(GetReply(b.get()).get()) == "(error) UNBLOCKED the stream key no longer exists");
  CHECK(Call(a.get(), {"XREAD", "BLOCK", "20", "STREAMS", "s", "$"}) == "(nil)");
}

}  // namespace
}  // namespace tidekv::integration
