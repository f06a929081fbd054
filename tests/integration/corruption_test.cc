// Damaged files in the data directory (DESIGN.md §6 "Recovery", §10): a corrupt batch
// stops start-up with an error naming the file; damage in the log store is refused with
// an error naming the log, or (a torn tail) dropped and reported, and never silently
// costs acknowledged writes that were intact.
//
// Which log damage is tested, and why:
// - An SST file of the log (frames that RocksDB flushed out of a memtable): RocksDB checks
//   block checksums when the chunks are read, and the server reads every chunk at start-up
//   (verify_on_open), so the only right outcome is a refusal naming <dir>/log and the file.
//   This is the case with one clear answer.
// - The tail of the newest WAL file cut short, as a crash in the middle of a write leaves
//   it: the torn record must go and everything before it must stay, so what survives is a
//   prefix of what was written; and the server's log must say that something was dropped.
// - Bytes changed in the middle of the WAL: the records after the damage are intact and
//   acknowledged, so the server must refuse to start (naming the log) rather than start
//   without them; at most the damaged record itself may be lost, and then only with a
//   report in the server's log.
// The WAL is damaged after a kill -9 with fsync = always, so every write in it was
// acknowledged; the tests tagged [!mayfail] describe server bugs not fixed yet.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

// A data directory with one large sealed batch (and a log truncated below it).
void MakeSealedData(const fs::path& data) {
  auto server = StartServerOn(data);
  RedisConnection c = server->Connect();
  SetAll(c.get(), 50'000, [](size_t i) {
    return std::pair{"key:" + std::to_string(i), BinaryValue(i, 100)};
  });
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  // Let background merges finish: a merge cut short by SHUTDOWN leaves a file the manifest
  // does not name (removed at the next start), which is not the batch this test must damage.
  const auto deadline = std::chrono::steady_clock::now() + kWaitTimeout;
  int quiet = 0;
  while (quiet < 3 && std::chrono::steady_clock::now() < deadline) {
    const bool busy =
        InfoInt(c.get(), "merges_in_progress") != 0 || InfoInt(c.get(), "seal_in_progress") != 0;
    quiet = busy ? 0 : quiet + 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(quiet >= 3);
  ShutdownClean(*server);
}

void CheckRefused(const ProcessResult& r, const std::vector<std::string>& named) {
  INFO("exit code " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code != 0);
  CHECK(r.out.find("ready") == std::string::npos);
  for (const std::string& text : named) {
    INFO("the error should name " << text);
    CHECK(r.err.find(text) != std::string::npos);
  }
}

TEST_CASE("a batch file with changed bytes stops start-up naming the file",
          "[integration][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  MakeSealedData(data);
  const std::vector<fs::path> batches = FilesBySize(data / "batches", ".sst");
  REQUIRE_FALSE(batches.empty());
  const fs::path victim = batches.front();
  REQUIRE(fs::file_size(victim) > 100'000);
  InvertBytes(victim, fs::file_size(victim) / 2, 64);
  CheckRefused(RunServerOn(data), {victim.string()});
}

TEST_CASE("a truncated batch file stops start-up naming the file", "[integration][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  MakeSealedData(data);
  const std::vector<fs::path> batches = FilesBySize(data / "batches", ".sst");
  REQUIRE_FALSE(batches.empty());
  const fs::path victim = batches.front();
  fs::resize_file(victim, fs::file_size(victim) / 2);
  CheckRefused(RunServerOn(data), {victim.string()});
}

TEST_CASE("a corrupt SST file in the log store stops start-up naming the log",
          "[integration][persistence]") {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  {
    auto server = StartServerOn(data, kNoTimedSeals);
    RedisConnection c = server->Connect();
    WaitFirstSeal(c.get());
    // More than the 16 MiB memtable of frames: RocksDB flushes it to an SST file, whose
    // frames are still live (no seal covers them). Incompressible values keep it large.
    SetAll(c.get(), 80'000, [](size_t i) {
      return std::pair{"key:" + std::to_string(i), BinaryValue(i, 1000)};
    });
    // Wait for the flush to finish: one cut short by the shutdown is abandoned and its
    // partial file removed (the frames stay in the WAL). RocksDB says when none is pending.
    auto flushed_sst = [&]() -> std::optional<fs::path> {
      const std::vector<fs::path> ssts = FilesBySize(data / "log", ".sst");
      if (ssts.empty() || fs::file_size(ssts.front()) < (8 << 20)) return std::nullopt;
      if (InfoInt(c.get(), "logstore_flushes_pending") != 0) return std::nullopt;
      return ssts.front();
    };
    if (!WaitFor([&] { return flushed_sst().has_value(); })) {
      std::string files;
      for (const fs::directory_entry& e : fs::directory_iterator(data / "log")) {
        files += e.path().filename().string() + " " +
                 std::to_string(e.is_regular_file() ? e.file_size() : 0) + "\n";
      }
      FAIL("no finished flush of a large SST file in " << (data / "log").string() << ":\n"
                                                       << files << InfoText(c.get()));
    }
    ShutdownClean(*server, /*nosave=*/true);  // the frames stay in the log
  }
  const std::vector<fs::path> ssts = FilesBySize(data / "log", ".sst");
  REQUIRE_FALSE(ssts.empty());
  const fs::path victim = ssts.front();
  REQUIRE(fs::file_size(victim) > (8 << 20));
  InvertBytes(victim, fs::file_size(victim) / 2, 64);
  CheckRefused(RunServerOn(data, kNoTimedSeals), {(data / "log").string(), victim.string()});
}

