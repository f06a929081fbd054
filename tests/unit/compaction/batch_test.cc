// KeyState and batch key encodings, and batch files written by BatchWriter and read back by
// BatchReader: round trips, empty batches, ordering, corrupt and truncated files.
#include "compaction/batch.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <vector>

#include "tests/unit/compaction/test_util.h"

namespace tidekv::compaction {
namespace {

using testing::Contents;
using testing::Live;
using testing::TempDir;
using testing::Tombstone;

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

TEST_CASE("KeyState round-trips through its encoding", "[batch]") {
  std::vector<KeyState> states = {
      KeyState{},
      Tombstone(),
      Live("hello", 0, 1),
      Live(std::string("a\0b\xff", 4), 1700000000123, 7),
      Live("", -5, 255),  // negative expiries are the server's business; kept as is
      Live(std::string(100000, 'x'), INT64_MAX, 3),
  };
  KeyState tomb_with_expiry = Tombstone();
  tomb_with_expiry.expire_at_ms = 42;
  states.push_back(tomb_with_expiry);
  for (const KeyState& state : states) {
    const std::string encoded = EncodeKeyState(state);
    REQUIRE(encoded.size() == 11 + state.value.size());
    auto decoded = DecodeKeyState(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == state);
    CHECK(IsTombstone(encoded) == state.tombstone);
    CHECK(ExpireAtOf(encoded) == state.expire_at_ms);
  }
}

TEST_CASE("KeyState encoding is the documented layout", "[batch]") {
  const std::string encoded = EncodeKeyState(Live("v", 0x0102030405060708, 9));
  const std::string want("\x01\x00\x08\x07\x06\x05\x04\x03\x02\x01\x09v", 12);
  CHECK(encoded == want);
  CHECK(EncodeKeyState(Tombstone())[1] == '\x01');
}

TEST_CASE("DecodeKeyState rejects malformed states", "[batch]") {
  const std::string good = EncodeKeyState(Live("value", 5));
  for (size_t n = 0; n < 11; n++) {
    auto r = DecodeKeyState(std::string_view(good).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kCorruption);
  }
  std::string bad_format = good;
  bad_format[0] = 2;
  CHECK(DecodeKeyState(bad_format).status().code() == StatusCode::kCorruption);
  std::string bad_flags = good;
  bad_flags[1] = 0x02;
  CHECK(DecodeKeyState(bad_flags).status().code() == StatusCode::kCorruption);
  // Short input never reads past the end in the cheap accessors.
  CHECK_FALSE(IsTombstone("\x01\x01"));
  CHECK(ExpireAtOf("\x01") == 0);
}

TEST_CASE("BatchKey round-trips and sorts by db then key bytes", "[batch]") {
  const std::string nul_key("a\0b", 3);
  const std::string high_key("\xff\xff", 2);
  for (int db : {0, 1, 15, 255, 256, 65535}) {
    for (std::string_view key : {std::string_view(""), std::string_view("k"),
                                 std::string_view(nul_key), std::string_view(high_key)}) {
      const std::string batch_key = BatchKey(db, key);
      auto [got_db, got_key] = SplitBatchKey(batch_key);
      CHECK(got_db == db);
      CHECK(got_key == key);
    }
  }
  CHECK(BatchKey(258, "x") == std::string("\x01\x02x", 3));
  CHECK(SplitBatchKey("\x01").first == -1);

  // Database first: every key of db 1 sorts after every key of db 0, even 0xFF keys.
  CHECK(BatchKey(0, high_key) < BatchKey(1, ""));
  CHECK(BatchKey(255, "z") < BatchKey(256, ""));
  // Then unsigned bytes: 0x00 < 'a' < 0xFF, and a prefix sorts first.
  CHECK(BatchKey(3, std::string("\0", 1)) < BatchKey(3, "a"));
  CHECK(BatchKey(3, "a") < BatchKey(3, std::string("a\0", 2)));
  CHECK(BatchKey(3, std::string("a\0", 2)) < BatchKey(3, "ab"));
  CHECK(BatchKey(3, "ab") < BatchKey(3, high_key));
  CHECK(BatchKey(3, "") < BatchKey(3, std::string("\0", 1)));
}

TEST_CASE("BatchMeta names its file by id", "[batch]") {
  BatchMeta meta;
  meta.id = 42;
  CHECK(meta.FileName() == "batch-00000000000000000042.sst");
  meta.id = UINT64_MAX;
  CHECK(meta.FileName() == "batch-18446744073709551615.sst");
}

TEST_CASE("a batch round-trips thousands of binary keys, tombstones and expiries", "[batch]") {
  TempDir dir;
  std::mt19937_64 rng(7);
  Contents contents;
  while (contents.size() < 5000) {
    const int db = static_cast<int>(rng() % 4);
    std::string key = RandomBytes(rng, 1 + rng() % 24);
    KeyState state;
    switch (rng() % 5) {
      case 0:
        state = Tombstone();
        break;
      case 1:
        state = Live(RandomBytes(rng, rng() % 300),
                     1700000000000 + static_cast<int64_t>(rng() % 100000));
        break;
      case 2:  // a few large values span several blocks
        state = Live(RandomBytes(rng, rng() % 200000), 0, 2);
        if (rng() % 20 != 0) state.value.resize(state.value.size() % 500);
        break;
      default:
        state = Live(RandomBytes(rng, rng() % 64), 0, static_cast<uint8_t>(rng()));
    }
    contents[BatchKey(db, key)] = state;
  }
  contents[BatchKey(0, "")] = Live("empty key");
  contents[BatchKey(65535, std::string("\xff\xff\xff", 3))] = Live(std::string("\0\0", 2));

  const std::string path = dir.File("batch.sst");
  const uint64_t bytes = testing::WriteBatch(path, contents);
  CHECK(bytes == std::filesystem::file_size(path));
  CHECK(testing::ReadBatch(path) == contents);
  CHECK(testing::ReadBatch(path, /*verify=*/false) == contents);

  auto reader = BatchReader::Open(path);
  REQUIRE(reader.ok());
  CHECK((*reader)->entries() == contents.size());
  CHECK((*reader)->path() == path);
  // Iterating twice gives the same result.
  size_t n = 0;
  for ((*reader)->SeekToFirst(); (*reader)->Valid(); (*reader)->Next()) n++;
  CHECK(n == contents.size());
}

TEST_CASE("an empty batch is a valid file that reads back as empty", "[batch]") {
  TempDir dir;
  const std::string path = dir.File("empty.sst");
  auto writer = BatchWriter::Create(path);
  REQUIRE(writer.ok());
  auto bytes = (*writer)->Finish();
  REQUIRE(bytes.ok());
  CHECK(*bytes > 0);
  CHECK(*bytes == std::filesystem::file_size(path));
  CHECK((*writer)->entries() == 0);

  auto reader = BatchReader::Open(path, /*verify=*/true);
  REQUIRE(reader.ok());
  CHECK((*reader)->entries() == 0);
  (*reader)->SeekToFirst();
  CHECK_FALSE((*reader)->Valid());
  CHECK((*reader)->status().ok());
}

TEST_CASE("BatchWriter rejects bad input and stays usable", "[batch]") {
  TempDir dir;
  const std::string path = dir.File("order.sst");
  auto writer = BatchWriter::Create(path);
  REQUIRE(writer.ok());
  BatchWriter& w = **writer;
  const std::string state = EncodeKeyState(Live("v"));
  REQUIRE(w.Add(BatchKey(0, "b"), state).ok());

  Status s = w.Add(BatchKey(0, "a"), state);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find(path) != std::string::npos);
  CHECK(w.Add(BatchKey(0, "b"), state).code() == StatusCode::kInvalidArgument);  // duplicate
  CHECK(w.Add("\x00", state).code() == StatusCode::kInvalidArgument);            // no db
  CHECK(w.Add(BatchKey(0, "c"), "junk").code() == StatusCode::kInvalidArgument);
  REQUIRE(w.Add(BatchKey(0, "c"), state).ok());
  CHECK(w.entries() == 2);
  REQUIRE(w.Finish().ok());
  CHECK(w.Finish().status().code() == StatusCode::kInvalidArgument);
  CHECK(w.Add(BatchKey(0, "d"), state).code() == StatusCode::kInvalidArgument);

