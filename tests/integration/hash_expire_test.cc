// Hash field expiry through the real binary: field times survive SAVE, a clean restart and
// kill -9 (log only), and fields whose time passed while the server was down are gone after
// it starts; a replica follows HEXPIRE writes and the primary's own removals (HDEL from the
// active cycle) without removing anything itself, and converges (DEBUG DIGEST); a traced
// workload with field expiries replays without a mismatch.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
using namespace std::chrono_literals;

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Expect(redisContext* c, const Argv& argv, const std::string& want) {
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : ""));
  REQUIRE(Call(c, argv) == want);
}

// Hashes "hx:<i>": small ones (listpack) and every fourth one past the listpack limit
// (hashtable), each with fields f0..f<n-1>; "long" fields get an absolute time an hour
// ahead, "short" ones a relative `short_ms` (so a slow machine cannot make it past already);
// all short times have passed at `short_by`.
struct Written {
  std::vector<std::string> keys;
  int64_t long_at = 0;
  int64_t short_by = 0;
};

Written WriteTimedHashes(redisContext* c, int64_t short_ms, int first, int count) {
  Written w;
  w.long_at = UnixMs() + 3'600'000;
  for (int i = first; i < first + count; i++) {
    const std::string key = "hx:" + std::to_string(i);
    const int n = i % 4 == 0 ? 200 : 6;
    Argv hset = {"HSET", key};
    for (int f = 0; f < n; f++) {
      hset.push_back("f" + std::to_string(f));
      hset.push_back("v" + std::to_string(i * 1000 + f));
    }
    Expect(c, hset, "(integer) " + std::to_string(n));
    Expect(c, {"HPEXPIREAT", key, std::to_string(w.long_at), "FIELDS", "2", "f0", "f1"},
           "[(integer) 1, (integer) 1]");
    Expect(c, {"HPEXPIRE", key, std::to_string(short_ms), "FIELDS", "2", "f2", "f3"},
           "[(integer) 1, (integer) 1]");
    w.keys.push_back(key);
  }
  w.short_by = UnixMs() + short_ms;
  return w;
}

// What survives once the short times passed: f0, f1 with the long time, f4.. without one.
void CheckAfterShortTimes(redisContext* c, const Written& w) {
  for (const std::string& key : w.keys) {
    INFO(key);
    const std::string at = "(integer) " + std::to_string(w.long_at);
    CHECK(Call(c, {"HPEXPIRETIME", key, "FIELDS", "5", "f0", "f1", "f2", "f3", "f4"}) ==
          "[" + at + ", " + at + ", (integer) -2, (integer) -2, (integer) -1]");
    const int n = std::stoi(key.substr(3)) % 4 == 0 ? 200 : 6;
    CHECK(Call(c, {"HLEN", key}) == "(integer) " + std::to_string(n - 2));
    CHECK(Call(c, {"HGET", key, "f2"}) == "(nil)");
  }
}

void SleepUntil(int64_t unix_ms) {
  while (UnixMs() <= unix_ms) std::this_thread::sleep_for(20ms);
}

TEST_CASE("field times survive SAVE and kill -9, fields due while down are gone after start",
          "[integration][hexpire][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "d";
  Written sealed, logged;
  {
    auto server = StartServerOn(data, kNoTimedSeals);
    RedisConnection c = server->Connect();
    WaitFirstSeal(c.get());
    sealed = WriteTimedHashes(c.get(), 1500, 0, 8);
    Expect(c.get(), {"SAVE"}, "OK");
    logged = WriteTimedHashes(c.get(), 1500, 8, 8);  // only in the log
    KillHard(*server);
  }
  SleepUntil(logged.short_by);
  auto server = StartServerOn(data, kNoTimedSeals);
  RedisConnection c = server->Connect();
  CheckAfterShortTimes(c.get(), sealed);
  CheckAfterShortTimes(c.get(), logged);
  CHECK(Call(c.get(), {"OBJECT", "ENCODING", "hx:1"}) == "listpackex");
  CHECK(Call(c.get(), {"OBJECT", "ENCODING", "hx:0"}) == "hashtable");
  // And again from the batches a clean shutdown writes.
  const std::string digest = Digest(c.get());
  c.reset();
  ShutdownClean(*server);
  server = StartServerOn(data, kNoTimedSeals);
  c = server->Connect();
  CHECK(Digest(c.get()) == digest);
  CheckAfterShortTimes(c.get(), sealed);
}

TEST_CASE("a replica follows field times and the primary's removals, removing nothing itself",
          "[integration][hexpire][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  const Written before = WriteTimedHashes(p.get(), 3000, 0, 6);  // reaches it by full sync
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  const Written streamed = WriteTimedHashes(p.get(), 3000, 6, 6);
  Expect(p.get(), {"WAIT", "1", "60000"}, "(integer) 1");
  RedisConnection r = replica->Connect();
  // Nobody reads: the primary's active cycle removes the short fields and sends HDELs.
  SleepUntil(streamed.short_by);
  const int64_t due = 2 * 12;
  REQUIRE(WaitFor([&] { return InfoInt(p.get(), "expired_subkeys", "stats") >= due; }));
  CHECK(InfoInt(p.get(), "expired_subkeys", "stats") == due);
  WaitCaughtUp(*primary, *replica);
  CHECK(InfoInt(r.get(), "expired_subkeys", "stats") == 0);
  CHECK(Digest(r.get()) == Digest(p.get()));
  CheckAfterShortTimes(r.get(), before);
  CheckAfterShortTimes(r.get(), streamed);
}

TEST_CASE("a traced workload with field expiries replays without a mismatch",
          "[integration][hexpire][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "hexpire.trace";
  size_t sent = 0;
  const std::string digest = Record(trace, [&](ServerProcess& server) {
    RedisConnection c = server.Connect();
    auto send = [&](const Argv& argv) {
      const std::string reply = Call(c.get(), argv);
      INFO(argv[0] << " answered " << reply);
      REQUIRE(reply.rfind("(connection error)", 0) != 0);
      sent++;
    };
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 20; i++) {
        const std::string key = "t:" + std::to_string(i);
        send({"HSET", key, "a", "1", "b", "2", "c", std::to_string(round)});
        send({"HPEXPIRE", key, std::to_string(50 + 10 * i), "FIELDS", "2", "a", "b"});
        send({"HEXPIRE", key, "100", i % 2 ? "NX" : "GT", "FIELDS", "1", "c"});
        send({"HPERSIST", key, "FIELDS", "1", "b"});
        send({"HINCRBYFLOAT", key, "c", "0.5"});
        send({"HTTL", key, "FIELDS", "3", "a", "b", "c"});
        send({"HEXPIRETIME", key, "FIELDS", "1", "c"});
      }
      std::this_thread::sleep_for(300ms);  // the short times pass: lazily and actively
      for (int i = 0; i < 20; i++) {
        const std::string key = "t:" + std::to_string(i);
        send({"HGETALL", key});
        send({"HLEN", key});
        send({"HEXPIRE", key, "0", "FIELDS", "1", "b"});
      }
    }
  });
  // In process only: replay against a live target sends the records as fast as it can, so
  // the fields would expire later relative to the commands than they did (docs/trace.md).
  CheckReplays(trace, digest, sent, /*target_too=*/false);
}

}  // namespace
}  // namespace tidekv::integration
