// Replication (DESIGN.md §4, §6): replicas converge with their primary under a mixed write
// load; a restarted replica resumes from the primary's memory backlog or from its log
// store without a full sync; a full sync ships while writes go on and survives a cut link
// or a replica killed in the middle; promotion keeps every acknowledged write and lets the
// other replica continue partially; WAIT, min_replicas_to_write, read-only replicas, a
// wrong primary_auth, and PSYNC requests for offsets in the future or already truncated.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// Sends every command pipelined and fails the test on the first error reply.
void RunAll(redisContext* c, const std::vector<std::vector<std::string>>& commands) {
  size_t errors = 0;
  std::string first_error;
  Pipeline(
      c, commands.size(), [&](size_t i) { return commands[i]; },
      [&](size_t i, const redisReply& r) {
        if (r.type == REDIS_REPLY_ERROR && errors++ == 0) {
          first_error =
              "command " + std::to_string(i) + " (" + commands[i][0] + ") answered " + Describe(&r);
        }
      });
  INFO(first_error);
  REQUIRE(errors == 0);
}

// The mixed load of the convergence test: plain and expiring SETs, counters, deletes,
// appends, relative expiries, MSET, writes in databases 1-3, a FLUSHDB of database 2 half
// way, and keys that expire (PX 100) long before the comparison.
std::vector<std::vector<std::string>> MixedLoad(size_t n) {
  std::vector<std::vector<std::string>> cmds;
  auto num = [](size_t i) { return std::to_string(i); };
  for (size_t i = 0; i < n; i++) {
    const std::string k = "k:" + num(i);
    std::vector<std::string> set = {"SET", k, "value-" + num(i * 7919)};
    if (i % 7 == 0) set.insert(set.end(), {"EX", "3600"});
    if (i % 11 == 0 && i % 7 != 0) set.insert(set.end(), {"PX", num(7'200'000 + i)});
    cmds.push_back(set);
    if (i % 3 == 0) cmds.push_back({"INCR", "ctr:" + num(i % 97)});
    if (i % 13 == 0 && i >= 5) cmds.push_back({"DEL", "k:" + num(i - 5), "nosuchkey"});
    if (i % 5 == 0) cmds.push_back({"APPEND", "app:" + num(i % 41), "x" + num(i)});
    if (i % 17 == 0 && i > 0) cmds.push_back({"EXPIRE", "k:" + num(i - 1), num(5000 + i)});
    if (i % 19 == 0) {
      cmds.push_back({"MSET", "m:" + num(i), "a" + num(i), "m:" + num(i + 1), "b" + num(i)});
    }
    if (i % 23 == 0) cmds.push_back({"INCRBY", "ctr:" + num(i % 97), num(i)});
    if (i % 29 == 0) cmds.push_back({"SET", "short:" + num(i), "gone soon", "PX", "100"});
    if (i % 31 == 0) cmds.push_back({"PEXPIRE", "app:" + num(i % 41), "9000000"});
    if (i % 50 == 0) {
      cmds.push_back({"SELECT", "1"});
      cmds.push_back({"SET", "d1:" + num(i), "one", "EX", "3600"});
      cmds.push_back({"INCRBY", "d1:ctr", "5"});
      cmds.push_back({"SELECT", "2"});
      cmds.push_back({"SET", "d2:" + num(i), "two"});
      cmds.push_back({"SELECT", "3"});
      cmds.push_back({"SET", "d3:" + num(i), "three", "PX", "9000000"});
      cmds.push_back({"DEL", "d3:" + num(i - std::min<size_t>(i, 100))});
      cmds.push_back({"SELECT", "0"});
    }
    if (i == n / 2) {
      cmds.push_back({"SELECT", "2"});
      cmds.push_back({"FLUSHDB"});
      cmds.push_back({"SELECT", "0"});
    }
  }
  return cmds;
}

// GET and PEXPIRETIME of each key in database 0 (an absolute time, so two servers read at
// different moments still agree exactly).
struct KeyState {
  std::optional<std::string> value;
  int64_t expire_at = 0;
};
std::vector<KeyState> KeyStates(redisContext* c, const std::vector<std::string>& keys) {
  std::vector<KeyState> states(keys.size());
  Pipeline(
      c, keys.size() * 2,
      [&](size_t i) {
        return std::vector<std::string>{i % 2 == 0 ? "GET" : "PEXPIRETIME", keys[i / 2]};
      },
      [&](size_t i, const redisReply& r) {
        KeyState& s = states[i / 2];
        if (i % 2 == 0) {
          if (r.type == REDIS_REPLY_STRING) s.value = std::string(r.str, r.len);
        } else {
          s.expire_at = r.type == REDIS_REPLY_INTEGER ? r.integer : -100;
        }
      });
  return states;
}

