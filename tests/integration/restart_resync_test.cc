// Restarts and failovers resume replicas partially (docs/replication.md "Backlog and
// retention rules", "Promotion and re-pointing"): a primary commits its replicas' slots with
// its manifests and at a clean stop, restores them at the next start and keeps the log they
// need, however many seals happen before they reconnect; a promoted replica keeps its log
// for the old primary and the other replicas of the old history.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

// Pipelined SETs of "<prefix><i>" = "<value>-<i>", i < count.
void Write(redisContext* c, const std::string& prefix, size_t count, const std::string& value) {
  SetAll(c, count, [&](size_t i) {
    return std::pair{prefix + std::to_string(i), value + "-" + std::to_string(i)};
  });
}

// Rounds of writes, each sealed (SAVE): a seal truncates the log below its upper offset
// except what the node keeps for replicas.
void WriteAndSeal(redisContext* c, const std::string& prefix, int rounds) {
  for (int round = 0; round < rounds; round++) {
    Write(c, prefix + std::to_string(round) + ":", 2000, "sealed");
    REQUIRE(Call(c, {"INCR", prefix + "rounds"}) == "(integer) " + std::to_string(round + 1));
    REQUIRE(Call(c, {"SAVE"}) == "OK");
  }
}

// What a replica logs each time its link fails and it will try again.
constexpr std::string_view kRetrying = "; retrying in ";

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

// Every frame the server logged is durable (what a kill -9 then keeps).
void WaitDurable(const ServerProcess& server) {
  RedisConnection c = server.Connect();
  WaitLogged(c.get());
}

TEST_CASE("a restarted primary resumes its replicas partially from the log it kept for them",
          "[integration][replication][persistence]") {
  const bool kill = GENERATE(false, true);
  INFO((kill ? "kill -9" : "SHUTDOWN"));
  TempDir dir;
  const fs::path pdata = dir.path() / "p";
  auto primary = StartServerOn(pdata);
  // The replicas reach the primary through a proxy that refuses them from the stop on: the
  // restarted primary (on a port of its own, which may be the old one) sees them only once
  // the test re-points them.
  TcpProxy proxy(primary->port());
  auto r1 = StartReplicaOn(dir.path() / "r1", proxy.port());
  auto r2 = StartReplicaOn(dir.path() / "r2", proxy.port());
  WaitLinkUp(*r1);
  WaitLinkUp(*r2);

  RedisConnection p = primary->Connect();
  Write(p.get(), "a:", 3000, "before");
  REQUIRE(Call(p.get(), {"INCRBY", "n", "5"}) == "(integer) 5");
  // The slots are on disk from the cron tick after the replicas attached (the next case is
  // a clean stop before that tick).
  WaitCronTick(p.get());
  REQUIRE(Call(p.get(), {"WAIT", "2", "60000"}) == "(integer) 2");
  WaitCaughtUp(*primary, *r1);
  WaitCaughtUp(*primary, *r2);
  const std::string old_replid = ReplField(p.get(), "master_replid");
  const int64_t old_offset = ReplInt(p.get(), "master_repl_offset");
  p.reset();

  proxy.SetRefusing(true);
  if (kill) {
    WaitDurable(*primary);
    // The tick's commit of the slots is on the writer thread's queue: let it sync.
    RedisConnection q = primary->Connect();
    REQUIRE(WaitFor([&] {
      return InfoField(InfoText(q.get(), "persistence"), "replica_slot_commits_pending") == "0";
    }));
    KillHard(*primary);
  } else {
    ShutdownClean(*primary);
  }
  // The replicas notice and keep trying to reconnect (the proxy refuses them): each logs
  // the loss of its link and then at least one more failed attempt.
  for (const ServerProcess* replica : {r1.get(), r2.get()}) {
    const size_t before = Count(replica->Log(), kRetrying);
    REQUIRE(WaitFor([&] { return Count(replica->Log(), kRetrying) >= before + 2; }));
    RedisConnection r = replica->Connect();
    CHECK(ReplField(r.get(), "master_link_status") == "down");
  }

  primary = StartServerOn(pdata);
  p = primary->Connect();
  INFO("primary log:\n" << LogTail(*primary));
  // Both slots came back (disconnected), and with them the log from where the replicas are.
  CHECK(ReplInt(p.get(), "replica_slots") == 2);
  CHECK(ReplInt(p.get(), "connected_slaves") == 0);
  CHECK(ReplInt(p.get(), "master_repl_offset") == old_offset);
  if (kill) {
    // The tail after the last durable frame could have been lost: a new history, with the
    // old one valid up to what was recovered.
    CHECK(ReplField(p.get(), "master_replid") != old_replid);
    CHECK(ReplField(p.get(), "master_replid2") == old_replid);
    CHECK(ReplInt(p.get(), "second_repl_offset") == old_offset);
  } else {
    CHECK(ReplField(p.get(), "master_replid") == old_replid);
  }
  // Writes and seals while the replicas are away: each seal would truncate the log below
  // what they need, had their slots not come back.
  WriteAndSeal(p.get(), "b:", 3);
  CHECK(ReplInt(p.get(), "logstore_first_offset") <= old_offset);

  // Re-pointed at the restarted primary's port (their slot ids are their own address and
  // listening port, so they match whatever address they reach the primary by).
  for (const ServerProcess* replica : {r1.get(), r2.get()}) {
    RedisConnection r = replica->Connect();
    REQUIRE(Call(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary->port())}) == "OK");
  }
  WaitCaughtUp(*primary, *r1);
  WaitCaughtUp(*primary, *r2);
  const SyncCounters sync = Counters(p.get());
  INFO(Show(sync) << "\nr1 log:\n" << LogTail(*r1) << "\nr2 log:\n" << LogTail(*r2));
  CHECK(sync.full == 0);
  CHECK(sync.partial_ok == 2);
  CHECK(sync.from_disk == 2);
  CHECK(sync.err == 0);
  // They reclaimed their restored slots (same id: address and listening port).
  CHECK(ReplInt(p.get(), "replica_slots") == 2);
  CHECK(ReplInt(p.get(), "connected_slaves") == 2);

  const auto digests = Digests({primary.get(), r1.get(), r2.get()});
  CHECK(digests[1] == digests[0]);
  CHECK(digests[2] == digests[0]);
  RedisConnection c1 = r1->Connect();
  CHECK(ReplField(c1.get(), "master_replid") == ReplField(p.get(), "master_replid"));
  CHECK(Call(c1.get(), {"GET", "b:2:1999"}) == "sealed-1999");
  CHECK(Call(c1.get(), {"GET", "a:0"}) == "before-0");
  CHECK(Call(c1.get(), {"GET", "b:rounds"}) == "3");
}

