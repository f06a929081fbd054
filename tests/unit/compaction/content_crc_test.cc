// ContentCrc, the checksum a manifest records of each batch's entries: it depends on the
// entries' order and on where each key ends and its state begins; BatchWriter keeps it as
// entries are added, and it equals the checksum of what BatchReader reads back; MergeBatches
// reports it for the merged file.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "compaction/batch.h"
#include "tests/unit/compaction/test_util.h"

namespace tidekv::compaction {
namespace {

using testing::Contents;
using testing::Live;
using testing::TempDir;
using testing::Tombstone;

using Entries = std::vector<std::pair<std::string, std::string>>;  // (batch key, state)

uint32_t Fold(const Entries& entries) {
  uint32_t crc = 0;
  for (const auto& [key, state] : entries) crc = ContentCrc(crc, key, state);
  return crc;
}

// Every (key, encoded state) of a batch file, in file order.
Entries ReadEntries(const std::string& path) {
  auto reader = BatchReader::Open(path);
  INFO(reader.status().message());
  REQUIRE(reader.ok());
  Entries out;
  for ((*reader)->SeekToFirst(); (*reader)->Valid(); (*reader)->Next()) {
    out.emplace_back((*reader)->key(), (*reader)->value());
  }
  INFO((*reader)->status().message());
  REQUIRE((*reader)->status().ok());
  return out;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

TEST_CASE("ContentCrc depends on the entries' order", "[batch][crc]") {
  const std::string a = BatchKey(0, "a");
  const std::string b = BatchKey(0, "b");
  const std::string va = EncodeKeyState(Live("1"));
  const std::string vb = EncodeKeyState(Live("2"));
  CHECK(Fold({{a, va}, {b, vb}}) == Fold({{a, va}, {b, vb}}));
  CHECK(Fold({{a, va}, {b, vb}}) != Fold({{b, vb}, {a, va}}));
  // The same entry twice is not the same as once.
  CHECK(Fold({{a, va}, {a, va}}) != Fold({{a, va}}));
  // Values swapped between keys.
  CHECK(Fold({{a, va}, {b, vb}}) != Fold({{a, vb}, {b, va}}));
  // The seed carries the entries before.
  CHECK(ContentCrc(0, a, va) != ContentCrc(1, a, va));
}

TEST_CASE("ContentCrc depends on where a key ends and its state begins", "[batch][crc]") {
  const std::string state = EncodeKeyState(Live("value"));
  const std::string key = BatchKey(3, "key");
  // Moving the state's first byte to the end of the key, and the key's last byte to the
  // front of the state: the bytes fed are the same, the entries are not.
  CHECK(ContentCrc(0, key, state) != ContentCrc(0, key + state.substr(0, 1), state.substr(1)));
  CHECK(ContentCrc(0, key, state) !=
        ContentCrc(0, key.substr(0, key.size() - 1), key.substr(key.size() - 1) + state));
  // Everything in the key, or everything in the state.
  CHECK(ContentCrc(0, key, state) != ContentCrc(0, key + state, ""));
  CHECK(ContentCrc(0, key, state) != ContentCrc(0, "", key + state));
  // Across entries: a byte moved from one entry's state to the next entry's key.
  const std::string key2 = BatchKey(3, "other");
  CHECK(Fold({{key, state}, {key2, state}}) !=
        Fold({{key, state.substr(0, state.size() - 1)},
              {state.substr(state.size() - 1) + key2, state}}));
  // Splitting one entry into two with the same bytes.
  CHECK(Fold({{key, state}}) != Fold({{key, ""}, {"", state}}));
}

TEST_CASE("BatchWriter::content_crc equals ContentCrc over what BatchReader reads back",
          "[batch][crc]") {
  TempDir dir;
  std::mt19937_64 rng(11);
  Contents contents;
  while (contents.size() < 3000) {
    std::string key = RandomBytes(rng, 1 + rng() % 40);
    KeyState state;
    switch (rng() % 4) {
      case 0:
        state = Tombstone();
        break;
      case 1:
        state =
            Live(RandomBytes(rng, rng() % 200), 1700000000000 + static_cast<int64_t>(rng() % 9));
        break;
      case 2:  // some values span data blocks
        state = Live(RandomBytes(rng, rng() % 40000), 0, 2);
        break;
      default:
        state = Live(RandomBytes(rng, rng() % 16));
    }
    contents[BatchKey(static_cast<int>(rng() % 3), key)] = state;
  }
  const std::string path = dir.File("batch.sst");
  auto writer = BatchWriter::Create(path);
  REQUIRE(writer.ok());
  CHECK((*writer)->content_crc() == 0);
  Entries added;
  size_t running_mismatches = 0;
  for (const auto& [key, state] : contents) {
    added.emplace_back(key, EncodeKeyState(state));
    REQUIRE((*writer)->Add(added.back().first, added.back().second).ok());
    // The running value after every entry, not only at the end.
    if (added.size() % 97 == 0 && (*writer)->content_crc() != Fold(added)) running_mismatches++;
  }
  CHECK(running_mismatches == 0);
  // A refused Add (out of order) leaves the checksum alone.
  const uint32_t before = (*writer)->content_crc();
  CHECK_FALSE((*writer)->Add(BatchKey(0, ""), EncodeKeyState(Live("late"))).ok());
  CHECK((*writer)->content_crc() == before);
  const uint32_t written = (*writer)->content_crc();
  REQUIRE((*writer)->Finish().ok());

  const Entries read = ReadEntries(path);
  CHECK(read.size() == added.size());
  CHECK(read == added);
  CHECK(Fold(read) == written);
  CHECK(written == Fold(added));
}

TEST_CASE("an empty batch has content checksum 0", "[batch][crc]") {
  TempDir dir;
  auto writer = BatchWriter::Create(dir.File("empty.sst"));
  REQUIRE(writer.ok());
  REQUIRE((*writer)->Finish().ok());
  CHECK((*writer)->content_crc() == 0);
  CHECK(Fold(ReadEntries(dir.File("empty.sst"))) == 0);
}

TEST_CASE("MergeBatches reports the merged file's content checksum", "[merge][crc]") {
  TempDir dir;
  Contents older;
  Contents newer;
  for (int i = 0; i < 500; i++) {
    const std::string key = BatchKey(i % 2, "k" + std::to_string(i));
    older[key] = i % 7 == 0 ? Tombstone() : Live("old" + std::to_string(i), i % 5 == 0 ? 1000 : 0);
    if (i % 3 == 0) newer[key] = i % 4 == 0 ? Tombstone() : Live("new" + std::to_string(i));
  }
  newer[BatchKey(1, "only-new")] = Live("n");
  testing::WriteBatch(dir.File("older.sst"), older);
  testing::WriteBatch(dir.File("newer.sst"), newer);
  BatchMeta result;
  result.id = 9;
  result.lower = 10;
  result.upper = 30;
  result.level = 1;

  SECTION("a merge with entries") {
    const bool into_oldest = GENERATE(false, true);
    INFO("into_oldest " << into_oldest);
    const std::string out = dir.File(into_oldest ? "oldest.sst" : "middle.sst");
    auto merged =
        MergeBatches(dir.File("older.sst"), dir.File("newer.sst"), out, result, into_oldest);
    INFO(merged.status().message());
    REQUIRE(merged.ok());
    REQUIRE(merged->content_crc.has_value());
    const Entries entries = ReadEntries(out);
    CHECK_FALSE(entries.empty());
    CHECK(*merged->content_crc == Fold(entries));
    CHECK(merged->entries == entries.size());
  }

  SECTION("a merge whose result is empty reports checksum 0") {
    Contents gone;
    gone[BatchKey(0, "a")] = Tombstone();
    testing::WriteBatch(dir.File("t1.sst"), gone);
    testing::WriteBatch(dir.File("t2.sst"), gone);
    auto merged =
        MergeBatches(dir.File("t1.sst"), dir.File("t2.sst"), dir.File("none.sst"), result, true);
    REQUIRE(merged.ok());
    CHECK(merged->entries == 0);
    REQUIRE(merged->content_crc.has_value());
    CHECK(*merged->content_crc == 0);
  }
}

}  // namespace
}  // namespace tidekv::compaction
