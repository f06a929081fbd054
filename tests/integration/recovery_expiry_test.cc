// Recovery rebuilds exactly the state the log describes (docs/persistence.md "Recovery",
// docs/replication.md "Frames"): the batches and then the log frames apply at their own time
// (time 0), so an EXPIRE or INCR logged after a SAVE still finds a key whose short TTL ran
// out while the server was down; only then do the keys whose time has really passed expire
// by the clock, as DEL frames that reach the replicas like those of the active expiry cycle.
//
// Every case runs for logstore.fsync always and everysec, each after a clean SHUTDOWN and
// after kill -9 (once the log is durable). The four run side by side, so one wait past a
// short TTL serves them all. A replica is also restarted after sealing a key that its own
// clock calls expired, and a primary that lost its unsealed tail must not let the DELs of
// its restart pass for the old history.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

// Long enough for a few commands, short enough to wait out.
constexpr int64_t kShortTtlMs = 2500;

// How a server logs and how it is stopped before its restart.
struct Mode {
  std::string fsync;  // logstore.fsync
  bool kill = false;  // kill -9 rather than SHUTDOWN
  std::string Name() const { return fsync + (kill ? "-kill9" : "-shutdown"); }
};
const std::vector<Mode> kModes = {
    {"everysec", false}, {"everysec", true}, {"always", false}, {"always", true}};

// A server in `mode` whose writes stay in its log until a SAVE: after the first seal attempt
// (the test's first SAVE) the next timed one is an hour away.
std::vector<std::string> ModeArgs(const Mode& mode) {
  return {"--logstore.fsync", mode.fsync, "--compaction.seal_interval_ms", "3600000"};
}

// kill -9 once every frame the server logged is durable (so the kill loses nothing the test
// then looks for), or SHUTDOWN.
void Stop(ServerProcess& server, const Mode& mode) {
  if (!mode.kill) return ShutdownClean(server);
  RedisConnection c = server.Connect();
  WaitLogged(c.get());
  c.reset();
  KillHard(server);
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sleeps until the wall clock (the servers' clock) is past unix_ms.
void SleepPast(int64_t unix_ms) {
  while (UnixMs() <= unix_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::min<int64_t>(100, std::max<int64_t>(1, unix_ms + 1 - UnixMs()))));
  }
}

int64_t PexpireTime(redisContext* c, const std::string& key) {
  Reply r = Command(c, {"PEXPIRETIME", key});
  INFO("PEXPIRETIME " << key << " answered " << Describe(r));
  REQUIRE(r != nullptr);
  REQUIRE(r->type == REDIS_REPLY_INTEGER);
  return r->integer;
}

void Save(redisContext* c) { REQUIRE(Call(c, {"SAVE"}) == "OK"); }

// Runs arm(ttl_ms), which writes keys with that short TTL and then extends some of them,
// and returns the TTL it succeeded with. arm returns false when a short TTL ran out before
// the command meant to extend it (a machine slower than the TTL between two commands): it
// is tried again with a longer TTL, so no outcome depends on the machine's speed.
int64_t ArmShortTtls(const std::function<bool(int64_t)>& arm) {
  int64_t ttl = kShortTtlMs;
  while (!arm(ttl)) {
    ttl *= 2;
    REQUIRE(ttl <= kShortTtlMs * 16);  // a hang guard: 40 s between two commands
  }
  return ttl;
}

// An EXPIRE that must find its key alive; false when its TTL had run out.
bool Extend(redisContext* c, const std::string& key) {
  const std::string reply = Call(c, {"EXPIRE", key, "100"});
  if (reply == "(integer) 0") return false;
  REQUIRE(reply == "(integer) 1");
  return true;
}

std::string Replid(redisContext* c) { return ReplField(c, "master_replid"); }

// Whether the servers stopped before the first short TTL could run out (`armed_at` was read
// before the first short SET). Only then did the keys expire while the servers were down;
// otherwise (a machine slower than the TTL) they expired before the stop, the results that
// do not depend on when are still checked, and the test says what it skipped.
bool StoppedInTime(int64_t armed_at, int64_t ttl) {
  const bool in_time = UnixMs() < armed_at + ttl;
  if (!in_time) {
    WARN(
        "the servers stopped after the short TTL ran out: the DELs at the restart are not "
        "checked");
  }
  return in_time;
}

