// Persistence through restarts (DESIGN.md §5, §6): what a client wrote is what a restarted
// server serves, whether the image came from the log tail or from sealed batches, after a
// clean SHUTDOWN or a kill -9; plus SAVE, LASTSAVE, DEBUG RELOAD, the INFO persistence
// fields, the data directory lock, a large restart, and the log's size under overwrites.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

void Select(redisContext* c, int db) { REQUIRE(Call(c, {"SELECT", std::to_string(db)}) == "OK"); }

// Keys whose names and values have every byte value, in database 0.
std::string BinaryKey(size_t i) {
  std::string key = "bin:";
  key += BinaryValue(i + 1'000'000, i % 40);
  return key + ":" + std::to_string(i);
}

// Writes phase 1 (before an optional SAVE) or phase 2 of the dataset, touching every kind of
// effect the log and the batches must carry: plain and binary values, sixteen databases,
// deletes and overwrites, relative and absolute expiries, MOVE, COPY, RENAME, SWAPDB,
// FLUSHDB, and commands whose effect differs from the request (INCRBYFLOAT, GETEX).
void WriteDataset(redisContext* c, int phase) {
  const std::string p = "p" + std::to_string(phase) + ":";
  for (int db = 0; db < 16; db++) {
    Select(c, db);
    SetAll(c, 200, [&](size_t i) {
      return std::pair{p + "key:" + std::to_string(i),
                       "value-" + std::to_string(db) + "-" + std::to_string(i)};
    });
  }
  Select(c, 0);
  SetAll(c, 300, [&](size_t i) {
    return std::pair{p + BinaryKey(i), BinaryValue(i, (i * 37) % 3000)};  // includes ""
  });
  REQUIRE(Call(c, {"SET", p + "big", BinaryValue(7, 1 << 20)}) == "OK");
  // Overwrites and deletes: the image must hold the last state, tombstones included.
  SetAll(c, 100, [&](size_t i) { return std::pair{p + "key:" + std::to_string(i), "again"}; });
  REQUIRE(Call(c, {"DEL", p + "key:150", p + "key:151", p + "key:152"}) == "(integer) 3");
  REQUIRE(Call(c, {"INCRBYFLOAT", p + "float", "1.5"}) == "1.5");
  REQUIRE(Call(c, {"INCR", p + "counter"}) == "(integer) 1");
  REQUIRE(Call(c, {"APPEND", p + "counter", "0"}) == "(integer) 2");
  REQUIRE(Call(c, {"SETRANGE", p + "range", "5", "xyz"}) == "(integer) 8");
  REQUIRE(Call(c, {"SETBIT", p + "bits", "77", "1"}) == "(integer) 0");

  // Long expiries, relative and absolute; PERSIST removes one.
  Select(c, 3);
  const int64_t in_an_hour_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(1))
          .count();
  for (int i = 0; i < 50; i++) {
    const std::string k = p + "ttl:" + std::to_string(i);
    REQUIRE(Call(c, {"SET", k, "v", "PX", std::to_string(3'600'000 + i * 1000)}) == "OK");
  }
  REQUIRE(Call(c, {"SETEX", p + "setex", "7200", "v"}) == "OK");
  REQUIRE(Call(c, {"PEXPIREAT", p + "key:1", std::to_string(in_an_hour_ms)}) == "(integer) 1");
  REQUIRE(Call(c, {"EXPIRE", p + "key:2", "5000"}) == "(integer) 1");
  REQUIRE(Call(c, {"GETEX", p + "key:3", "EX", "6000"}) == "value-3-3");
  REQUIRE(Call(c, {"EXPIRE", p + "key:4", "5000"}) == "(integer) 1");
  REQUIRE(Call(c, {"PERSIST", p + "key:4"}) == "(integer) 1");

  // Keys that change database or name.
  Select(c, 4);
  REQUIRE(Call(c, {"MOVE", p + "key:10", "5"}) == "(integer) 0");  // exists in 5 already
  REQUIRE(Call(c, {"SET", p + "mover", "m"}) == "OK");
  REQUIRE(Call(c, {"MOVE", p + "mover", "6"}) == "(integer) 1");
  REQUIRE(Call(c, {"COPY", p + "key:11", p + "copied", "DB", "12"}) == "(integer) 1");
  REQUIRE(Call(c, {"RENAME", p + "key:12", p + "renamed"}) == "OK");
  REQUIRE(Call(c, {"SWAPDB", "7", "8"}) == "OK");
  Select(c, 9);
  REQUIRE(Call(c, {"FLUSHDB"}) == "OK");
  REQUIRE(Call(c, {"SET", p + "after-flush", "f"}) == "OK");
  Select(c, 0);
}