// The replica's sampled keys have the primary's values and expiry times.
void CheckSameKeys(redisContext* primary, redisContext* replica,
                   const std::vector<std::string>& keys) {
  const std::vector<KeyState> want = KeyStates(primary, keys);
  const std::vector<KeyState> got = KeyStates(replica, keys);
  size_t wrong = 0;
  std::string first;
  for (size_t i = 0; i < keys.size(); i++) {
    const KeyState& a = want[i];
    const KeyState& b = got[i];
    const bool same = a.value == b.value && a.expire_at == b.expire_at;
    if (!same && wrong++ == 0) {
      first = keys[i] + ": primary " + a.value.value_or("(nil)") + " pexpiretime " +
              std::to_string(a.expire_at) + ", replica " + b.value.value_or("(nil)") +
              " pexpiretime " + std::to_string(b.expire_at);
    }
  }
  INFO(wrong << " of " << keys.size() << " sampled keys differ; first: " << first);
  CHECK(wrong == 0);
}

// Keys "<prefix><i>" for i in [0, n).
std::vector<std::string> Keys(const std::string& prefix, size_t n, size_t step = 1) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; i += step) keys.push_back(prefix + std::to_string(i));
  return keys;
}

// ---- 1. convergence --------------------------------------------------------------------------

TEST_CASE("two replicas converge with their primary under a mixed write load",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  auto r1 = StartReplicaOn(dir.path() / "r1", primary->port());
  auto r2 = StartReplicaOn(dir.path() / "r2", primary->port());
  WaitLinkUp(*r1);
  WaitLinkUp(*r2);

  RedisConnection p = primary->Connect();
  constexpr size_t kN = 8000;
  RunAll(p.get(), MixedLoad(kN));
  const auto load_done = Clock::now();
  WaitCaughtUp(*primary, *r1);
  WaitCaughtUp(*primary, *r2);

  RedisConnection c1 = r1->Connect();
  RedisConnection c2 = r2->Connect();

  // ROLE on both sides.
  Reply role = Command(p.get(), {"ROLE"});
  REQUIRE(role != nullptr);
  REQUIRE(role->type == REDIS_REPLY_ARRAY);
  REQUIRE(role->elements == 3);
  CHECK(Describe(role->element[0]) == "master");
  REQUIRE(role->element[2]->type == REDIS_REPLY_ARRAY);
  CHECK(role->element[2]->elements == 2);
  std::vector<std::string> ports;
  for (size_t i = 0; i < role->element[2]->elements; i++) {
    ports.push_back(Describe(role->element[2]->element[i]->element[1]));
  }
  std::sort(ports.begin(), ports.end());
  std::vector<std::string> want_ports = {std::to_string(r1->port()), std::to_string(r2->port())};
  std::sort(want_ports.begin(), want_ports.end());
  CHECK(ports == want_ports);
  CHECK(ReplInt(p.get(), "connected_slaves") == 2);
  // INFO lists both replicas; their acks reach the primary shortly after they applied.
  std::string slave0, slave1;
  const bool acked = WaitFor([&] {
    const std::string info = ReplInfo(p.get());
    const std::string at = ",state=online,offset=" + InfoField(info, "master_repl_offset") + ",";
    slave0 = InfoField(info, "slave0");
    slave1 = InfoField(info, "slave1");
    return slave0.find(at) != std::string::npos && slave1.find(at) != std::string::npos;
  });
  INFO("slave0:" << slave0 << "\nslave1:" << slave1);
  CHECK(acked);
  for (const std::string& line : {slave0, slave1}) {
    CHECK(line.rfind("ip=127.0.0.1,port=", 0) == 0);
    CHECK(line.find(",lag_frames=0") != std::string::npos);
  }
  Reply rrole = Command(c1.get(), {"ROLE"});
  REQUIRE(rrole != nullptr);
  REQUIRE(rrole->type == REDIS_REPLY_ARRAY);
  REQUIRE(rrole->elements == 5);
  CHECK(Describe(rrole->element[0]) == "slave");
  CHECK(Describe(rrole->element[1]) == "127.0.0.1");
  CHECK(rrole->element[2]->integer == primary->port());
  CHECK(Describe(rrole->element[3]) == "connected");
  CHECK(ReplField(c1.get(), "role") == "slave");
  CHECK(ReplField(p.get(), "role") == "master");
  // Replicas share the primary's history id.
  CHECK(ReplField(c1.get(), "master_replid") == ReplField(p.get(), "master_replid"));
  CHECK(ReplField(c2.get(), "master_replid") == ReplField(p.get(), "master_replid"));

  // The PX 100 keys are gone everywhere before anything is compared.
  std::this_thread::sleep_until(load_done + 500ms);

  const std::vector<std::string> digests = Digests({primary.get(), r1.get(), r2.get()});
  CHECK(digests[0] != std::string(40, '0'));
  CHECK(digests[1] == digests[0]);
  CHECK(digests[2] == digests[0]);

  // DBSIZE counts keys not yet reclaimed after expiring: the replicas delete the expired
  // keys when the primary's deletions arrive, so this is polled until all agree.
  std::vector<int64_t> sizes_p, sizes_1, sizes_2;
  const bool same_sizes = WaitFor(
      [&] {
        sizes_p = DbSizes(p.get(), 4);
        sizes_1 = DbSizes(c1.get(), 4);
        sizes_2 = DbSizes(c2.get(), 4);
        return sizes_1 == sizes_p && sizes_2 == sizes_p;
      },
      kWaitTimeout);
  INFO("DBSIZE db0..3 primary " << sizes_p[0] << "," << sizes_p[1] << "," << sizes_p[2] << ","
                                << sizes_p[3] << "; r1 " << sizes_1[0] << "," << sizes_1[1] << ","
                                << sizes_1[2] << "," << sizes_1[3] << "; r2 " << sizes_2[0] << ","
                                << sizes_2[1] << "," << sizes_2[2] << "," << sizes_2[3]);
  CHECK(same_sizes);
  CHECK(sizes_p[0] > 0);
  CHECK(sizes_p[1] > 0);
  CHECK(sizes_p[3] > 0);

  std::vector<std::string> sample = Keys("k:", kN, 7);
  for (const auto& extra : {Keys("ctr:", 97), Keys("app:", 41), Keys("m:", kN, 19)}) {
    sample.insert(sample.end(), extra.begin(), extra.end());
  }
  CheckSameKeys(p.get(), c1.get(), sample);
  CheckSameKeys(p.get(), c2.get(), sample);
  // Expired keys read as missing on the replicas too.
  CHECK(Call(c1.get(), {"GET", "short:0"}) == "(nil)");
  CHECK(Call(c2.get(), {"EXISTS", "short:29"}) == "(integer) 0");
}