// ---- 1. a primary alone --------------------------------------------------------------------

// One server per mode, and what it held before its stop.
struct Standalone {
  Mode mode;
  fs::path data;
  std::unique_ptr<ServerProcess> server;
  int64_t offset = 0;  // master_repl_offset before the stop
  int64_t expire_k = 0, expire_c = 0, expire_lk = 0;
};

// k  SET v PX ttl, SAVE, EXPIRE 100          sealed, then extended in the log
// c  SET 0 PX ttl, SAVE, EXPIRE 100, INCR    sealed, then extended and changed in the log
// lk SET v PX ttl, EXPIRE 100                in the log only
// gone:batch SET x PX ttl, SAVE              sealed; expires while the server is down
// gone:log   SET x PX ttl                    in the log only; expires while it is down
bool ArmStandalone(redisContext* c, int64_t ttl) {
  const std::string px = std::to_string(ttl);
  REQUIRE(Call(c, {"SET", "k", "v", "PX", px}) == "OK");
  REQUIRE(Call(c, {"SET", "c", "0", "PX", px}) == "OK");
  REQUIRE(Call(c, {"SET", "lk", "v", "PX", px}) == "OK");
  REQUIRE(Call(c, {"SET", "gone:batch", "x", "PX", px}) == "OK");
  Save(c);
  REQUIRE(Call(c, {"SET", "gone:log", "x", "PX", px}) == "OK");
  if (!Extend(c, "k") || !Extend(c, "c") || !Extend(c, "lk")) return false;
  REQUIRE(Call(c, {"INCR", "c"}) == "(integer) 1");
  return true;
}

TEST_CASE("a restarted primary applies logged EXPIRE and INCR to sealed keys whose TTL passed",
          "[integration][persistence]") {
  TempDir dir;
  std::vector<Standalone> nodes;
  for (const Mode& mode : kModes) {
    Standalone& node = nodes.emplace_back();
    node.mode = mode;
    node.data = dir.path() / mode.Name();
    node.server = StartServerOn(node.data, ModeArgs(mode));
    RedisConnection c = node.server->Connect();
    Save(c.get());
  }
  const int64_t armed_at = UnixMs();
  int64_t ttl = kShortTtlMs;
  for (Standalone& node : nodes) {
    RedisConnection c = node.server->Connect();
    ttl = std::max(ttl, ArmShortTtls([&](int64_t t) { return ArmStandalone(c.get(), t); }));
    node.offset = ReplInt(c.get(), "master_repl_offset");
    node.expire_k = PexpireTime(c.get(), "k");
    node.expire_c = PexpireTime(c.get(), "c");
    node.expire_lk = PexpireTime(c.get(), "lk");
  }
  const int64_t short_expiry = UnixMs() + ttl;
  for (Standalone& node : nodes) Stop(*node.server, node.mode);
  const bool in_time = StoppedInTime(armed_at, kShortTtlMs);
  SleepPast(short_expiry);

  for (Standalone& node : nodes) {
    INFO("mode " << node.mode.Name());
    node.server = StartServerOn(node.data, ModeArgs(node.mode));
    RedisConnection c = node.server->Connect();
    INFO("log:\n" << LogTail(*node.server));
    CHECK(Call(c.get(), {"GET", "k"}) == "v");
    CHECK(PexpireTime(c.get(), "k") == node.expire_k);
    // Not "1" without a TTL: the INCR applied to the sealed key its EXPIRE had extended.
    CHECK(Call(c.get(), {"GET", "c"}) == "1");
    CHECK(PexpireTime(c.get(), "c") == node.expire_c);
    CHECK(Call(c.get(), {"GET", "lk"}) == "v");
    CHECK(PexpireTime(c.get(), "lk") == node.expire_lk);
    // The keys whose time passed are gone, deleted at the start as two DEL frames.
    CHECK(Call(c.get(), {"EXISTS", "gone:batch", "gone:log"}) == "(integer) 0");
    CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 3");
    if (in_time) {
      CHECK(ReplInt(c.get(), "master_repl_offset") == node.offset + 2);
      CHECK(node.server->Log().find("2 keys expired while the server was down were deleted") !=
            std::string::npos);
    }
  }
}

