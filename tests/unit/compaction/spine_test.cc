// The spine's merge rule, holds, in-flight bookkeeping and ApplyMerge's adjacency check.
#include "compaction/spine.h"

#include <catch2/catch.hpp>
#include <vector>

namespace tidekv::compaction {
namespace {

// Batches with ids 1.., each covering 10 offsets, at the given levels, 100 bytes each.
Spine Make(const std::vector<uint32_t>& levels) {
  Spine spine;
  uint64_t id = 1;
  for (uint32_t level : levels) {
    BatchMeta meta;
    meta.id = id++;
    meta.lower = spine.upper();
    meta.upper = meta.lower + 10;
    meta.level = level;
    meta.bytes = 100;
    spine.Append(meta);
  }
  return spine;
}

BatchMeta Merged(const MergeTask& task, uint64_t id, uint64_t bytes = 150) {
  BatchMeta meta;
  meta.id = id;
  meta.lower = task.older.lower;
  meta.upper = task.newer.upper;
  meta.bytes = bytes;
  meta.level = Spine::MergedLevel(task.older, task.newer, bytes);
  return meta;
}

std::vector<uint64_t> Ids(const Spine& spine) {
  std::vector<uint64_t> ids;
  for (const BatchMeta& b : spine.batches()) ids.push_back(b.id);
  return ids;
}

std::vector<uint32_t> Levels(const Spine& spine) {
  std::vector<uint32_t> levels;
  for (const BatchMeta& b : spine.batches()) levels.push_back(b.level);
  return levels;
}

TEST_CASE("an empty spine and appends", "[spine]") {
  Spine spine;
  CHECK(spine.lower() == 0);
  CHECK(spine.upper() == 0);
  CHECK_FALSE(spine.NextMerge(4).has_value());
  spine = Make({0});
  CHECK(spine.upper() == 10);
  CHECK_FALSE(spine.NextMerge(4).has_value());  // a single batch has no pair

  // A spine may start anywhere (e.g. after the log was truncated) and from a manifest.
  BatchMeta a;
  a.id = 7;
  a.lower = 500;
  a.upper = 600;
  BatchMeta b = a;
  b.id = 8;
  b.lower = 600;
  b.upper = 650;
  Spine loaded({a, b});
  CHECK(loaded.lower() == 500);
  CHECK(loaded.upper() == 650);
}

TEST_CASE("merges take the oldest adjacent pair of equal level", "[spine]") {
  SECTION("all level 0: oldest first, into the oldest") {
    Spine spine = Make({0, 0, 0, 0});
    auto task = spine.NextMerge(1);
    REQUIRE(task);
    CHECK(task->older.id == 1);
    CHECK(task->newer.id == 2);
    CHECK(task->into_oldest);
  }
  SECTION("pairs of unequal level are skipped") {
    Spine spine = Make({2, 1, 0, 0});
    auto task = spine.NextMerge(1);
    REQUIRE(task);
    CHECK(task->older.id == 3);
    CHECK(task->newer.id == 4);
    CHECK_FALSE(task->into_oldest);
  }
  SECTION("the oldest equal pair, not the newest") {
    Spine spine = Make({3, 1, 1, 0, 0});
    auto task = spine.NextMerge(1);
    REQUIRE(task);
    CHECK(task->older.id == 2);
    CHECK(task->newer.id == 3);
  }
  SECTION("no equal neighbours, no merge") {
    Spine spine = Make({3, 2, 1, 0});
    CHECK_FALSE(spine.NextMerge(4).has_value());
    Spine alternating = Make({0, 1, 0, 1});
    CHECK_FALSE(alternating.NextMerge(4).has_value());
  }
}

TEST_CASE("the merged level rises only when the result is bigger than both inputs", "[spine]") {
  BatchMeta older;
  older.level = 2;
  older.bytes = 100;
  BatchMeta newer;
  newer.level = 2;
  newer.bytes = 80;
  CHECK(Spine::MergedLevel(older, newer, 150) == 3);
  CHECK(Spine::MergedLevel(older, newer, 101) == 3);
  CHECK(Spine::MergedLevel(older, newer, 100) == 2);  // equal to one input: no rise
  CHECK(Spine::MergedLevel(older, newer, 90) == 2);
  CHECK(Spine::MergedLevel(older, newer, 0) == 2);
  newer.level = 4;  // unequal levels (a future caller): the max is the base
  CHECK(Spine::MergedLevel(older, newer, 150) == 5);
  CHECK(Spine::MergedLevel(older, newer, 50) == 4);

  // Applied: four growing batches end as one batch two levels up.
  Spine spine = Make({0, 0, 0, 0});
  uint64_t id = 10;
  uint64_t bytes = 150;
  while (auto task = spine.NextMerge(1)) {
    bytes = task->older.bytes + task->newer.bytes;
    REQUIRE(spine.ApplyMerge(*task, Merged(*task, id++, bytes)));
  }
  CHECK(Levels(spine) == std::vector<uint32_t>{2});
  CHECK(spine.batches()[0].lower == 0);
  CHECK(spine.batches()[0].upper == 40);

  // A merge that shrank (overwrites cancelled out) keeps its level and stays mergeable.
  Spine shrinking = Make({0, 0, 0});
  auto task = shrinking.NextMerge(1);
  REQUIRE(task);
  REQUIRE(shrinking.ApplyMerge(*task, Merged(*task, 20, 60)));
  CHECK(Levels(shrinking) == std::vector<uint32_t>{0, 0});
  CHECK(shrinking.NextMerge(1).has_value());
}

TEST_CASE("holds block merges past them, releasing unblocks", "[spine]") {
  Spine spine = Make({0, 0, 0, 0});  // uppers 10, 20, 30, 40
  CHECK(spine.since() == UINT64_MAX);

  const uint64_t low = spine.AddHold(15);
  CHECK(spine.since() == 15);
  CHECK_FALSE(spine.NextMerge(4).has_value());  // (1,2) would end at 20 > 15

  const uint64_t high = spine.AddHold(25);
  CHECK(spine.since() == 15);  // the smallest hold counts
  spine.ReleaseHold(low);
  CHECK(spine.since() == 25);
  auto task = spine.NextMerge(4);
  REQUIRE(task);
  CHECK(task->older.id == 1);
  CHECK(task->newer.id == 2);                   // upper 20 <= 25
  CHECK_FALSE(spine.NextMerge(4).has_value());  // (3,4) ends at 40 > 25

  // A hold exactly at an upper allows merges ending there.
  const uint64_t exact = spine.AddHold(40);
  spine.ReleaseHold(high);
  CHECK(spine.since() == 40);
  auto second = spine.NextMerge(4);
  REQUIRE(second);
  CHECK(second->older.id == 3);

  spine.ReleaseHold(exact);
  spine.ReleaseHold(exact);  // releasing twice is harmless
  CHECK(spine.since() == UINT64_MAX);
}

TEST_CASE("busy batches are not handed out twice and max_inflight is respected", "[spine]") {
  SECTION("overlapping pairs") {
    Spine spine = Make({0, 0, 0});
    auto task = spine.NextMerge(5);
    REQUIRE(task);
    CHECK(spine.inflight() == 1);
    // (2,3) shares batch 2 with the task in flight.
    CHECK_FALSE(spine.NextMerge(5).has_value());
  }
  SECTION("disjoint pairs up to max_inflight") {
    Spine spine = Make({0, 0, 0, 0, 0, 0});
    auto first = spine.NextMerge(2);
    auto second = spine.NextMerge(2);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->newer.id == 2);
    CHECK(second->older.id == 3);
    CHECK(second->newer.id == 4);
    CHECK(spine.inflight() == 2);
    CHECK_FALSE(spine.NextMerge(2).has_value());  // the cap, though (5,6) is free
    auto third = spine.NextMerge(3);
    REQUIRE(third);
    CHECK(third->older.id == 5);
    CHECK_FALSE(spine.NextMerge(10).has_value());  // everything busy
    CHECK(spine.inflight() == 3);
    CHECK_FALSE(Spine(Make({0, 0})).NextMerge(0).has_value());

    // Applying out of order works; each apply frees its inputs.
    REQUIRE(spine.ApplyMerge(*third, Merged(*third, 30)));
    REQUIRE(spine.ApplyMerge(*first, Merged(*first, 10)));
    REQUIRE(spine.ApplyMerge(*second, Merged(*second, 20)));
    CHECK(spine.inflight() == 0);
    CHECK(Ids(spine) == std::vector<uint64_t>{10, 20, 30});
    CHECK(Levels(spine) == std::vector<uint32_t>{1, 1, 1});
  }
}

TEST_CASE("AbortMerge makes the inputs eligible again", "[spine]") {
  Spine spine = Make({0, 0});
  auto task = spine.NextMerge(1);
  REQUIRE(task);
  CHECK_FALSE(spine.NextMerge(1).has_value());
  spine.AbortMerge(*task);
  CHECK(spine.inflight() == 0);
  CHECK(Ids(spine) == std::vector<uint64_t>{1, 2});
  auto again = spine.NextMerge(1);
  REQUIRE(again);
  CHECK(again->older.id == 1);
  CHECK(again->newer.id == 2);
}

TEST_CASE("ReplaceAll puts a full snapshot in place of every batch", "[spine]") {
  Spine spine = Make({0, 0, 0});
  auto task = spine.NextMerge(1);
  REQUIRE(task);
  const uint64_t hold = spine.AddHold(15);
  BatchMeta snapshot;
  snapshot.id = 9;
  snapshot.lower = 0;
  snapshot.upper = 40;  // what was sealed plus what changed since
  const std::vector<BatchMeta> replaced = spine.ReplaceAll(snapshot);
  CHECK(replaced.size() == 3);
  CHECK(Ids(spine) == std::vector<uint64_t>{9});
  CHECK(spine.lower() == 0);
  CHECK(spine.upper() == 40);
  CHECK(spine.inflight() == 0);
  // The merge that was running finds its inputs gone.
  CHECK_FALSE(spine.ApplyMerge(*task, Merged(*task, 10)));
  CHECK(Ids(spine) == std::vector<uint64_t>{9});
  CHECK(spine.since() == 15);  // holds stay
  spine.ReleaseHold(hold);
  // An empty spine takes a snapshot that starts anywhere.
  Spine empty;
  snapshot.lower = 100;
  CHECK(empty.ReplaceAll(snapshot).empty());
  CHECK(empty.lower() == 100);
}

TEST_CASE("ApplyMerge refuses inputs that are not adjacent", "[spine]") {
  Spine spine = Make({0, 0, 0, 0});
  const std::vector<BatchMeta> before = spine.batches();
  const auto& b = spine.batches();

  SECTION("a gap between the inputs") {
    const MergeTask task{b[0], b[2], true};
    CHECK_FALSE(spine.ApplyMerge(task, Merged(task, 10)));
    CHECK(spine.batches() == before);
  }
  SECTION("inputs in the wrong order") {
    const MergeTask task{b[1], b[0], false};
    CHECK_FALSE(spine.ApplyMerge(task, Merged(task, 10)));
    CHECK(spine.batches() == before);
  }
  SECTION("an input already merged away") {
    auto first = spine.NextMerge(2);
    REQUIRE(first);
    REQUIRE(spine.ApplyMerge(*first, Merged(*first, 10)));
    const MergeTask stale{before[1], before[2], false};  // batch 2 is gone
    CHECK_FALSE(spine.ApplyMerge(stale, Merged(stale, 11)));
    CHECK(Ids(spine) == std::vector<uint64_t>{10, 3, 4});
  }
  SECTION("the newest batch has no newer neighbour") {
    const MergeTask task{b[3], b[0], false};
    CHECK_FALSE(spine.ApplyMerge(task, Merged(task, 10)));
  }
  SECTION("a result that does not cover the inputs' range") {
    auto task = spine.NextMerge(1);
    REQUIRE(task);
    BatchMeta wrong = Merged(*task, 10);
    wrong.upper += 1;
    CHECK_FALSE(spine.ApplyMerge(*task, wrong));
    CHECK(spine.batches() == before);
    CHECK(spine.inflight() == 1);  // still busy until aborted
    spine.AbortMerge(*task);
    CHECK(spine.inflight() == 0);
  }
}

}  // namespace
}  // namespace tidekv::compaction