// ---- 2. partial resync from memory -----------------------------------------------------------

TEST_CASE("a replica restarted after kill -9 resumes from the memory backlog",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  const fs::path rdata = dir.path() / "r";
  auto replica = StartReplicaOn(rdata, primary->port());
  RedisConnection p = primary->Connect();
  SetAll(p.get(), 3000, [](size_t i) { return std::pair{"a:" + std::to_string(i), "v1"}; });
  WaitCaughtUp(*primary, *replica);
  const SyncCounters before = Counters(p.get());
  const std::string replid = ReplField(p.get(), "master_replid");

  KillHard(*replica);
  // Fewer frames than the (default, 64 MiB) backlog holds.
  SetAll(p.get(), 1500, [](size_t i) {
    return std::pair{"a:" + std::to_string(i * 2), "v2-" + std::to_string(i)};
  });
  REQUIRE(Call(p.get(), {"DEL", "a:1", "a:3", "a:5"}) == "(integer) 3");
  REQUIRE(Call(p.get(), {"INCRBY", "counter", "42"}) == "(integer) 42");
  RunAll(p.get(), MixedLoad(1000));  // other databases, expiries, FLUSHDB
  const auto load_done = Clock::now();

  replica = StartReplicaOn(rdata, primary->port());
  WaitCaughtUp(*primary, *replica);
  const SyncCounters after = Counters(p.get());
  INFO("before: " << Show(before) << "\nafter: " << Show(after) << "\nreplica log:\n"
                  << LogTail(*replica));
  CHECK(after.partial_ok == before.partial_ok + 1);
  CHECK(after.full == before.full);
  CHECK(after.from_disk == before.from_disk);
  CHECK(replica->Log().find("partial resync") != std::string::npos);

  RedisConnection r = replica->Connect();
  CHECK(ReplField(r.get(), "master_replid") == replid);
  std::this_thread::sleep_until(load_done + 300ms);  // the PX 100 keys are gone
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
  CHECK(Call(r.get(), {"GET", "a:2"}) == "v2-1");
  CHECK(Call(r.get(), {"GET", "a:3"}) == "(nil)");
  CHECK(Call(r.get(), {"GET", "counter"}) == "42");
}

// ---- 3. partial resync from disk -------------------------------------------------------------

