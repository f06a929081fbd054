// MergeBatches, alone and driven by the Spine against a model of the keyspace.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <random>
#include <set>
#include <string_view>
#include <vector>

#include "compaction/batch.h"
#include "compaction/spine.h"
#include "tests/unit/compaction/test_util.h"

namespace tidekv::compaction {
namespace {

using testing::Contents;
using testing::Live;
using testing::TempDir;
using testing::Tombstone;

BatchMeta Template(uint64_t id, uint64_t lower, uint64_t upper, uint32_t level = 0) {
  BatchMeta meta;
  meta.id = id;
  meta.lower = lower;
  meta.upper = upper;
  meta.level = level;
  return meta;
}

Result<BatchMeta> Merge(const TempDir& dir, const Contents& older, const Contents& newer,
                        bool into_oldest) {
  testing::WriteBatch(dir.File("older.sst"), older);
  testing::WriteBatch(dir.File("newer.sst"), newer);
  return MergeBatches(dir.File("older.sst"), dir.File("newer.sst"), dir.File("out.sst"),
                      Template(9, 10, 30, 2), into_oldest);
}

TEST_CASE("the newer state wins", "[merge]") {
  TempDir dir;
  const Contents older = {{BatchKey(0, "a"), Live("a1")},
                          {BatchKey(0, "b"), Live("b1", 500)},
                          {BatchKey(0, "c"), Live("c1")},
                          {BatchKey(1, "a"), Live("db1")}};
  const Contents newer = {{BatchKey(0, "b"), Live("b2")},
                          {BatchKey(0, "c"), Tombstone()},
                          {BatchKey(0, "d"), Live("d2", 9000)}};
  auto merged = Merge(dir, older, newer, /*into_oldest=*/false);
  REQUIRE(merged.ok());
  const Contents want = {{BatchKey(0, "a"), Live("a1")},
                         {BatchKey(0, "b"), Live("b2")},
                         {BatchKey(0, "c"), Tombstone()},
                         {BatchKey(0, "d"), Live("d2", 9000)},
                         {BatchKey(1, "a"), Live("db1")}};
  CHECK(testing::ReadBatch(dir.File("out.sst")) == want);

  // The template's id, level and range are kept; bytes and entries are filled in.
  CHECK(merged->id == 9);
  CHECK(merged->lower == 10);
  CHECK(merged->upper == 30);
  CHECK(merged->level == 2);
  CHECK(merged->entries == want.size());
  CHECK(merged->bytes == std::filesystem::file_size(dir.File("out.sst")));
}

const int64_t kNow = 1000;

const Contents kOlder = {{BatchKey(0, "live"), Live("1")},
                         {BatchKey(0, "old-tomb"), Tombstone()},
                         {BatchKey(0, "old-expired"), Live("x", 999)},
                         {BatchKey(0, "expires-now"), Live("x", kNow)},
                         {BatchKey(0, "future"), Live("f", kNow + 1)},
                         {BatchKey(0, "killed"), Live("k")},
                         {BatchKey(0, "revived"), Tombstone()}};
const Contents kNewer = {{BatchKey(0, "killed"), Tombstone()},
                         {BatchKey(0, "revived"), Live("r")},
                         {BatchKey(0, "new-expired"), Live("y", 1)},
                         {BatchKey(0, "new-tomb"), Tombstone()},
                         {BatchKey(0, "new"), Live("n")}};

TEST_CASE("a merge into the oldest batch drops tombstones but keeps expired states", "[merge]") {
  // An expired state may still be the base a logged write applies to at recovery (which
  // replays frames as of the time they ran); only the server's DEL (a tombstone) removes it.
  TempDir dir;
  auto merged = Merge(dir, kOlder, kNewer, /*into_oldest=*/true);
  REQUIRE(merged.ok());
  const Contents want = {{BatchKey(0, "live"), Live("1")},
                         {BatchKey(0, "old-expired"), Live("x", 999)},
                         {BatchKey(0, "expires-now"), Live("x", kNow)},
                         {BatchKey(0, "future"), Live("f", kNow + 1)},
                         {BatchKey(0, "revived"), Live("r")},
                         {BatchKey(0, "new-expired"), Live("y", 1)},
                         {BatchKey(0, "new"), Live("n")}};
  CHECK(testing::ReadBatch(dir.File("out.sst")) == want);
  CHECK(merged->entries == want.size());
}

TEST_CASE("a merge elsewhere keeps tombstones and expired states", "[merge]") {
  TempDir dir;
  auto merged = Merge(dir, kOlder, kNewer, /*into_oldest=*/false);
  REQUIRE(merged.ok());
  Contents want = kOlder;
  for (const auto& [key, state] : kNewer) want[key] = state;
  CHECK(testing::ReadBatch(dir.File("out.sst")) == want);
}

TEST_CASE("merges of empty batches", "[merge]") {
  TempDir dir;
  const Contents some = {{BatchKey(0, "a"), Live("1")}, {BatchKey(0, "b"), Tombstone()}};
  SECTION("both empty") {
    auto merged = Merge(dir, {}, {}, true);
    REQUIRE(merged.ok());
    CHECK(merged->entries == 0);
    CHECK(testing::ReadBatch(dir.File("out.sst")).empty());
  }
  SECTION("older empty") {
    auto merged = Merge(dir, {}, some, false);
    REQUIRE(merged.ok());
    CHECK(testing::ReadBatch(dir.File("out.sst")) == some);
  }
  SECTION("newer empty") {
    auto merged = Merge(dir, some, {}, false);
    REQUIRE(merged.ok());
    CHECK(testing::ReadBatch(dir.File("out.sst")) == some);
  }
  SECTION("everything dropped") {
    const Contents dead = {{BatchKey(0, "a"), Tombstone()}, {BatchKey(0, "b"), Tombstone()}};
    auto merged = Merge(dir, dead, {}, true);
    REQUIRE(merged.ok());
    CHECK(merged->entries == 0);
    CHECK(testing::ReadBatch(dir.File("out.sst")).empty());
  }
}

TEST_CASE("a corrupt input fails the merge and leaves no output", "[merge]") {
  TempDir dir;
  Contents big;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; i++) {
    std::string value(100, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    big[BatchKey(0, "k" + std::to_string(i))] = Live(value);
  }
  testing::WriteBatch(dir.File("older.sst"), big);
  testing::WriteBatch(dir.File("newer.sst"), {{BatchKey(0, "k1"), Live("new")}});
  std::string bytes = testing::ReadFileBytes(dir.File("older.sst"));
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 8; i++) bytes[i] ^= 0x33;
  testing::WriteFileBytes(dir.File("older.sst"), bytes);