// The number of keys in each database, from INFO keyspace.
std::vector<std::string> KeyspaceLines(redisContext* c) {
  const std::string info = InfoText(c, "keyspace");
  std::vector<std::string> lines;
  for (int db = 0; db < 16; db++) {
    const std::string line = InfoField(info, "db" + std::to_string(db));
    // keys=..,expires=.. only: avg_ttl changes with time.
    lines.push_back("db" + std::to_string(db) + ":" + line.substr(0, line.find(",avg_ttl")));
  }
  return lines;
}

TEST_CASE("a restart keeps strings binary values databases and expiries",
          "[integration][persistence]") {
  enum class Image { kLogTail, kBatches };
  enum class Stop { kShutdown, kKill9 };
  for (Image image : {Image::kLogTail, Image::kBatches}) {
    for (Stop stop : {Stop::kShutdown, Stop::kKill9}) {
      const bool batches = image == Image::kBatches;
      const bool kill = stop == Stop::kKill9;
      INFO("image from " << (batches ? "batches (SAVE)" : "the log tail") << ", stopped by "
                         << (kill ? "kill -9" : "SHUTDOWN"));
      TempDir dir;
      const fs::path data = dir.path() / "data";
      const std::vector<std::string> args =
          batches ? std::vector<std::string>{"--compaction.seal_interval_ms", "20"} : kNoTimedSeals;

      std::string digest;
      std::vector<std::string> keyspace;
      int64_t pttl_before = 0;
      Clock::time_point sent;      // just before PTTL was sent
      Clock::time_point measured;  // just after its reply arrived
      Clock::time_point short_written;
      {
        auto server = StartServerOn(data, args);
        RedisConnection c = server->Connect();
        if (!batches) WaitFirstSeal(c.get());
        WriteDataset(c.get(), 1);
        if (batches) REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
        WriteDataset(c.get(), 2);  // after the SAVE: these come from the log tail
        digest = Digest(c.get());
        keyspace = KeyspaceLines(c.get());
        Select(c.get(), 3);
        sent = Clock::now();
        Reply pttl = Command(c.get(), {"PTTL", "p1:ttl:0"});
        measured = Clock::now();
        REQUIRE(pttl != nullptr);
        pttl_before = pttl->integer;
        REQUIRE(pttl_before > 3'500'000);

        // Keys that expire while the server is down: absent afterwards, never brought back
        // with a fresh relative TTL by replaying the request instead of its effect. (2 s:
        // long enough that a slow build stops the server before they expire.)
        for (int db : {0, 5}) {
          Select(c.get(), db);
          for (int i = 0; i < 10; i++) {
            const std::string n = std::to_string(i);
            REQUIRE(Call(c.get(), {"SET", "short:set:" + n, "s", "PX", "2000"}) == "OK");
            REQUIRE(Call(c.get(), {"PSETEX", "short:psetex:" + n, "2000", "s"}) == "OK");
            REQUIRE(Call(c.get(), {"SET", "short:pexpire:" + n, "s"}) == "OK");
            REQUIRE(Call(c.get(), {"PEXPIRE", "short:pexpire:" + n, "2000"}) == "(integer) 1");
            REQUIRE(Call(c.get(), {"SET", "short:getex:" + n, "s"}) == "OK");
            REQUIRE(Call(c.get(), {"GETEX", "short:getex:" + n, "PX", "2000"}) == "s");
          }
        }
        short_written = Clock::now();
        if (batches) REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
        if (kill) {
          WaitLogged(c.get());
          KillHard(*server);
        } else {
          ShutdownClean(*server, /*nosave=*/!batches);  // without SAVE: the log tail's image
        }
      }
      std::this_thread::sleep_until(short_written + 2400ms);

      auto server = StartServerOn(data, args);
      RedisConnection c = server->Connect();
      INFO(server->Log());
      for (int db : {0, 5}) {
        Select(c.get(), db);
        Reply keys = Command(c.get(), {"KEYS", "short:*"});
        CHECK(Describe(keys) == "[]");
      }
      Select(c.get(), 0);
      CHECK(Digest(c.get()) == digest);
      CHECK(KeyspaceLines(c.get()) == keyspace);

      // The absolute expiry survived: the TTL went down by the time the server was away.
      // Each PTTL was computed somewhere between its send and its reply, so the time between
      // the two computations lies in [second send - first reply, second reply - first send],
      // whatever the scheduling (1 ms of rounding on each side).
      Select(c.get(), 3);
      const Clock::time_point sent_after = Clock::now();
      Reply pttl = Command(c.get(), {"PTTL", "p1:ttl:0"});
      const Clock::time_point measured_after = Clock::now();
      auto ms = [](Clock::duration d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
      };
      const int64_t least_between = ms(sent_after - measured);
      const int64_t most_between = ms(measured_after - sent) + 1;
      REQUIRE(pttl != nullptr);
      INFO("PTTL before " << pttl_before << " ms, after " << pttl->integer << " ms, between "
                          << least_between << " and " << most_between << " ms later");
      CHECK(pttl->integer <= pttl_before - least_between + 2);
      CHECK(pttl->integer >= pttl_before - most_between - 2);

      // Spot checks with readable failures (the digest already covers everything).
      Select(c.get(), 0);
      std::vector<std::string> keys;
      for (size_t i = 0; i < 300; i++) keys.push_back("p1:" + BinaryKey(i));
      std::vector<std::optional<std::string>> values = GetAll(c.get(), keys);
      size_t wrong = 0;
      for (size_t i = 0; i < keys.size(); i++) {
        if (values[i] != BinaryValue(i, (i * 37) % 3000)) wrong++;
      }
      CHECK(wrong == 0);
      CHECK(Call(c.get(), {"STRLEN", "p2:big"}) == "(integer) 1048576");
      CHECK(Call(c.get(), {"GET", "p2:float"}) == "1.5");
      CHECK(Call(c.get(), {"GET", "p1:counter"}) == "10");
      Select(c.get(), 6);
      CHECK(Call(c.get(), {"GET", "p1:mover"}) == "m");
      Select(c.get(), 9);
      CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 1");

      const std::string info = InfoText(c.get());
      INFO(info);
      if (batches) {
        CHECK(std::stoll(InfoField(info, "recovered_batch_keys")) > 3000);
      } else {
        // Everything after the first seal (one key) came from the log.
        CHECK(std::stoll(InfoField(info, "recovered_log_frames")) > 7000);
      }
    }
  }
}