// ---- 2. a primary with a replica -----------------------------------------------------------

// A primary per mode, its replica (through a proxy, so that the replica's retries cannot
// reach the restarted primary before the test re-points it), and what they held.
struct Pair {
  Mode mode;
  fs::path pdata;
  std::unique_ptr<ServerProcess> primary;
  std::unique_ptr<TcpProxy> proxy;
  std::unique_ptr<ServerProcess> replica;
  std::string replid;
  int64_t offset = 0;
  int64_t expire_k = 0;
};

// k  SET 1 PX ttl, SAVE, EXPIRE 100, INCR    -> "2" with 100 s left
// gone:batch (sealed) and gone:log (logged) expire while the primary is down.
bool ArmPrimary(redisContext* c, int64_t ttl) {
  const std::string px = std::to_string(ttl);
  REQUIRE(Call(c, {"SET", "k", "1", "PX", px}) == "OK");
  REQUIRE(Call(c, {"SET", "gone:batch", "x", "PX", px}) == "OK");
  Save(c);
  REQUIRE(Call(c, {"SET", "gone:log", "x", "PX", px}) == "OK");
  if (!Extend(c, "k")) return false;
  REQUIRE(Call(c, {"INCR", "k"}) == "(integer) 2");
  return true;
}

TEST_CASE("a restarted primary resumes its replica partially and both agree on expired keys",
          "[integration][persistence][replication]") {
  TempDir dir;
  std::vector<Pair> pairs;
  for (const Mode& mode : kModes) {
    Pair& pair = pairs.emplace_back();
    pair.mode = mode;
    pair.pdata = dir.path() / ("p-" + mode.Name());
    pair.primary = StartServerOn(pair.pdata, ModeArgs(mode));
    pair.proxy = std::make_unique<TcpProxy>(pair.primary->port());
    pair.replica = StartReplicaOn(dir.path() / ("r-" + mode.Name()), pair.proxy->port());
    WaitLinkUp(*pair.replica);
    RedisConnection p = pair.primary->Connect();
    Save(p.get());
    // The replica's slot (and so the log it needs) is on disk from the next cron tick.
    WaitCronTick(p.get());
  }
  const int64_t armed_at = UnixMs();
  int64_t ttl = kShortTtlMs;
  for (Pair& pair : pairs) {
    RedisConnection p = pair.primary->Connect();
    ttl = std::max(ttl, ArmShortTtls([&](int64_t t) { return ArmPrimary(p.get(), t); }));
    pair.replid = Replid(p.get());
    pair.offset = ReplInt(p.get(), "master_repl_offset");
    pair.expire_k = PexpireTime(p.get(), "k");
  }
  const int64_t short_expiry = UnixMs() + ttl;
  for (Pair& pair : pairs) {
    WaitCaughtUp(*pair.primary, *pair.replica);
    pair.proxy->SetRefusing(true);
    Stop(*pair.primary, pair.mode);
  }
  const bool in_time = StoppedInTime(armed_at, kShortTtlMs);
  SleepPast(short_expiry);

  for (Pair& pair : pairs) {
    INFO("mode " << pair.mode.Name());
    pair.primary = StartServerOn(pair.pdata, ModeArgs(pair.mode));
    RedisConnection p = pair.primary->Connect();
    RedisConnection r = pair.replica->Connect();
    REQUIRE(Call(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(pair.primary->port())}) ==
            "OK");
    WaitCaughtUp(*pair.primary, *pair.replica);
    INFO("primary log:\n"
         << LogTail(*pair.primary) << "\nreplica log:\n"
         << LogTail(*pair.replica));
    const SyncCounters sync = Counters(p.get());
    INFO(Show(sync));
    CHECK(sync.full == 0);
    CHECK(sync.partial_ok == 1);
    if (pair.mode.kill) {
      CHECK(Replid(p.get()) != pair.replid);
      CHECK(ReplField(p.get(), "master_replid2") == pair.replid);
    } else {
      CHECK(Replid(p.get()) == pair.replid);
    }
    if (in_time) {
      CHECK(pair.primary->Log().find("2 keys expired while the server was down were deleted") !=
            std::string::npos);
      CHECK(ReplInt(p.get(), "master_repl_offset") == pair.offset + 2);
    }

    // A later frame applies to the value both hold.
    CHECK(Call(p.get(), {"INCR", "k"}) == "(integer) 3");
    WaitCaughtUp(*pair.primary, *pair.replica);
    CHECK(Call(r.get(), {"GET", "k"}) == "3");
    CHECK(PexpireTime(p.get(), "k") == pair.expire_k);
    CHECK(PexpireTime(r.get(), "k") == pair.expire_k);
    // The replica deleted what expired because the primary's DELs reached it (a replica
    // never expires keys itself, and a read does not either).
    CHECK(Call(r.get(), {"GET", "gone:batch"}) == "(nil)");
    CHECK(Call(r.get(), {"GET", "gone:log"}) == "(nil)");
    CHECK(Call(r.get(), {"DBSIZE"}) == "(integer) 1");
    CHECK(Call(p.get(), {"DBSIZE"}) == "(integer) 1");
    const auto digests = Digests({pair.primary.get(), pair.replica.get()});
    CHECK(digests[1] == digests[0]);
  }
}