  auto merged = MergeBatches(dir.File("older.sst"), dir.File("newer.sst"), dir.File("out.sst"),
                             Template(3, 0, 2), true);
  REQUIRE_FALSE(merged.ok());
  CHECK(merged.status().code() == StatusCode::kCorruption);
  CHECK(merged.status().message().find(dir.File("older.sst")) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("out.sst")));
}

// ---- Model test -------------------------------------------------------------------------
//
// Random writes over a small key space; every few operations a seal writes the state of the
// keys touched since the previous seal as a batch and appends it to a spine. Merges are
// taken from the spine (several in flight, applied in random order, some aborted, some
// blocked by holds) and run with MergeBatches. At the end, loading the spine oldest first,
// newest state winning, must give exactly the model's live keys with their values and
// expiries.

struct ModelRun {
  explicit ModelRun(uint64_t seed) : rng(seed) {}

  std::mt19937_64 rng;
  TempDir dir;
  Spine spine;
  Contents model;  // current state of every key ever written (tombstones for deletes)
  std::set<std::string> dirty;
  uint64_t next_id = 1;
  uint64_t offset = 0;
  int64_t now = 1'000'000;
  size_t merges = 0;
  size_t aborts = 0;

  std::string Path(uint64_t id) const {
    BatchMeta meta;
    meta.id = id;
    return dir.File(meta.FileName());
  }