TEST_CASE("DEBUG RELOAD keeps the dataset and SAVE moves LASTSAVE", "[integration][persistence]") {
  ServerProcess server(kNoTimedSeals);
  RedisConnection c = server.Connect();
  WriteDataset(c.get(), 1);
  const std::string digest = Digest(c.get());
  CHECK(Call(c.get(), {"DEBUG", "RELOAD"}) == "OK");
  CHECK(Digest(c.get()) == digest);
  WriteDataset(c.get(), 2);
  const std::string digest2 = Digest(c.get());
  CHECK(Call(c.get(), {"DEBUG", "RELOAD"}) == "OK");
  CHECK(Digest(c.get()) == digest2);
  // Still writable after a reload, and the next reload sees that write.
  CHECK(Call(c.get(), {"SET", "after-reload", "1"}) == "OK");
  CHECK(Call(c.get(), {"DEBUG", "RELOAD"}) == "OK");
  CHECK(Call(c.get(), {"GET", "after-reload"}) == "1");

  // LASTSAVE has one-second resolution: wait for the next second before saving.
  Reply before = Command(c.get(), {"LASTSAVE"});
  REQUIRE(before != nullptr);
  REQUIRE(before->type == REDIS_REPLY_INTEGER);
  REQUIRE(WaitFor([&] { return std::time(nullptr) > before->integer; }));
  CHECK(Call(c.get(), {"SET", "k", "v"}) == "OK");
  const int64_t save_sent = std::time(nullptr);
  CHECK(Call(c.get(), {"SAVE"}) == "OK");
  Reply after = Command(c.get(), {"LASTSAVE"});
  const int64_t lastsave_read = std::time(nullptr);
  REQUIRE(after != nullptr);
  CHECK(after->integer > before->integer);
  CHECK(after->integer >= save_sent);
  CHECK(after->integer <= lastsave_read);
  CHECK(Call(c.get(), {"BGSAVE"}).find("(error)") == std::string::npos);
}