  const Contents want = {{BatchKey(0, "b"), Live("v")}, {BatchKey(0, "c"), Live("v")}};
  CHECK(testing::ReadBatch(path) == want);
}

TEST_CASE("an unfinished writer removes its partial file", "[batch]") {
  TempDir dir;
  const std::string path = dir.File("abandoned.sst");
  {
    auto writer = BatchWriter::Create(path);
    REQUIRE(writer.ok());
    REQUIRE((*writer)->Add(BatchKey(0, "k"), EncodeKeyState(Live("v"))).ok());
    CHECK(std::filesystem::exists(path));
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("missing files and directories are errors naming the path", "[batch]") {
  TempDir dir;
  const std::string missing = dir.File("nope.sst");
  auto reader = BatchReader::Open(missing);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.status().message().find(missing) != std::string::npos);

  const std::string bad_dir = dir.File("no/such/dir/batch.sst");
  auto writer = BatchWriter::Create(bad_dir);
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.status().message().find(bad_dir) != std::string::npos);
}

Contents SomeContents(size_t n) {
  std::mt19937_64 rng(11);
  Contents contents;
  for (size_t i = 0; i < n; i++) {
    contents[BatchKey(0, "key:" + std::to_string(i))] = Live(RandomBytes(rng, 100));
  }
  return contents;
}

TEST_CASE("a corrupted batch is reported as Corruption naming the file", "[batch]") {
  TempDir dir;
  const std::string path = dir.File("corrupt.sst");
  const Contents contents = SomeContents(3000);
  testing::WriteBatch(path, contents);
  std::string bytes = testing::ReadFileBytes(path);
  REQUIRE(bytes.size() > 100000);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; i++) bytes[i] ^= 0x5A;
  testing::WriteFileBytes(path, bytes);