TEST_CASE("a replica far behind the memory backlog resumes from the log store",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p", {"--replication.backlog_bytes", "16384"});
  const fs::path rdata = dir.path() / "r";
  auto replica = StartReplicaOn(rdata, primary->port());
  RedisConnection p = primary->Connect();
  SetAll(p.get(), 2000, [](size_t i) { return std::pair{"b:" + std::to_string(i), "first"}; });
  WaitCaughtUp(*primary, *replica);
  {
    // What the replica resumes from must be on its disk: this test is about the primary.
    RedisConnection r = replica->Connect();
    WaitLogged(r.get());
  }
  const SyncCounters before = Counters(p.get());
  const int64_t resume_at = ReplInt(p.get(), "master_repl_offset");
  KillHard(*replica);

  // 20k frames of ~60 bytes: far more than the 16 KiB backlog.
  SetAll(p.get(), 20000, [](size_t i) {
    return std::pair{"c:" + std::to_string(i), "second-value-" + std::to_string(i * 31)};
  });
  RunAll(p.get(), {{"DEL", "b:0", "b:1"}, {"SET", "b:2", "changed"}, {"INCR", "n"}});
  RunAll(p.get(), MixedLoad(2000));  // other databases, expiries, FLUSHDB
  const auto load_done = Clock::now();
  const int64_t backlog_first = ReplInt(p.get(), "backlog_first_offset");
  INFO("replica resumes at " << resume_at << ", backlog starts at " << backlog_first);
  CHECK(backlog_first > resume_at);

  replica = StartReplicaOn(rdata, primary->port());
  WaitCaughtUp(*primary, *replica);
  const SyncCounters after = Counters(p.get());
  INFO("before: " << Show(before) << "\nafter: " << Show(after) << "\nprimary log:\n"
                  << LogTail(*primary));
  CHECK(after.from_disk == before.from_disk + 1);
  CHECK(after.partial_ok == before.partial_ok + 1);
  CHECK(after.full == before.full);
  CHECK(after.frames_from_disk > before.frames_from_disk);

  RedisConnection r = replica->Connect();
  std::this_thread::sleep_until(load_done + 300ms);  // the PX 100 keys are gone
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
  CHECK(Call(r.get(), {"GET", "c:19999"}) == "second-value-" + std::to_string(19999 * 31));
  CHECK(Call(r.get(), {"GET", "b:2"}) == "changed");
  CHECK(Call(r.get(), {"EXISTS", "b:0", "b:1"}) == "(integer) 0");
}

// ---- 4. full sync under writes ---------------------------------------------------------------

// Writes on its own connection until stopped; keeps the first failure for the test thread.
class BackgroundWriter {
 public:
  BackgroundWriter(uint16_t port, std::string prefix)
      : thread_([this, port, prefix = std::move(prefix)] {
          try {
            RedisConnection c = ConnectRedis(port);
            size_t n = 0;
            while (!stop_.load()) {
              std::vector<std::vector<std::string>> round;
              for (int i = 0; i < 50; i++, n++) {
                round.push_back({"SET", prefix + std::to_string(n), std::to_string(n)});
                if (n % 10 == 0) round.push_back({"INCR", prefix + "counter"});
                if (n % 15 == 0) round.push_back({"DEL", "load:" + std::to_string(n % 50000)});
                if (n % 20 == 0) round.push_back({"APPEND", prefix + "log", "."});
              }
              for (const auto& cmd : round) AppendCommand(c.get(), cmd);
              for (size_t i = 0; i < round.size(); i++) {
                Reply r = GetReply(c.get());
                if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
                  throw std::runtime_error(round[i][0] + " answered " + Describe(r));
                }
              }
              writes_.fetch_add(round.size());
            }
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}
  ~BackgroundWriter() { Stop(); }
  // Stops and joins; returns the first failure ("" when none).
  std::string Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return error_;
  }
  uint64_t writes() const { return writes_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> writes_{0};
  std::string error_;
  std::thread thread_;
};

TEST_CASE("a full sync ships while writes continue", "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  SetAll(p.get(), 50000, [](size_t i) {
    return std::pair{"load:" + std::to_string(i), BinaryValue(i, 40)};
  });

  BackgroundWriter writer(primary->port(), "w:");
  REQUIRE(WaitFor([&] { return writer.writes() > 1000; }));
  const uint64_t writes_before = writer.writes();
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitLinkUp(*replica);
  const uint64_t writes_at_link_up = writer.writes();
  // More writes after the link is up, streamed as frames.
  REQUIRE(WaitFor([&] { return writer.writes() > writes_at_link_up + 2000; }));
  const std::string error = writer.Stop();
  REQUIRE(error.empty());
  INFO("writes before the replica started: "
       << writes_before << ", at link up: " << writes_at_link_up << ", total: " << writer.writes());
  CHECK(writes_at_link_up > writes_before);

  WaitCaughtUp(*primary, *replica);
  const SyncCounters counters = Counters(p.get());
  CHECK(counters.full == 1);
  // The snapshot was taken while the writer ran: frames after it were streamed.
  std::smatch m;
  const std::string log = replica->Log();
  REQUIRE(std::regex_search(
      log, m, std::regex("full sync from [^ ]+: history [0-9a-f]+ at offset ([0-9]+)")));
  CHECK(std::stoll(m[1].str()) < ReplInt(p.get(), "master_repl_offset"));

  RedisConnection r = replica->Connect();
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
  CHECK(DbSizes(r.get(), 1) == DbSizes(p.get(), 1));
  CHECK(Call(r.get(), {"GET", "w:counter"}) == Call(p.get(), {"GET", "w:counter"}));
}