TEST_CASE("INFO persistence shows seals and log truncation and merges",
          "[integration][persistence]") {
  ServerProcess server({"--compaction.seal_interval_ms", "20"});
  RedisConnection c = server.Connect();
  const std::string info0 = InfoText(c.get());
  INFO(info0);
  for (const char* field :
       {"logstore_first_offset", "logstore_next_offset", "logstore_bytes", "batches", "seals",
        "merges_done", "recovery_time_ms", "recovered_batch_keys", "recovered_log_frames"}) {
    INFO("field " << field);
    CHECK_FALSE(InfoField(info0, field).empty());
  }
  CHECK(InfoField(info0, "logstore_write_status") == "ok");
  CHECK(InfoField(info0, "batches_per_level") == "none");

  // Steady writes: each seal truncates the log below it, and equal-level batches merge.
  int64_t first_offset = InfoInt(c.get(), "logstore_first_offset");
  size_t round = 0;
  auto write_some = [&] {
    SetAll(c.get(), 200, [&](size_t i) {
      return std::pair{"k" + std::to_string(i % 1000), "v" + std::to_string(round)};
    });
    round++;
  };
  CHECK(WaitFor([&] {
    write_some();
    return InfoInt(c.get(), "seals") >= 3 &&
           InfoInt(c.get(), "logstore_first_offset") > first_offset;
  }));
  CHECK(WaitFor([&] {
    write_some();
    return InfoInt(c.get(), "merges_done") > 0;
  }));
  const std::string info = InfoText(c.get());
  INFO(info);
  CHECK(std::stoll(InfoField(info, "batches")) >= 1);
  CHECK(InfoField(info, "batches_per_level") != "none");
  CHECK(InfoField(info, "seal_failures") == "0");
  CHECK(InfoField(info, "merge_failures") == "0");
  CHECK(std::stoll(InfoField(info, "logstore_next_offset")) >=
        std::stoll(InfoField(info, "logstore_first_offset")));
}

TEST_CASE("a second server on the same directory refuses to start", "[integration][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  auto first = StartServerOn(data);
  ProcessResult second = RunServerOn(data);
  INFO("stdout: " << second.out << "\nstderr: " << second.err);
  CHECK_FALSE(second.timed_out);
  CHECK(second.exit_code != 0);
  CHECK(second.out.find("ready") == std::string::npos);
  CHECK(second.err.find(data.string()) != std::string::npos);
  CHECK(second.err.find(std::to_string(first->pid())) != std::string::npos);
  // The first server was not disturbed.
  RedisConnection c = first->Connect();
  CHECK(Call(c.get(), {"SET", "k", "v"}) == "OK");
}