  auto verified = BatchReader::Open(path, /*verify=*/true);
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.status().code() == StatusCode::kCorruption);
  CHECK(verified.status().message().find(path) != std::string::npos);

  // Without the up-front verification, the corrupt block is still caught when read.
  auto unverified = BatchReader::Open(path, /*verify=*/false);
  if (unverified.ok()) {
    size_t n = 0;
    for ((*unverified)->SeekToFirst(); (*unverified)->Valid(); (*unverified)->Next()) n++;
    CHECK(n < contents.size());
    CHECK((*unverified)->status().code() == StatusCode::kCorruption);
    CHECK((*unverified)->status().message().find(path) != std::string::npos);
  } else {
    CHECK(unverified.status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("a truncated batch fails to open", "[batch]") {
  TempDir dir;
  const std::string path = dir.File("batch.sst");
  testing::WriteBatch(path, SomeContents(2000));
  const std::string bytes = testing::ReadFileBytes(path);
  const std::string empty_path = dir.File("empty.sst");
  testing::WriteBatch(empty_path, {});
  const std::string empty_bytes = testing::ReadFileBytes(empty_path);

  const std::string cut_path = dir.File("cut.sst");
  for (size_t keep : {size_t{0}, size_t{1}, size_t{47}, bytes.size() / 3, bytes.size() / 2,
                      bytes.size() - 60, bytes.size() - 1}) {
    testing::WriteFileBytes(cut_path, bytes.substr(0, keep));
    auto reader = BatchReader::Open(cut_path);
    INFO("kept " << keep << " of " << bytes.size());
    REQUIRE_FALSE(reader.ok());
    CHECK(reader.status().message().find(cut_path) != std::string::npos);
  }
  // The empty batch's marker file is not confused with a truncated one either.
  for (size_t keep : {size_t{0}, empty_bytes.size() / 2, empty_bytes.size() - 1}) {
    testing::WriteFileBytes(cut_path, empty_bytes.substr(0, keep));
    CHECK_FALSE(BatchReader::Open(cut_path).ok());
  }
}

}  // namespace
}  // namespace tidekv::compaction