// ---- 5. cut links and a replica killed in the middle of a full sync --------------------------

TEST_CASE("a full sync survives a cut link and a replica killed in the middle",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  // About 11 MB of incompressible batch data.
  SetAll(p.get(), 100000, [](size_t i) {
    return std::pair{"big:" + std::to_string(i), BinaryValue(i, 100)};
  });
  REQUIRE(Call(p.get(), {"SAVE"}) == "OK");

  SECTION("the link is cut during the ship and again while streaming") {
    TcpProxy proxy(primary->port());
    proxy.SetDownstreamLimit(1 << 20);  // the handshake and part of the first batch
    auto replica = StartReplicaOn(dir.path() / "r", proxy.port());
    RedisConnection r = replica->Connect();
    REQUIRE(WaitFor(
        [&] { return proxy.stalled() && ReplField(r.get(), "master_sync_in_progress") == "1"; },
        kSyncTimeout));
    CHECK(ReplField(r.get(), "master_link_status") == "down");
    CHECK(ReplInt(r.get(), "master_sync_read_bytes") > 0);
    CHECK(ReplInt(r.get(), "master_sync_total_bytes") >=
          ReplInt(r.get(), "master_sync_read_bytes"));
    proxy.ClearDownstreamLimit();
    proxy.CutAll();

    // The replica reconnects through the proxy (which keeps accepting) and syncs again.
    WaitCaughtUp(*primary, *replica);
    CHECK(proxy.accepted() >= 2);
    const SyncCounters after_ship = Counters(p.get());
    CHECK(after_ship.full >= 2);

    // Cut a streaming link: the replica resumes where it was.
    SetAll(p.get(), 2000, [](size_t i) { return std::pair{"s:" + std::to_string(i), "1"}; });
    proxy.CutAll();
    SetAll(p.get(), 2000, [](size_t i) { return std::pair{"s:" + std::to_string(i + 1000), "2"}; });
    WaitCaughtUp(*primary, *replica);
    const SyncCounters after_cut = Counters(p.get());
    INFO("after the ship: " << Show(after_ship) << "\nafter the cut: " << Show(after_cut));
    CHECK(after_cut.full == after_ship.full);
    CHECK(after_cut.partial_ok >= after_ship.partial_ok + 1);

    const auto digests = Digests({primary.get(), replica.get()});
    CHECK(digests[1] == digests[0]);
    CHECK(DbSizes(r.get(), 1) == DbSizes(p.get(), 1));
  }

  SECTION("the replica is killed during the ship and restarted on its directory") {
    TcpProxy proxy(primary->port());
    proxy.SetDownstreamLimit(1 << 20);
    const fs::path rdata = dir.path() / "r";
    auto replica = StartReplicaOn(rdata, proxy.port());
    {
      RedisConnection r = replica->Connect();
      REQUIRE(WaitFor(
          [&] { return proxy.stalled() && ReplField(r.get(), "master_sync_in_progress") == "1"; },
          kSyncTimeout));
    }
    KillHard(*replica);
    proxy.ClearDownstreamLimit();
    proxy.CutAll();
    SetAll(p.get(), 1000, [](size_t i) { return std::pair{"t:" + std::to_string(i), "x"}; });

    replica = StartReplicaOn(rdata, proxy.port());
    WaitCaughtUp(*primary, *replica);
    RedisConnection r = replica->Connect();
    const auto digests = Digests({primary.get(), replica.get()});
    CHECK(digests[1] == digests[0]);
    CHECK(DbSizes(r.get(), 1) == DbSizes(p.get(), 1));
    CHECK(Call(r.get(), {"GET", "t:999"}) == "x");
  }
}

// ---- 6. promotion ----------------------------------------------------------------------------