TEST_CASE("a restart loads a large dataset and a long log tail", "[integration][persistence]") {
  constexpr size_t kSealed = 300'000;
  constexpr size_t kLogged = 200'000;
  TempDir dir;
  const fs::path data = dir.path() / "data";
  std::string digest;
  {
    auto server = StartServerOn(data);
    RedisConnection c = server->Connect();
    SetAll(c.get(), kSealed, [](size_t i) {
      return std::pair{"key:" + std::to_string(i), BinaryValue(i, 32)};
    });
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    // No seal after this one: the next start replays 200,000 frames.
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "compaction.seal_interval_ms", "3600000"}) == "OK");
    SetAll(c.get(), kLogged, [](size_t i) {
      // Half overwrite sealed keys, half are new.
      const size_t k = i % 2 == 0 ? i : kSealed + i;
      return std::pair{"key:" + std::to_string(k), "log-" + std::to_string(i)};
    });
    digest = Digest(c.get());
    ShutdownClean(*server, /*nosave=*/true);
  }
  auto server = StartServerOn(data);
  RedisConnection c = server->Connect();
  const std::string info = InfoText(c.get());
  INFO(info);
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) " + std::to_string(kSealed + kLogged / 2));
  CHECK(Digest(c.get()) == digest);
  // SAVE seals every key written before it, even when a timed seal was running (it waits
  // for the next seal then).
  CHECK(std::stoll(InfoField(info, "recovered_batch_keys")) >= static_cast<int64_t>(kSealed));
  CHECK(std::stoll(InfoField(info, "recovered_log_frames")) >= static_cast<int64_t>(kLogged));
  CHECK(std::stoll(InfoField(info, "recovery_time_ms")) > 0);
  WARN("recovered " << kSealed << " sealed keys and " << kLogged << " log frames in "
                    << InfoField(info, "recovery_time_ms") << " ms");
  CHECK(server->Log().find("recovered") != std::string::npos);
}

// Overwriting the same keys for a while must not make the log grow with the bytes written:
// every seal truncates the log below it. Limits, for a load of about 300 MB/s:
// - logstore_bytes (frames not yet covered by a batch) is about what arrives between two
//   seals (200 ms plus the seal's own time), so tens of MiB; a quarter of a GiB is generous.
// - On disk, RocksDB frees WAL files only when the memtable holding their frames is flushed
//   (16 MiB write buffer, WAL capped at 64 MiB by max_total_wal_size), and truncated frames
//   in SST files go at the next compaction, so <dir>/log lags behind; the limit has slack.
// - The load must write more than the disk limit, across many seals, for the test to mean
//   anything: it runs in rounds until both hold, however fast or slow the build and machine
//   are (a Release build needs a few seconds, ASan on a loaded machine a minute or more).
// Both are far below what is written, and once the load stops the next seal empties the log.
TEST_CASE("the log stays bounded under a steady overwrite load", "[integration][persistence]") {
  constexpr uint64_t kLiveLogLimit = 256ull << 20;
  constexpr uint64_t kDiskLimit = 512ull << 20;
  constexpr uint64_t kEnoughWritten = kDiskLimit;
  constexpr int64_t kEnoughSeals = 10;
  constexpr auto kHangGuard = 600s;
  TempDir dir;
  const fs::path data = dir.path() / "data";
  auto server = StartServerOn(data, {"--compaction.seal_interval_ms", "200"});
  RedisConnection c = server->Connect();

  // redis-benchmark is a real client and writes far faster than a test loop: 10,000 keys,
  // 1 KiB values, pipelined, ~250 MB a round.
  auto enough = [&](redisContext* via) {
    return static_cast<uint64_t>(InfoInt(via, "total_net_input_bytes", "stats")) >=
               kEnoughWritten &&
           InfoInt(via, "seals") > kEnoughSeals;
  };
  std::atomic<bool> load_done = false;
  std::atomic<bool> load_failed = false;
  std::thread load([&] {
    RedisConnection own = server->Connect();
    const auto deadline = Clock::now() + kHangGuard;
    while (!enough(own.get()) && Clock::now() < deadline) {
      ProcessResult r =
          RunProcess({"redis-benchmark", "-p", std::to_string(server->port()), "-t", "set", "-r",
                      "10000", "-d", "1000", "-c", "20", "-P", "16", "-n", "250000", "-q"},
                     "", kHangGuard);
      if (r.exit_code != 0) {
        load_failed = true;
        break;
      }
    }
    load_done = true;
  });
  uint64_t max_live = 0;
  uint64_t max_disk = 0;
  while (!load_done) {
    std::this_thread::sleep_for(100ms);
    max_live = std::max<uint64_t>(max_live, InfoInt(c.get(), "logstore_bytes"));
    max_disk = std::max<uint64_t>(max_disk, TreeBytes(data / "log"));
  }
  load.join();
  REQUIRE_FALSE(load_failed);
  REQUIRE(enough(c.get()));
  const uint64_t written = InfoInt(c.get(), "total_net_input_bytes", "stats");
  const std::string info = InfoText(c.get());
  INFO(info);
  INFO("written " << written << " bytes; largest logstore_bytes " << max_live
                  << ", largest <dir>/log on disk " << max_disk);
  CHECK(max_live < kLiveLogLimit);
  CHECK(max_disk < kDiskLimit);
  // The batches hold the live data (10,000 keys of ~1 KiB), not the history.
  CHECK(TreeBytes(data / "batches") < 64ull << 20);
  CHECK(WaitFor([&] { return InfoInt(c.get(), "logstore_bytes") < (1 << 20); }));
}

}  // namespace
}  // namespace tidekv::integration