// ---- 3. a replica ---------------------------------------------------------------------------

// k  SET v PX ttl; the replica seals it; EXPIRE 100       -> v with 100 s left
// c  SET 0 PX ttl; the replica seals it; EXPIRE 100, INCR -> "1" with 100 s left
// gone SET x PX ttl; the replica seals it; the primary deletes it while the replica is down.
bool ArmReplicas(redisContext* p, const ServerProcess& primary,
                 const std::vector<std::unique_ptr<ServerProcess>>& replicas, int64_t ttl) {
  const std::string px = std::to_string(ttl);
  REQUIRE(Call(p, {"SET", "k", "v", "PX", px}) == "OK");
  REQUIRE(Call(p, {"SET", "c", "0", "PX", px}) == "OK");
  REQUIRE(Call(p, {"SET", "gone", "x", "PX", px}) == "OK");
  for (const auto& replica : replicas) {
    WaitCaughtUp(primary, *replica);
    RedisConnection r = replica->Connect();
    Save(r.get());
  }
  if (!Extend(p, "k") || !Extend(p, "c")) return false;
  REQUIRE(Call(p, {"INCR", "c"}) == "(integer) 1");
  return true;
}

TEST_CASE("a restarted replica applies its logged frames to sealed keys whose TTL passed",
          "[integration][persistence][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"SET", "first", "write"}) == "OK");
  // One replica per mode, all of the one primary.
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (const Mode& mode : kModes) {
    replicas.push_back(StartReplicaOn(dir.path() / mode.Name(), primary->port(), ModeArgs(mode)));
  }
  for (const auto& replica : replicas) {
    WaitCaughtUp(*primary, *replica);
    RedisConnection r = replica->Connect();
    Save(r.get());
  }
  const int64_t ttl =
      ArmShortTtls([&](int64_t t) { return ArmReplicas(p.get(), *primary, replicas, t); });
  const int64_t short_expiry = UnixMs() + ttl;
  const int64_t expire_k = PexpireTime(p.get(), "k");
  const int64_t expire_c = PexpireTime(p.get(), "c");
  for (size_t i = 0; i < replicas.size(); i++) {
    WaitCaughtUp(*primary, *replicas[i]);
    Stop(*replicas[i], kModes[i]);
  }
  const SyncCounters before = Counters(p.get());
  SleepPast(short_expiry);
  // The primary deletes the expired key (lazily here, if its expiry cycle has not yet).
  CHECK(Call(p.get(), {"GET", "gone"}) == "(nil)");

  for (size_t i = 0; i < replicas.size(); i++) {
    INFO("mode " << kModes[i].Name());
    replicas[i] =
        StartReplicaOn(dir.path() / kModes[i].Name(), primary->port(), ModeArgs(kModes[i]));
    WaitCaughtUp(*primary, *replicas[i]);
    RedisConnection r = replicas[i]->Connect();
    INFO("replica log:\n" << LogTail(*replicas[i]));
    CHECK(Call(r.get(), {"GET", "k"}) == "v");
    CHECK(PexpireTime(r.get(), "k") == expire_k);
    CHECK(Call(r.get(), {"GET", "c"}) == "1");
    CHECK(PexpireTime(r.get(), "c") == expire_c);
    CHECK(Call(r.get(), {"GET", "gone"}) == "(nil)");
    CHECK(Call(r.get(), {"DBSIZE"}) == Call(p.get(), {"DBSIZE"}));
    CHECK(ReplInt(r.get(), "master_repl_offset") == ReplInt(p.get(), "master_repl_offset"));
    const auto digests = Digests({primary.get(), replicas[i].get()});
    CHECK(digests[1] == digests[0]);
  }
  const SyncCounters after = Counters(p.get());
  INFO("before: " << Show(before) << "\nafter: " << Show(after));
  CHECK(after.full == before.full);
  CHECK(after.partial_ok == before.partial_ok + static_cast<int64_t>(replicas.size()));
  CHECK(Call(p.get(), {"DBSIZE"}) == "(integer) 3");
}