// Writes key:0..count-1 in order from one client, pipelined 16 deep so that each log chunk
// (one loop iteration's frames) stays small, with fsync = always, and kills the server once
// all are acknowledged. Nothing is sealed after the first write: it all sits in the WAL.
void WriteOnlyToWal(const fs::path& data, size_t count) {
  std::vector<std::string> args = kNoTimedSeals;
  args.insert(args.end(), {"--logstore.fsync", "always"});
  auto server = StartServerOn(data, args);
  RedisConnection c = server->Connect();
  WaitFirstSeal(c.get());
  Pipeline(
      c.get(), count,
      [](size_t i) {
        return std::vector<std::string>{"SET", "key:" + std::to_string(i),
                                        "value:" + std::to_string(i)};
      },
      [](size_t i, const redisReply& r) {
        if (Describe(&r) != "OK") FAIL("SET " << i << " answered " << Describe(&r));
      },
      16);
  KillHard(*server);
}

// Which of key:0..count-1 a restarted server holds with the right value.
std::vector<bool> PresentKeys(redisContext* c, size_t count) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < count; i++) keys.push_back("key:" + std::to_string(i));
  const std::vector<std::optional<std::string>> values = GetAll(c, keys);
  std::vector<bool> present(count);
  for (size_t i = 0; i < count; i++) present[i] = values[i] == "value:" + std::to_string(i);
  return present;
}

fs::path NewestWal(const fs::path& data) {
  std::vector<fs::path> wals = FilesBySize(data / "log", ".log");
  REQUIRE_FALSE(wals.empty());
  // RocksDB numbers files in creation order, with fixed-width names.
  std::sort(wals.begin(), wals.end());
  return wals.back();
}

TEST_CASE("a torn WAL tail loses only the torn record and keeps a prefix",
          "[integration][persistence]") {
  constexpr size_t kCount = 20'000;
  TempDir dir;
  const fs::path data = dir.path() / "data";
  WriteOnlyToWal(data, kCount);
  const fs::path wal = NewestWal(data);
  fs::resize_file(wal, fs::file_size(wal) - 100);

  auto server = StartServerOn(data, kNoTimedSeals);
  INFO(server->Log());
  RedisConnection c = server->Connect();
  const std::vector<bool> present = PresentKeys(c.get(), kCount);
  size_t prefix = 0;
  while (prefix < kCount && present[prefix]) prefix++;
  size_t after_gap = 0;
  for (size_t i = prefix; i < kCount; i++) after_gap += present[i] ? 1 : 0;
  INFO(prefix << " keys survive as a prefix, " << after_gap << " after the gap");
  CHECK(after_gap == 0);
  // The cut (100 bytes) can only reach the last record or two: a chunk holds at most the
  // 16 pipelined writes of one round.
  CHECK(prefix >= kCount - 64);
}

// RocksDB drops the torn record silently; the log store inspects the WAL's tail before
// opening it, so the drop is reported (DESIGN.md §6).
TEST_CASE("a dropped torn WAL tail is reported in the server's log", "[integration][persistence]") {
  constexpr size_t kCount = 2'000;
  TempDir dir;
  const fs::path data = dir.path() / "data";
  WriteOnlyToWal(data, kCount);
  const fs::path wal = NewestWal(data);
  fs::resize_file(wal, fs::file_size(wal) - 100);
  auto server = StartServerOn(data, kNoTimedSeals);
  const std::string log = server->Log();
  INFO(log);
  CHECK((log.find("torn") != std::string::npos || log.find("drop") != std::string::npos));
}

// The log store opens RocksDB with kTolerateCorruptedTailRecords: damage before the tail
// fails the open (with kPointInTimeRecovery it used to replay only the prefix before the
// damage and start without every later record).
TEST_CASE("damage in the middle of the WAL is refused and not skipped silently",
          "[integration][persistence]") {
  constexpr size_t kCount = 20'000;
  TempDir dir;
  const fs::path data = dir.path() / "data";
  WriteOnlyToWal(data, kCount);
  const fs::path wal = NewestWal(data);
  InvertBytes(wal, fs::file_size(wal) / 2, 16);

  std::unique_ptr<ServerProcess> server;
  std::string refusal;
  try {
    server = StartServerOn(data, kNoTimedSeals);
  } catch (const std::runtime_error& e) {
    refusal = e.what();
  }
  if (server == nullptr) {
    // Refused: the right outcome when intact records follow the damage.
    INFO(refusal);
    CHECK(refusal.find((data / "log").string()) != std::string::npos);
    return;
  }
  // Started: then only the damaged record (one chunk, at most 16 writes) may be missing,
  // and the server's log must say that something was dropped.
  const std::string log = server->Log();
  INFO(log);
  RedisConnection c = server->Connect();
  const std::vector<bool> present = PresentKeys(c.get(), kCount);
  size_t missing = 0;
  for (bool p : present) missing += p ? 0 : 1;
  INFO(missing << " of " << kCount << " acknowledged keys are missing after the restart");
  CHECK(missing <= 64);
  CHECK((missing == 0 || log.find("drop") != std::string::npos ||
         log.find("corrupt") != std::string::npos));
}

}  // namespace
}  // namespace tidekv::integration