TEST_CASE("promotion keeps acknowledged writes and the other replicas resume partially",
          "[integration][replication]") {
  TempDir dir;
  const fs::path pdata = dir.path() / "p";
  auto primary = StartServerOn(pdata);
  auto r1 = StartReplicaOn(dir.path() / "r1", primary->port());
  auto r2 = StartReplicaOn(dir.path() / "r2", primary->port());
  WaitLinkUp(*r1);
  WaitLinkUp(*r2);

  RedisConnection p = primary->Connect();
  std::vector<std::string> acked;
  for (int round = 0; round < 6; round++) {
    std::vector<std::vector<std::string>> cmds;
    for (int i = 0; i < 500; i++) {
      const std::string key = "acked:" + std::to_string(round * 500 + i);
      cmds.push_back({"SET", key, "r" + std::to_string(round)});
    }
    cmds.push_back({"INCR", "acked:counter"});
    cmds.push_back({"SELECT", "4"});
    cmds.push_back({"SET", "acked:db4:" + std::to_string(round), "four"});
    cmds.push_back({"SELECT", "0"});
    RunAll(p.get(), cmds);
    REQUIRE(Call(p.get(), {"WAIT", "2", "50000"}) == "(integer) 2");
    for (int i = 0; i < 500; i++) acked.push_back("acked:" + std::to_string(round * 500 + i));
  }
  const std::string old_replid = ReplField(p.get(), "master_replid");
  const int64_t old_offset = ReplInt(p.get(), "master_repl_offset");
  p.reset();
  KillHard(*primary);

  RedisConnection c1 = r1->Connect();
  RedisConnection c2 = r2->Connect();
  CHECK(ReplInt(c1.get(), "master_repl_offset") == old_offset);
  CHECK(ReplInt(c2.get(), "master_repl_offset") == old_offset);
  REQUIRE(Call(c1.get(), {"REPLICAOF", "NO", "ONE"}) == "OK");
  Reply role = Command(c1.get(), {"ROLE"});
  REQUIRE(role != nullptr);
  REQUIRE(role->type == REDIS_REPLY_ARRAY);
  CHECK(Describe(role->element[0]) == "master");
  CHECK(ReplField(c1.get(), "role") == "master");
  CHECK(ReplField(c1.get(), "master_replid") != old_replid);
  CHECK(ReplField(c1.get(), "master_replid2") == old_replid);
  CHECK(ReplInt(c1.get(), "second_repl_offset") == old_offset);

  REQUIRE(Call(c2.get(), {"REPLICAOF", "127.0.0.1", std::to_string(r1->port())}) == "OK");
  WaitCaughtUp(*r1, *r2);
  {
    const SyncCounters s = Counters(c1.get());
    INFO("new primary: " << Show(s) << "\nits log:\n"
                         << LogTail(*r1) << "\nr2 log:\n"
                         << LogTail(*r2));
    CHECK(s.partial_ok == 1);
    CHECK(s.full == 0);
  }
  CHECK(ReplField(c2.get(), "master_replid") == ReplField(c1.get(), "master_replid"));

  // The new primary takes writes and replicates them.
  SetAll(c1.get(), 500, [](size_t i) { return std::pair{"after:" + std::to_string(i), "new"}; });
  CHECK(Call(c1.get(), {"WAIT", "1", "50000"}) == "(integer) 1");

  // The old primary comes back as a replica of the new one, on its own data.
  primary = StartReplicaOn(pdata, r1->port());
  WaitCaughtUp(*r1, *primary);
  {
    const SyncCounters s = Counters(c1.get());
    INFO("new primary after the old one rejoined: " << Show(s) << "\nold primary log:\n"
                                                    << LogTail(*primary));
    CHECK(s.full + s.partial_ok == 2);
    // Not required, but expected: its history is a prefix of the new primary's.
    CHECK(s.full == 0);
  }
  REQUIRE(Call(c1.get(), {"SET", "final", "1"}) == "OK");
  CHECK(Call(c1.get(), {"WAIT", "2", "50000"}) == "(integer) 2");
  WaitCaughtUp(*r1, *r2);
  WaitCaughtUp(*r1, *primary);

  const auto digests = Digests({r1.get(), r2.get(), primary.get()});
  CHECK(digests[1] == digests[0]);
  CHECK(digests[2] == digests[0]);
  for (const ServerProcess* s : {r1.get(), r2.get(), primary.get()}) {
    RedisConnection c = s->Connect();
    const auto values = GetAll(c.get(), acked);
    size_t missing = 0;
    for (const auto& v : values) missing += v.has_value() ? 0 : 1;
    INFO("server on port " << s->port() << ": " << missing << " of " << acked.size()
                           << " acknowledged keys missing");
    CHECK(missing == 0);
    CHECK(Call(c.get(), {"GET", "acked:counter"}) == "6");
    CHECK(Call(c.get(), {"SELECT", "4"}) == "OK");
    CHECK(Call(c.get(), {"GET", "acked:db4:5"}) == "four");
  }
}

// ---- 7. WAIT, write gates, authentication, bad PSYNC requests --------------------------------

