// Element rows (compaction/batch.h): their keys sort after every key row and cannot collide
// across keys; merges keep only the rows of their key's merged header generation.
#include <catch2/catch.hpp>
#include <string>

#include "compaction/batch.h"
#include "tests/unit/compaction/test_util.h"

namespace tidekv::compaction {
namespace {

using testing::Contents;
using testing::TempDir;
using testing::Tombstone;

constexpr uint8_t kHash = 4;

KeyState Header(uint64_t generation, uint64_t count) {
  KeyState s;
  s.type = kHash;
  s.value = EncodeElementHeader({generation, count});
  return s;
}

KeyState Elem(uint64_t generation, std::string payload, bool removed = false) {
  KeyState s;
  s.type = kHash;
  s.tombstone = removed;
  s.value = EncodeElementValue(generation, payload);
  return s;
}

TEST_CASE("element row keys parse back, sort after key rows and never collide", "[elements]") {
  const std::string k = ElementRowKey(3, "key", "field");
  auto parts = SplitElementRowKey(k);
  REQUIRE(parts);
  CHECK(parts->db == 3);
  CHECK(parts->key == "key");
  CHECK(parts->element == "field");
  CHECK(IsElementRowKey(k));
  CHECK_FALSE(IsElementRowKey(BatchKey(3, "key")));
  CHECK(BatchKey(0x7FFF, "\xff\xff") < ElementRowKey(0, "", ""));
  // "ab" + element "c" and "a" + element "bc" differ (the key is length-prefixed).
  CHECK(ElementRowKey(0, "ab", "c") != ElementRowKey(0, "a", "bc"));
  CHECK_FALSE(SplitElementRowKey(BatchKey(0, "x")));
  CHECK_FALSE(SplitElementRowKey(std::string("\x80\x00\x09", 3)));  // key longer than the rest

  auto h = DecodeElementHeader(EncodeElementHeader({77, 5}));
  REQUIRE(h);
  CHECK(h->generation == 77);
  CHECK(h->count == 5);
  CHECK_FALSE(DecodeElementHeader(std::string("\x01\x02", 2)));  // a codec version, not a header
  CHECK_FALSE(DecodeElementHeader(EncodeElementHeader({0, 5})));
  const std::string encoded = EncodeElementValue(9, "pay");
  auto v = DecodeElementValue(encoded);
  REQUIRE(v);
  CHECK(v->generation == 9);
  CHECK(v->payload == "pay");
}

Result<BatchMeta> Merge(const TempDir& dir, const Contents& older, const Contents& newer,
                        bool into_oldest) {
  testing::WriteBatch(dir.File("older.sst"), older);
  testing::WriteBatch(dir.File("newer.sst"), newer);
  BatchMeta meta;
  meta.id = 3;
  meta.lower = 1;
  meta.upper = 9;
  return MergeBatches(dir.File("older.sst"), dir.File("newer.sst"), dir.File("out.sst"), meta,
                      into_oldest);
}

const Contents kOlder = {{BatchKey(0, "h"), Header(5, 3)},
                         {ElementRowKey(0, "h", "a"), Elem(5, "a1")},
                         {ElementRowKey(0, "h", "b"), Elem(5, "b1")},
                         {ElementRowKey(0, "h", "c"), Elem(5, "c1")}};

TEST_CASE("a merge continues a generation: changed rows win, removals stay or go",
          "[elements][merge]") {
  const Contents newer = {{BatchKey(0, "h"), Header(5, 3)},
                          {ElementRowKey(0, "h", "b"), Elem(5, "b2")},
                          {ElementRowKey(0, "h", "c"), Elem(5, "", true)},
                          {ElementRowKey(0, "h", "d"), Elem(5, "d2")}};
  TempDir dir;
  REQUIRE(Merge(dir, kOlder, newer, false).ok());
  Contents want = {{BatchKey(0, "h"), Header(5, 3)},
                   {ElementRowKey(0, "h", "a"), Elem(5, "a1")},
                   {ElementRowKey(0, "h", "b"), Elem(5, "b2")},
                   {ElementRowKey(0, "h", "c"), Elem(5, "", true)},
                   {ElementRowKey(0, "h", "d"), Elem(5, "d2")}};
  CHECK(testing::ReadBatch(dir.File("out.sst")) == want);
  REQUIRE(Merge(dir, kOlder, newer, true).ok());
  want.erase(ElementRowKey(0, "h", "c"));
  CHECK(testing::ReadBatch(dir.File("out.sst")) == want);
}

TEST_CASE("a merge drops rows of an older generation, a deleted key or a whole value",
          "[elements][merge]") {
  TempDir dir;
  // A new generation: only its rows remain.
  const Contents regen = {{BatchKey(0, "h"), Header(8, 1)},
                          {ElementRowKey(0, "h", "z"), Elem(8, "z")}};
  REQUIRE(Merge(dir, kOlder, regen, false).ok());
  CHECK(testing::ReadBatch(dir.File("out.sst")) == regen);
  // Deleted: the tombstone alone (nothing at all into the oldest).
  const Contents deleted = {{BatchKey(0, "h"), Tombstone()}};
  REQUIRE(Merge(dir, kOlder, deleted, false).ok());
  CHECK(testing::ReadBatch(dir.File("out.sst")) == deleted);
  REQUIRE(Merge(dir, kOlder, deleted, true).ok());
  CHECK(testing::ReadBatch(dir.File("out.sst")).empty());
  // Shrunk to a whole value.
  const Contents whole = {{BatchKey(0, "h"), testing::Live("whole", 0, kHash)}};
  REQUIRE(Merge(dir, kOlder, whole, false).ok());
  CHECK(testing::ReadBatch(dir.File("out.sst")) == whole);
  // An older generation's rows arriving in the newer input (never written so, but merges
  // must not trust it): the header decides.
  const Contents stale = {{ElementRowKey(0, "h", "q"), Elem(4, "q")}};
  REQUIRE(Merge(dir, kOlder, stale, false).ok());
  CHECK(testing::ReadBatch(dir.File("out.sst")) == kOlder);
}

}  // namespace
}  // namespace tidekv::compaction