// A replica's clock is not its primary's: a key whose TTL passed by the replica's clock is
// still the primary's to extend, and the replica deletes it only when the primary's DEL
// comes. So a seal on the replica records the key as the keyspace holds it, expired or not.
TEST_CASE("a replica that seals a key its clock calls expired keeps it for later frames",
          "[integration][persistence][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"SET", "first", "write"}) == "OK");
  // One replica per mode, each behind a proxy that can cut it off its primary.
  std::vector<std::unique_ptr<TcpProxy>> proxies;
  std::vector<std::unique_ptr<ServerProcess>> replicas;
  for (const Mode& mode : kModes) {
    proxies.push_back(std::make_unique<TcpProxy>(primary->port()));
    replicas.push_back(
        StartReplicaOn(dir.path() / mode.Name(), proxies.back()->port(), ModeArgs(mode)));
  }
  for (const auto& replica : replicas) {
    WaitCaughtUp(*primary, *replica);
    RedisConnection r = replica->Connect();
    Save(r.get());
  }
  // k reaches the replicas with a short TTL; they are cut off; the primary extends it.
  const int64_t ttl = ArmShortTtls([&](int64_t t) {
    for (auto& proxy : proxies) proxy->SetRefusing(false);
    for (const auto& replica : replicas) WaitCaughtUp(*primary, *replica);
    REQUIRE(Call(p.get(), {"SET", "k", "v", "PX", std::to_string(t)}) == "OK");
    for (const auto& replica : replicas) WaitCaughtUp(*primary, *replica);
    for (auto& proxy : proxies) {
      proxy->SetRefusing(true);
      proxy->CutAll();
    }
    return Extend(p.get(), "k");
  });
  const int64_t short_expiry = UnixMs() + ttl;
  const int64_t expire_k = PexpireTime(p.get(), "k");
  SleepPast(short_expiry);
  for (const auto& replica : replicas) {
    RedisConnection r = replica->Connect();
    // By its own clock k has expired (a read says so), but it is still there to seal.
    CHECK(Call(r.get(), {"GET", "k"}) == "(nil)");
    Save(r.get());
  }
  for (auto& proxy : proxies) proxy->SetRefusing(false);
  for (size_t i = 0; i < replicas.size(); i++) {
    INFO("mode " << kModes[i].Name());
    WaitCaughtUp(*primary, *replicas[i]);
    {
      RedisConnection r = replicas[i]->Connect();
      CHECK(Call(r.get(), {"GET", "k"}) == "v");
    }
    Stop(*replicas[i], kModes[i]);
    replicas[i] =
        StartReplicaOn(dir.path() / kModes[i].Name(), proxies[i]->port(), ModeArgs(kModes[i]));
    WaitCaughtUp(*primary, *replicas[i]);
    RedisConnection r = replicas[i]->Connect();
    INFO("replica log:\n" << LogTail(*replicas[i]));
    CHECK(Call(r.get(), {"GET", "k"}) == "v");
    CHECK(PexpireTime(r.get(), "k") == expire_k);
    const auto digests = Digests({primary.get(), replicas[i].get()});
    CHECK(digests[1] == digests[0]);
  }
}