TEST_CASE("WAIT counts the replicas that acknowledged the client's last write",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"SET", "k", "v"}) == "OK");
  // No replica: WAIT runs to its timeout and returns 0.
  auto start = Clock::now();
  CHECK(Call(p.get(), {"WAIT", "1", "500"}) == "(integer) 0");
  CHECK(ElapsedMs(start) >= 450);
  // Zero replicas wanted: at once.
  CHECK(Call(p.get(), {"WAIT", "0", "0"}) == "(integer) 0");

  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  REQUIRE(Call(p.get(), {"SET", "k", "v2"}) == "OK");
  // The replica's ack ends the WAIT long before its (hang-guard) timeout.
  start = Clock::now();
  CHECK(Call(p.get(), {"WAIT", "1", "50000"}) == "(integer) 1");
  CHECK(ElapsedMs(start) < 40000);
  // Asking for more replicas than there are: the timeout, then the count that did ack (the
  // first WAIT makes sure the one replica has acked the INCR, however slow it is).
  REQUIRE(Call(p.get(), {"INCR", "n"}) == "(integer) 1");
  REQUIRE(Call(p.get(), {"WAIT", "1", "50000"}) == "(integer) 1");
  start = Clock::now();
  CHECK(Call(p.get(), {"WAIT", "2", "300"}) == "(integer) 1");
  CHECK(ElapsedMs(start) >= 250);
  // A replica cannot WAIT.
  RedisConnection r = replica->Connect();
  CHECK(Call(r.get(), {"WAIT", "1", "10"}).rfind("(error) ERR", 0) == 0);
}

TEST_CASE("a WAIT that replicas satisfied early does not hold up shutdown",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  {
    RedisConnection p = primary->Connect();
    // Sent together so that the WAIT blocks (the replica cannot have acked the SET yet)
    // and is then released by the replica's ack long before its 10-minute timeout.
    AppendCommand(p.get(), {"SET", "k", "v"});
    AppendCommand(p.get(), {"WAIT", "1", "600000"});
    REQUIRE(Describe(GetReply(p.get())) == "OK");
    REQUIRE(Describe(GetReply(p.get())) == "(integer) 1");
  }
  // The WAIT is over: nothing is left for SIGTERM to wait for, so the server exits well
  // within the exit guard (a leftover WAIT timer would hold it for 10 minutes).
  primary->Signal(SIGTERM);
  const std::optional<int> code = primary->WaitExit();
  INFO("exit after SIGTERM: " << (code ? std::to_string(*code) : "still running") << "; log:\n"
                              << LogTail(*primary));
  CHECK(code == 0);
}

TEST_CASE("min_replicas_to_write refuses writes without a healthy replica",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p", {"--replication.min_replicas_to_write", "1",
                                                  "--replication.min_replicas_max_lag_ms", "3000"});
  RedisConnection p = primary->Connect();
  CHECK(Call(p.get(), {"SET", "k", "v"}) ==
        "(error) NOREPLICAS Not enough good replicas to write.");
  CHECK(Call(p.get(), {"GET", "k"}) == "(nil)");

  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitLinkUp(*replica);
  std::string last;
  const bool accepted = WaitFor(
      [&] {
        last = Call(p.get(), {"SET", "k", "v"});
        return last == "OK";
      },
      kWaitTimeout);
  INFO("last SET answered " << last);
  CHECK(accepted);
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  CHECK(Call(r.get(), {"GET", "k"}) == "v");

  // Without the replica, writes are refused again.
  r.reset();
  KillHard(*replica);
  const bool refused = WaitFor(
      [&] {
        last = Call(p.get(), {"SET", "k2", "v"});
        return last == "(error) NOREPLICAS Not enough good replicas to write.";
      },
      kWaitTimeout);
  INFO("last SET answered " << last);
  CHECK(refused);
}

TEST_CASE("a replica refuses writes from clients", "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"SET", "k", "v"}) == "OK");
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  const std::string readonly = "(error) READONLY You can't write against a read only replica.";
  CHECK(Call(r.get(), {"SET", "k", "other"}) == readonly);
  CHECK(Call(r.get(), {"DEL", "k"}) == readonly);
  CHECK(Call(r.get(), {"INCR", "n"}) == readonly);
  CHECK(Call(r.get(), {"FLUSHALL"}) == readonly);
  CHECK(Call(r.get(), {"GET", "k"}) == "v");
  CHECK(Call(r.get(), {"EXISTS", "n"}) == "(integer) 0");
  // HELLO tells clients which side they talk to, as Redis does.
  const auto role_in_hello = [](uint16_t port) {
    RawSocket raw(port);
    const std::string hello = raw.Roundtrip("HELLO 2\r\n");
    const size_t from = hello.find("$4\r\nrole\r\n");
    const size_t to = hello.find("\r\n$7\r\nmodules");
    if (from == std::string::npos || to == std::string::npos) return hello;
    return hello.substr(from + 10, to - from - 10);
  };
  CHECK(role_in_hello(replica->port()) == "$7\r\nreplica");
  CHECK(role_in_hello(primary->port()) == "$6\r\nmaster");
  // Nothing the replica refused reached its data.
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
}