  std::string RandomKey() {
    // Keys share prefixes and contain 0x00 and 0xFF, over three databases.
    static const std::string_view kParts[] = {"a", "b", {"\0", 1}, "\xff", "key", {"k\0y", 3}};
    std::string key;
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; i++) key.append(kParts[rng() % 6]);
    return BatchKey(static_cast<int>(rng() % 3), key);
  }

  void Write() {
    const std::string key = RandomKey();
    offset++;
    dirty.insert(key);
    if (rng() % 4 == 0) {
      model[key] = Tombstone();
      return;
    }
    int64_t expire = 0;
    switch (rng() % 5) {
      case 0:
        expire = now - static_cast<int64_t>(rng() % 500);  // already expired
        break;
      case 1:
        expire = now + static_cast<int64_t>(rng() % 3000);  // expires during the run
        break;
      default:
        break;
    }
    model[key] = Live("v" + std::to_string(offset), expire, static_cast<uint8_t>(rng() % 4));
  }

  void Seal() {
    Contents batch;
    for (const std::string& key : dirty) batch[key] = model.at(key);
    dirty.clear();
    BatchMeta meta;
    meta.id = next_id++;
    meta.lower = spine.upper();
    meta.upper = offset;
    meta.bytes = testing::WriteBatch(Path(meta.id), batch);
    meta.entries = batch.size();
    spine.Append(meta);
  }

  // Takes up to max_inflight tasks, runs them, and applies them in a random order.
  void MergeRound() {
    const size_t max_inflight = 1 + rng() % 3;
    std::vector<MergeTask> tasks;
    while (auto task = spine.NextMerge(max_inflight)) tasks.push_back(*task);
    REQUIRE(spine.inflight() == tasks.size());
    REQUIRE(tasks.size() <= max_inflight);
    std::shuffle(tasks.begin(), tasks.end(), rng);
    for (const MergeTask& task : tasks) {
      BatchMeta out;
      out.id = next_id++;
      out.lower = task.older.lower;
      out.upper = task.newer.upper;
      auto merged = MergeBatches(Path(task.older.id), Path(task.newer.id), Path(out.id), out,
                                 task.into_oldest);
      REQUIRE(merged.ok());
      if (rng() % 8 == 0) {  // a merge that failed late: forget it
        spine.AbortMerge(task);
        std::filesystem::remove(Path(out.id));
        aborts++;
        continue;
      }
      merged->level = Spine::MergedLevel(task.older, task.newer, merged->bytes);
      REQUIRE(spine.ApplyMerge(task, *merged));
      std::filesystem::remove(Path(task.older.id));
      std::filesystem::remove(Path(task.newer.id));
      merges++;
    }
    REQUIRE(spine.inflight() == 0);
  }

  // What a start-up would load: oldest first, newer wins, dead states gone.
  Contents Load() {
    Contents loaded;
    for (const BatchMeta& meta : spine.batches()) {
      for (auto& [key, state] : testing::ReadBatch(Path(meta.id))) loaded[key] = state;
    }
    return Alive(std::move(loaded));
  }

  Contents Alive(Contents states) const {
    std::erase_if(states, [&](const auto& entry) {
      const KeyState& s = entry.second;
      return s.tombstone || (s.expire_at_ms > 0 && s.expire_at_ms <= now);
    });
    return states;
  }

  void CheckSpine() const {
    const auto& batches = spine.batches();
    for (size_t i = 1; i < batches.size(); i++) REQUIRE(batches[i - 1].upper == batches[i].lower);
    if (!batches.empty()) REQUIRE(batches.back().upper == offset);
  }
};

TEST_CASE("merged spines load to the model's final state", "[merge][model]") {
  for (uint64_t seed = 1; seed <= 6; seed++) {
    INFO("seed " << seed);
    ModelRun run(seed);
    // A plain id plus flag rather than std::optional: GCC 12 -O3 warns (wrongly) that the
    // optional may be read uninitialised, and CI builds with -Werror.
    uint64_t hold = 0;
    bool holding = false;
    for (int seal = 0; seal < 30; seal++) {
      const int writes = static_cast<int>(run.rng() % 60);  // sometimes 0: an empty batch
      for (int i = 0; i < writes; i++) run.Write();
      run.now += 100;
      run.Seal();
      // Holds come and go; merges must never cross one.
      if (!holding && run.rng() % 6 == 0) {
        hold = run.spine.AddHold(run.spine.upper());
        holding = true;
      } else if (holding && run.rng() % 3 == 0) {
        run.spine.ReleaseHold(hold);
        holding = false;
      }
      if (run.rng() % 3 != 0) run.MergeRound();
      run.CheckSpine();
      REQUIRE(run.Load() == run.Alive(run.model));
    }
    if (holding) run.spine.ReleaseHold(hold);

    // Merge until the rule finds nothing more, then check once more.
    for (int round = 0; round < 100 && run.spine.batches().size() > 1; round++) run.MergeRound();
    run.CheckSpine();
    REQUIRE(run.Load() == run.Alive(run.model));
    CHECK(run.merges > 10);

    // With no holds and nothing in flight, no two neighbours share a level: the rule would
    // have merged them.
    const auto& batches = run.spine.batches();
    for (size_t i = 1; i < batches.size(); i++) CHECK(batches[i - 1].level != batches[i].level);
  }
}

TEST_CASE("the oldest batch holds no tombstones after merging into it", "[merge][model]") {
  ModelRun run(99);
  for (int seal = 0; seal < 2; seal++) {
    for (int i = 0; i < 200; i++) run.Write();
    run.Seal();
  }
  run.MergeRound();
  REQUIRE(run.spine.batches().size() == 1);
  const Contents oldest = testing::ReadBatch(run.Path(run.spine.batches()[0].id));
  Contents live = run.model;
  std::erase_if(live, [](const auto& entry) { return entry.second.tombstone; });
  CHECK(oldest == live);
}

}  // namespace
}  // namespace tidekv::compaction