namespace tidekv::integration {
namespace {

// SWAPDB moves every key of each database into the other: a seal after it must record the
// keys' new homes and their absence from the old ones (found by review: marking each key
// only in its old database left the swapped keys out of the next batch).
TEST_CASE("a seal after SWAPDB keeps both databases across a restart",
          "[integration][persistence]") {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  {
    auto server = StartServerOn(data);
    RedisConnection c = server->Connect();
    REQUIRE(Call(c.get(), {"SELECT", "1"}) == "OK");
    REQUIRE(Call(c.get(), {"SET", "only-in-one", "1"}) == "OK");
    REQUIRE(Call(c.get(), {"SELECT", "2"}) == "OK");
    REQUIRE(Call(c.get(), {"SET", "only-in-two", "2"}) == "OK");
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    REQUIRE(Call(c.get(), {"SWAPDB", "1", "2"}) == "OK");
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    ShutdownClean(*server);
  }
  auto server = StartServerOn(data);
  RedisConnection c = server->Connect();
  REQUIRE(Call(c.get(), {"SELECT", "1"}) == "OK");
  CHECK(Call(c.get(), {"GET", "only-in-two"}) == "2");
  CHECK(Call(c.get(), {"EXISTS", "only-in-one"}) == "(integer) 0");
  REQUIRE(Call(c.get(), {"SELECT", "2"}) == "OK");
  CHECK(Call(c.get(), {"GET", "only-in-one"}) == "1");
  CHECK(Call(c.get(), {"EXISTS", "only-in-two"}) == "(integer) 0");
}

// spill mode seals only on SAVE, so a cache that creates and deletes keys all day must not
// list every change until then: past compaction.seal_dirty_bytes the server stops listing,
// and the next SAVE writes a full snapshot that replaces the earlier batches.
TEST_CASE("spill mode stops listing changes past seal_dirty_bytes and SAVE writes a snapshot",
          "[integration][persistence]") {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  const std::vector<std::string> args = {"--logstore.mode", "spill",
                                         "--compaction.seal_dirty_bytes", "4096"};
  std::string digest;
  {
    auto server = StartServerOn(data, args);
    RedisConnection c = server->Connect();
    SetAll(c.get(), 100, [](size_t i) { return std::pair{"keep:" + std::to_string(i), "v"}; });
    // A large hash (element rows) and a small set, both sealed by the first SAVE.
    Pipeline(
        c.get(), 30,
        [](size_t i) {
          std::vector<std::string> cmd = {"HSET", "big"};
          for (size_t f = i * 100; f < i * 100 + 100; f++) {
            cmd.push_back("f" + std::to_string(f));
            cmd.push_back("v" + std::to_string(f));
          }
          return cmd;
        },
        [](size_t, const redisReply& r) { REQUIRE(r.type == REDIS_REPLY_INTEGER); });
    REQUIRE(Call(c.get(), {"SADD", "tags", "a", "b", "c"}) == "(integer) 3");
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    REQUIRE(InfoInt(c.get(), "batches") == 1);
    CHECK(InfoInt(c.get(), "dirty_untracked") == 0);

    // Churn: 20k keys created and deleted, far more than 4 kB of names.
    Pipeline(
        c.get(), 40000,
        [](size_t i) -> std::vector<std::string> {
          const std::string key = "tmp:" + std::to_string(i / 2);
          if (i % 2 == 0) return {"SET", key, "x"};
          return {"DEL", key};
        },
        [](size_t, const redisReply& r) { REQUIRE(r.type != REDIS_REPLY_ERROR); });
    CHECK(InfoInt(c.get(), "dirty_untracked") == 1);
    CHECK(InfoInt(c.get(), "dirty_keys") < 200);
    // Changes the snapshot must carry: deletions of sealed keys, a changed large hash.
    REQUIRE(Call(c.get(), {"DEL", "keep:0", "keep:1"}) == "(integer) 2");
    REQUIRE(Call(c.get(), {"HDEL", "big", "f0", "f1"}) == "(integer) 2");
    REQUIRE(Call(c.get(), {"HSET", "big", "new", "1"}) == "(integer) 1");
    REQUIRE(Call(c.get(), {"SREM", "tags", "b"}) == "(integer) 1");
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    CHECK(InfoInt(c.get(), "batches") == 1);  // replaced, not appended
    CHECK(InfoInt(c.get(), "dirty_untracked") == 0);
    CHECK(FilesBySize(data / "batches", ".sst").size() == 1);
    // Listing resumes: the next SAVE appends a batch again.
    REQUIRE(Call(c.get(), {"SET", "after", "1"}) == "OK");
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    CHECK(InfoInt(c.get(), "batches") == 2);
    digest = Digest(c.get());
    REQUIRE(Call(c.get(), {"SET", "unsaved", "1"}) == "OK");
    KillHard(*server);
  }
  auto server = StartServerOn(data, args);
  RedisConnection c = server->Connect();
  CHECK(Digest(c.get()) == digest);
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 101");  // keep:2..99, big, tags, after
  CHECK(Call(c.get(), {"HLEN", "big"}) == "(integer) 2999");
  CHECK(Call(c.get(), {"EXISTS", "keep:0", "tmp:7", "unsaved"}) == "(integer) 0");
}

// A bulk load in spill mode changes every key: listing each one until SAVE would cost a
// pointer per key for nothing (the SAVE writes them all anyway), so once most keys are
// listed the server stops listing; a small change to a large key space is listed again.
TEST_CASE("spill mode stops listing once most keys changed, and SAVE still writes them all",
          "[integration][persistence]") {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  const std::vector<std::string> args = {"--logstore.mode", "spill"};
  constexpr size_t kKeys = 80000;
  std::string digest;
  {
    auto server = StartServerOn(data, args);
    RedisConnection c = server->Connect();
    SetAll(c.get(), kKeys, [](size_t i) { return std::pair{"k:" + std::to_string(i), "v"}; });
    CHECK(InfoInt(c.get(), "dirty_untracked") == 1);
    CHECK(InfoInt(c.get(), "dirty_keys") < 4096);
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    CHECK(InfoInt(c.get(), "dirty_untracked") == 0);
    CHECK(InfoInt(c.get(), "last_seal_keys") == static_cast<int64_t>(kKeys));
    // A few changes to the loaded keys are listed, and sealed alone.
    SetAll(c.get(), 100, [](size_t i) { return std::pair{"k:" + std::to_string(i), "w"}; });
    CHECK(InfoInt(c.get(), "dirty_untracked") == 0);
    CHECK(InfoInt(c.get(), "dirty_keys") == 100);
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    CHECK(InfoInt(c.get(), "last_seal_keys") == 100);
    digest = Digest(c.get());
    KillHard(*server);
  }
  auto server = StartServerOn(data, args);
  RedisConnection c = server->Connect();
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) " + std::to_string(kKeys));
  CHECK(Call(c.get(), {"GET", "k:7"}) == "w");
  CHECK(Call(c.get(), {"GET", "k:7000"}) == "v");
  CHECK(Digest(c.get()) == digest);
}

// Every start opens a new RocksDB WAL file in the log store; a clean stop flushes every
// column family, so the files of earlier runs are released and restarts do not pile them
// up (69 of them had gathered in a directory restarted a few dozen times).
TEST_CASE("clean restarts do not accumulate log store WAL files", "[integration][persistence]") {
  for (const char* mode : {"wal", "spill"}) {
    INFO("logstore.mode " << mode);
    TempDir dir;
    const std::filesystem::path data = dir.path() / "data";
    const std::vector<std::string> args = {"--logstore.mode", mode};
    for (int round = 0; round < 6; round++) {
      auto server = StartServerOn(data, args);
      RedisConnection c = server->Connect();
      REQUIRE(Call(c.get(), {"SET", "k" + std::to_string(round), "v"}) == "OK");
      if (round % 2 == 0) REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
      ShutdownClean(*server);
    }
    CHECK(FilesBySize(data / "log", ".log").size() <= 2);
    auto server = StartServerOn(data, args);
    RedisConnection c = server->Connect();
    // spill mode keeps what the last SAVE sealed (rounds 0, 2, 4); wal mode keeps every write.
    CHECK(Call(c.get(), {"DBSIZE"}) ==
          (std::string(mode) == "wal" ? "(integer) 6" : "(integer) 3"));
  }
}

// A clean stop seals what changed since the last seal (as Redis saves on SHUTDOWN with save
// points), so the next start loads batches only; NOSAVE leaves it to the log.
TEST_CASE("SHUTDOWN seals first so the next start replays no log and NOSAVE does not",
          "[integration][persistence]") {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  auto write_and_stop = [&](const std::string& prefix, std::vector<std::string> shutdown) {
    auto server = StartServerOn(data, kNoTimedSeals);
    RedisConnection c = server->Connect();
    WaitFirstSeal(c.get());
    SetAll(c.get(), 500, [&](size_t i) { return std::pair{prefix + std::to_string(i), "v"}; });
    REQUIRE(Command(c.get(), shutdown) == nullptr);  // no reply: the connection closes
    REQUIRE(server->WaitExit() == 0);
  };
  auto restart_counts = [&] {
    auto server = StartServerOn(data, kNoTimedSeals);
    RedisConnection c = server->Connect();
    const auto counts = std::pair{InfoInt(c.get(), "recovered_log_frames"),
                                  InfoInt(c.get(), "recovered_batch_keys")};
    const std::string dbsize = Call(c.get(), {"DBSIZE"});
    ShutdownClean(*server);
    return std::pair{counts, dbsize};
  };
  write_and_stop("a:", {"SHUTDOWN"});
  auto [counts, dbsize] = restart_counts();  // this stop seals nothing: nothing changed
  CHECK(counts.first == 0);
  CHECK(counts.second >= 500);
  CHECK(dbsize == "(integer) 501");  // the first seal's key too
  write_and_stop("b:", {"SHUTDOWN", "NOSAVE"});
  std::tie(counts, dbsize) = restart_counts();
  CHECK(counts.first >= 500);  // b:* came back from the log
  CHECK(dbsize == "(integer) 1001");
}

}  // namespace
}  // namespace tidekv::integration