// ---- 4. a primary that lost its unsealed tail --------------------------------------------

// In logstore.mode = spill nothing is logged: a restart loads what the last SAVE sealed, and
// the old history is valid only up to there (docs/replication.md: "A replica that had
// received more than that gets a full sync instead of frames that would contradict what it
// already has"). The DEL frames of the keys that expired while the primary was down are new
// history: they must not count as the old one.
TEST_CASE("a replica ahead of what a restarted primary recovered gets a full sync",
          "[integration][persistence][replication]") {
  TempDir dir;
  const fs::path pdata = dir.path() / "p";
  const std::vector<std::string> spill = {"--logstore.mode", "spill"};
  auto primary = StartServerOn(pdata, spill);
  TcpProxy proxy(primary->port());
  auto replica = StartReplicaOn(dir.path() / "r", proxy.port());
  WaitLinkUp(*replica);
  RedisConnection p = primary->Connect();
  const int64_t armed_at = UnixMs();
  int64_t saved_at = 0;
  const int64_t ttl = ArmShortTtls([&](int64_t t) {
    const std::string px = std::to_string(t);
    REQUIRE(Call(p.get(), {"SET", "gone:1", "x", "PX", px}) == "OK");
    REQUIRE(Call(p.get(), {"SET", "gone:2", "x", "PX", px}) == "OK");
    REQUIRE(Call(p.get(), {"SET", "kept", "v"}) == "OK");
    Save(p.get());
    saved_at = ReplInt(p.get(), "master_repl_offset");
    return Call(p.get(), {"EXISTS", "gone:1", "gone:2"}) == "(integer) 2";
  });
  const int64_t short_expiry = UnixMs() + ttl;
  // Two writes after the SAVE: the replica has them, the primary's disk does not.
  REQUIRE(Call(p.get(), {"SET", "late:1", "a"}) == "OK");
  REQUIRE(Call(p.get(), {"SET", "late:2", "b"}) == "OK");
  const std::string old_replid = Replid(p.get());
  WaitCaughtUp(*primary, *replica);
  p.reset();
  proxy.SetRefusing(true);
  ShutdownClean(*primary);
  const bool in_time = StoppedInTime(armed_at, ttl);
  SleepPast(short_expiry);

  primary = StartServerOn(pdata, spill);
  p = primary->Connect();
  INFO("primary log:\n" << LogTail(*primary));
  CHECK(Call(p.get(), {"EXISTS", "late:1", "late:2", "gone:1", "gone:2"}) == "(integer) 0");
  // Two DEL frames follow what it recovered; the old history ends before them.
  if (in_time) CHECK(ReplInt(p.get(), "master_repl_offset") == saved_at + 2);
  CHECK(Replid(p.get()) != old_replid);
  CHECK(ReplField(p.get(), "master_replid2") == old_replid);
  CHECK(ReplInt(p.get(), "second_repl_offset") == saved_at);

  RedisConnection r = replica->Connect();
  REQUIRE(Call(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary->port())}) == "OK");
  WaitCaughtUp(*primary, *replica);
  const SyncCounters sync = Counters(p.get());
  INFO(Show(sync) << "\nreplica log:\n" << LogTail(*replica));
  CHECK(sync.full == 1);
  CHECK(sync.partial_ok == 0);
  CHECK(Call(r.get(), {"EXISTS", "late:1", "late:2"}) == "(integer) 0");
  CHECK(Call(r.get(), {"DBSIZE"}) == Call(p.get(), {"DBSIZE"}));
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
}

}  // namespace
}  // namespace tidekv::integration