TEST_CASE("a replica with a wrong primary_auth never links up and says why",
          "[integration][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p", {"--security.password", "secret"});
  auto wrong = StartReplicaOn(dir.path() / "wrong", primary->port(),
                              {"--replication.primary_auth", "not-the-password"});
  auto none = StartReplicaOn(dir.path() / "none", primary->port());
  CHECK(WaitFor([&] { return wrong->Log().find("AUTH refused") != std::string::npos; }));
  CHECK(WaitFor([&] { return none->Log().find("requires a password") != std::string::npos; }));
  INFO("wrong password log:\n" << LogTail(*wrong) << "\nno password log:\n" << LogTail(*none));
  {
    RedisConnection c = wrong->Connect();
    CHECK(ReplField(c.get(), "master_link_status") == "down");
    RedisConnection n = none->Connect();
    CHECK(ReplField(n.get(), "master_link_status") == "down");
  }
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"AUTH", "secret"}) == "OK");
  CHECK(ReplInt(p.get(), "connected_slaves") == 0);

  // With the right password (set at runtime) the next attempt links up.
  {
    RedisConnection c = wrong->Connect();
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "masterauth", "secret"}) == "OK");
  }
  WaitLinkUp(*wrong);
  CHECK(ReplInt(p.get(), "connected_slaves") == 1);
}

TEST_CASE("PSYNC for an offset in the future of the history is refused",
          "[integration][replication]") {
  ServerProcess primary;
  RedisConnection p = primary.Connect();
  SetAll(p.get(), 100, [](size_t i) { return std::pair{"f:" + std::to_string(i), "v"}; });
  const std::string replid = ReplField(p.get(), "master_replid");
  const int64_t next = ReplInt(p.get(), "master_repl_offset");
  const int64_t errors_before = ReplInt(p.get(), "sync_partial_err");
  REQUIRE(replid.size() == 40);

  RawSocket raw(primary.port());
  REQUIRE(raw.Send("REPLCONF listening-port 7\r\n"));
  CHECK(raw.ReadReplies(1) == std::vector<std::string>{"+OK\r\n"});
  REQUIRE(raw.Send("PSYNC " + replid + " " + std::to_string(next + 1'000'000) + "\r\n"));
  const bool error =
      raw.ReadUntil([](const std::string& in) { return in.find("\r\n") != std::string::npos; });
  INFO("received: " << raw.received());
  CHECK(error);
  CHECK(raw.received().rfind("-", 0) == 0);
  CHECK(raw.received().find("+CONTINUE") == std::string::npos);
  CHECK(raw.ReadUntilClosed());
  CHECK(ReplInt(p.get(), "sync_partial_err") == errors_before + 1);
  CHECK(ReplInt(p.get(), "connected_slaves") == 0);
  CHECK(ReplInt(p.get(), "sync_partial_ok") == 0);
}

TEST_CASE("PSYNC for an offset the log no longer has gets a full sync",
          "[integration][replication]") {
  ServerProcess primary({"--logstore.retention_bytes", "0", "--replication.backlog_bytes", "16384",
                         "--compaction.seal_interval_ms", "50"});
  RedisConnection p = primary.Connect();
  SetAll(p.get(), 3000, [](size_t i) {
    return std::pair{"t:" + std::to_string(i), BinaryValue(i, 100)};
  });
  REQUIRE(Call(p.get(), {"SAVE"}) == "OK");
  const bool truncated = WaitFor([&] { return ReplInt(p.get(), "logstore_first_offset") > 0; });
  INFO(ReplInfo(p.get()));
  REQUIRE(truncated);
  const std::string replid = ReplField(p.get(), "master_replid");
  const SyncCounters before = Counters(p.get());

  RawSocket raw(primary.port());
  REQUIRE(raw.Send("PSYNC " + replid + " 0\r\n"));
  const bool full = raw.ReadUntil(
      [](const std::string& in) {
        return in.find("+SNAPSHOT_END") != std::string::npos &&
               in.find("\r\n", in.find("+SNAPSHOT_END")) != std::string::npos;
      },
      kSyncTimeout);
  const std::string& in = raw.received();
  INFO("received " << in.size() << " bytes, starting " << in.substr(0, 120));
  CHECK(full);
  // Heartbeats may come first while the primary seals; then the full sync header.
  std::string first = in;
  while (first.rfind("+PING\r\n", 0) == 0) first.erase(0, 7);
  CHECK(first.rfind("+FULLRESYNC " + replid + " ", 0) == 0);
  CHECK(in.find("+BATCH ") != std::string::npos);
  CHECK(in.find("+CRC32C ") != std::string::npos);
  const SyncCounters after = Counters(p.get());
  INFO("before: " << Show(before) << "\nafter: " << Show(after));
  CHECK(after.full == before.full + 1);
  CHECK(after.partial_ok == before.partial_ok);
}

}  // namespace
}  // namespace tidekv::integration