TEST_CASE("a clean stop right after a replica attached keeps its slot",
          "[integration][replication][persistence]") {
  TempDir dir;
  const fs::path pdata = dir.path() / "p";
  // One cron tick a second: the stop below comes between two of them, so only the clean
  // stop itself can commit the new replica's slot (without that, a replica attached since
  // the last tick would lose its slot; on a fast machine the stop usually beats the tick).
  const std::vector<std::string> args = {"--server.hz", "1"};
  auto primary = StartServerOn(pdata, args);
  TcpProxy proxy(primary->port());
  RedisConnection p = primary->Connect();
  Write(p.get(), "a:", 1000, "before");
  WaitCronTick(p.get());
  auto replica = StartReplicaOn(dir.path() / "r", proxy.port());
  WaitCaughtUp(*primary, *replica);
  const int64_t old_offset = ReplInt(p.get(), "master_repl_offset");
  p.reset();
  proxy.SetRefusing(true);
  ShutdownClean(*primary);

  primary = StartServerOn(pdata, args);
  p = primary->Connect();
  INFO("primary log:\n" << LogTail(*primary));
  CHECK(ReplInt(p.get(), "replica_slots") == 1);
  WriteAndSeal(p.get(), "b:", 2);
  CHECK(ReplInt(p.get(), "logstore_first_offset") <= old_offset);
  RedisConnection r = replica->Connect();
  REQUIRE(Call(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(primary->port())}) == "OK");
  WaitCaughtUp(*primary, *replica);
  const SyncCounters sync = Counters(p.get());
  INFO(Show(sync) << "\nreplica log:\n" << LogTail(*replica));
  CHECK(sync.full == 0);
  CHECK(sync.partial_ok == 1);
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
}

TEST_CASE("a promoted replica serves the old primary and its sibling partially after seals",
          "[integration][replication][persistence]") {
  TempDir dir;
  const fs::path pdata = dir.path() / "p";
  auto primary = StartServerOn(pdata);
  auto a = StartReplicaOn(dir.path() / "a", primary->port());
  auto b = StartReplicaOn(dir.path() / "b", primary->port());
  WaitLinkUp(*a);
  WaitLinkUp(*b);

  RedisConnection p = primary->Connect();
  Write(p.get(), "a:", 3000, "before");
  // All three at the same offset: the old primary is not ahead of the promotion.
  REQUIRE(Call(p.get(), {"WAIT", "2", "60000"}) == "(integer) 2");
  const std::string old_replid = ReplField(p.get(), "master_replid");
  const int64_t old_offset = ReplInt(p.get(), "master_repl_offset");
  p.reset();
  WaitDurable(*primary);
  KillHard(*primary);

  RedisConnection ca = a->Connect();
  RedisConnection cb = b->Connect();
  REQUIRE(ReplInt(ca.get(), "master_repl_offset") == old_offset);
  REQUIRE(ReplInt(cb.get(), "master_repl_offset") == old_offset);
  REQUIRE(Call(ca.get(), {"REPLICAOF", "NO", "ONE"}) == "OK");
  CHECK(ReplField(ca.get(), "master_replid2") == old_replid);
  CHECK(ReplInt(ca.get(), "second_repl_offset") == old_offset);
  // Writes and seals on the new primary before anyone follows it.
  WriteAndSeal(ca.get(), "b:", 3);
  CHECK(ReplInt(ca.get(), "logstore_first_offset") <= old_offset);

  REQUIRE(Call(cb.get(), {"REPLICAOF", "127.0.0.1", std::to_string(a->port())}) == "OK");
  WaitCaughtUp(*a, *b);
  // The old primary comes back on its own data as a replica of the new one.
  primary = StartReplicaOn(pdata, a->port());
  WaitCaughtUp(*a, *primary);

  const SyncCounters sync = Counters(ca.get());
  INFO(Show(sync) << "\nnew primary log:\n"
                  << LogTail(*a) << "\nold primary log:\n"
                  << LogTail(*primary) << "\nb log:\n"
                  << LogTail(*b));
  CHECK(sync.full == 0);
  CHECK(sync.partial_ok == 2);
  CHECK(sync.from_disk == 2);
  const auto digests = Digests({a.get(), b.get(), primary.get()});
  CHECK(digests[1] == digests[0]);
  CHECK(digests[2] == digests[0]);
  RedisConnection cp = primary->Connect();
  CHECK(Call(cp.get(), {"GET", "b:2:1999"}) == "sealed-1999");
  CHECK(Call(cp.get(), {"GET", "b:rounds"}) == "3");
  CHECK(ReplField(cp.get(), "master_replid") == ReplField(ca.get(), "master_replid"));
}

}  // namespace
}  // namespace tidekv::integration
