#include "logstore/log_store.h"

#include <rocksdb/db.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/logstore/test_util.h"

namespace tidekv::logstore {
namespace {

using testing::Chunk;
using testing::OpenStore;
using testing::Range;
using testing::ReadOffsets;
using testing::TempDir;

std::string BigEndian(uint64_t v) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; i++) key[i] = static_cast<char>(v >> (56 - 8 * i));
  return key;
}

// The log's RocksDB opened directly, the way an outside tool (or a disk) could change it.
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"frames", {}}, {"meta", {}}};
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir + "/log", families, &handles_, &db_).ok());
  }
  ~RawDb() {
    for (auto* h : handles_) REQUIRE(db_->DestroyColumnFamilyHandle(h).ok());
    REQUIRE(db_->Close().ok());
    delete db_;
  }
  std::string GetChunk(uint64_t key) {
    std::string value;
    REQUIRE(db_->Get({}, handles_[1], BigEndian(key), &value).ok());
    return value;
  }
  void PutChunk(uint64_t key, const std::string& value) {
    REQUIRE(db_->Put({}, handles_[1], BigEndian(key), value).ok());
  }

 private:
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

// Appends chunks of the given sizes from the store's next offset; returns the chunk starts.
std::vector<uint64_t> AppendChunks(LogStore& store, const std::vector<uint32_t>& sizes) {
  std::vector<uint64_t> starts;
  for (uint32_t n : sizes) {
    const uint64_t first = store.NextOffset();
    starts.push_back(first);
    REQUIRE(store.Append(first, n, Chunk(first, n), {}, /*sync=*/false).ok());
    REQUIRE(store.NextOffset() == first + n);
  }
  return starts;
}

TEST_CASE("logstore: a new store is empty", "[logstore]") {
  TempDir dir;
  OpenReport report;
  auto store = OpenStore(dir.path(), &report);
  CHECK(store->FirstOffset() == 0);
  CHECK(store->NextOffset() == 0);
  CHECK(report.chunks == 0);
  CHECK_FALSE(report.dropped_torn_tail);
  CHECK(store->path() == dir.path() + "/log");
  CHECK(ReadOffsets(*store, 0).empty());
  CHECK(ReadOffsets(*store, 100).empty());
  CHECK_FALSE(store->GetMeta("manifest").has_value());
}

TEST_CASE("logstore: MemtableBytes follows appends and flushes", "[logstore]") {
  // maxmemory leaves this memory out of the dataset before every write, so it must be
  // current without a sample: it grows with the appends and drops once a flush frees them.
  TempDir dir;
  auto store = OpenStore(dir.path());
  const uint64_t empty = store->MemtableBytes();
  for (int i = 0; i < 200; i++) AppendChunks(*store, {50});
  const uint64_t full = store->MemtableBytes();
  CHECK(full > empty + 200 * 50 * 8);
  CHECK(store->MemoryUsage() >= full);
  REQUIRE(store->Flush().ok());
  // The flushed memtable is freed once RocksDB drops its last reference, which may come
  // just after Flush returns.
  CHECK(testing::WaitFor([&] { return store->MemtableBytes() < full; }, std::chrono::seconds(10)));
}

TEST_CASE("logstore: a truncation that empties the log frees the memtable", "[logstore]") {
  // An idle server's memory falls back to its dataset: once a seal made every chunk
  // obsolete, the memtable that held them is flushed and freed. A truncation that keeps
  // chunks keeps the memtable (it still serves reads).
  TempDir dir;
  auto store = OpenStore(dir.path());
  while (store->MemtableBytes() < 2 * LogStore::kIdleMemtableReleaseBytes) {
    AppendChunks(*store, {200});
  }
  const uint64_t full = store->MemtableBytes();
  const uint64_t end = store->NextOffset();
  REQUIRE(store->CommitMeta({{"manifest", "a"}}, end - 100, false).ok());
  CHECK(store->FirstOffset() < end);
  CHECK(store->FlushesPending() == 0);
  CHECK(store->MemtableBytes() >= full);

  REQUIRE(store->CommitMeta({{"manifest", "b"}}, end, false).ok());
  CHECK(store->FirstOffset() == end);
  CHECK(testing::WaitFor(
      [&] {
        return store->FlushesPending() == 0 &&
               store->MemtableBytes() < LogStore::kIdleMemtableReleaseBytes;
      },
      std::chrono::seconds(10)));
  // Nothing comes back, and the log goes on from where it was, across a reopen too.
  CHECK(ReadOffsets(*store, 0).empty());
  AppendChunks(*store, {3});
  CHECK(ReadOffsets(*store, end) == Range(end, end + 3));
  store.reset();
  store = OpenStore(dir.path());
  CHECK(store->FirstOffset() == end);
  CHECK(ReadOffsets(*store, end) == Range(end, end + 3));
  CHECK(store->GetMeta("manifest") == "b");
}

// The WAL files in the store's directory.
std::vector<std::filesystem::path> WalFiles(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/log")) {
    if (e.path().extension() == ".log") files.push_back(e.path());
  }
  return files;
}

TEST_CASE("logstore: every WAL file carries the meta values", "[logstore]") {
  // RocksDB starts WAL files of its own (here: a small write buffer fills again and again);
  // each must hold the directory's identity, so that a copy from another directory is
  // recognised. The WAL is not compressed: the value's bytes are in the file as written.
  TempDir dir;
  LogStoreOptions options;
  options.write_buffer_size = 256 << 10;
  auto store = OpenStore(dir.path(), nullptr, options);
  const std::string identity = "dir-identity-5c1e0d";
  REQUIRE(store->CommitMeta({{"dir_id", identity}}, 0, false).ok());
  for (int i = 0; i < 2000 && WalFiles(dir.path()).size() < 4; i++) AppendChunks(*store, {100});
  REQUIRE(store->Sync().ok());
  const std::vector<std::filesystem::path> wals = WalFiles(dir.path());
  REQUIRE(wals.size() >= 4);
  for (const auto& wal : wals) {
    std::ifstream in(wal, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(wal << " (" << bytes.size() << " bytes)");
    if (bytes.empty()) continue;  // the newest may not be written to yet
    CHECK(bytes.find(identity) != std::string::npos);
  }
  // The values written again are the same ones: nothing changed.
  store.reset();
  store = OpenStore(dir.path(), nullptr, options);
  CHECK(store->GetMeta("dir_id") == identity);
}

TEST_CASE("logstore: reads from every offset across chunk boundaries", "[logstore]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  AppendChunks(*store, {1, 3, 5, 2, 1, 7, 4});
  const uint64_t end = store->NextOffset();
  REQUIRE(end == 23);
  for (uint64_t from = 0; from <= end + 2; from++) {
    INFO("from " << from);
    CHECK(ReadOffsets(*store, from) == Range(std::min(from, end), end));
  }
  // A reader sees the log as of ReadFrom, even when more is appended meanwhile.
  auto reader = store->ReadFrom(20);
  REQUIRE(reader.ok());
  AppendChunks(*store, {2});
  int n = 0;
  for (;;) {
    auto next = (*reader)->Next();
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    n++;
  }
  CHECK(n == 3);
}

TEST_CASE("logstore: append checks the offset and the count", "[logstore]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  AppendChunks(*store, {3});
  Status s = store->Append(5, 1, Chunk(5, 1), {}, false);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  s = store->Append(2, 1, Chunk(2, 1), {}, false);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  s = store->Append(3, 0, "", {}, false);
  CHECK(s.code() == StatusCode::kInvalidArgument);
#ifndef NDEBUG
  s = store->Append(3, 2, Chunk(3, 3), {}, false);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  s = store->Append(3, 1, Chunk(4, 1), {}, false);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  s = store->Append(3, 1, Chunk(3, 1).substr(1), {}, false);
  CHECK(s.code() == StatusCode::kInvalidArgument);
#endif
  CHECK(store->NextOffset() == 3);
  CHECK(ReadOffsets(*store, 0) == Range(0, 3));
}

TEST_CASE("logstore: reopening keeps offsets and frames", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {4, 4, 2});
    REQUIRE(store->Sync().ok());
  }
  for (bool verify : {true, false}) {
    INFO("verify_on_open " << verify);
    LogStoreOptions options;
    options.verify_on_open = verify;
    OpenReport report;
    auto store = OpenStore(dir.path(), &report, options);
    CHECK(store->FirstOffset() == 0);
    CHECK(store->NextOffset() == 10);
    CHECK(report.first_offset == 0);
    CHECK(report.next_offset == 10);
    if (verify) CHECK(report.chunks == 3);
    CHECK(ReadOffsets(*store, 3) == Range(3, 10));
  }
  {
    // Continues where it stopped, and a flushed log (SST files, no WAL replay) reads alike.
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {5});
    REQUIRE(store->Flush().ok());
  }
  auto store = OpenStore(dir.path());
  CHECK(store->NextOffset() == 15);
  CHECK(ReadOffsets(*store, 0) == Range(0, 15));
}

TEST_CASE("logstore: open without create_if_missing fails on a missing store", "[logstore]") {
  TempDir dir;
  LogStoreOptions options;
  options.create_if_missing = false;
  auto store = LogStore::Open(dir.path() + "/nothing", options, nullptr);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message().find(dir.path() + "/nothing/log") != std::string::npos);
}

TEST_CASE("logstore: meta is written with the chunk, atomically", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    REQUIRE(store->Append(0, 2, Chunk(0, 2), {{"applied", "2"}, {"replid", "abc"}}, true).ok());
    CHECK(store->GetMeta("applied") == "2");
    // A failed append writes neither the chunk nor its meta.
    store->InjectWriteErrorForTest(1);
    Status s = store->Append(2, 1, Chunk(2, 1), {{"applied", "3"}}, true);
    CHECK(s.code() == StatusCode::kIOError);
    CHECK(store->NextOffset() == 2);
    CHECK(store->GetMeta("applied") == "2");
    REQUIRE(store->CommitMeta({{"manifest", std::string("m\0\xff", 3)}}, 0, true).ok());
  }
  auto store = OpenStore(dir.path());
  CHECK(store->GetMeta("applied") == "2");
  CHECK(store->GetMeta("replid") == "abc");
  CHECK(store->GetMeta("manifest") == std::string("m\0\xff", 3));
  auto read = store->ReadMeta("nothing");
  REQUIRE(read.ok());
  CHECK_FALSE(read->has_value());
  CHECK(ReadOffsets(*store, 0) == Range(0, 2));
}

TEST_CASE("logstore: truncation removes whole chunks below the offset", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {5, 5, 5, 5});  // chunks at 0, 5, 10, 15
    REQUIRE(store->CommitMeta({{"manifest", "m1"}}, 12, true).ok());
    CHECK(store->FirstOffset() == 10);  // the chunk holding 12 stays
    CHECK(store->GetMeta("manifest") == "m1");
    CHECK(ReadOffsets(*store, 10) == Range(10, 20));
    CHECK(ReadOffsets(*store, 12) == Range(12, 20));
    CHECK(store->ReadFrom(9).status().code() == StatusCode::kOutOfRange);
    CHECK(store->ReadFrom(0).status().code() == StatusCode::kOutOfRange);
    // Truncating at or below the first offset changes nothing.
    REQUIRE(store->CommitMeta({}, 10, true).ok());
    REQUIRE(store->CommitMeta({}, 3, true).ok());
    CHECK(store->FirstOffset() == 10);
    // Exactly at a chunk start: that chunk stays, the one before goes.
    REQUIRE(store->CommitMeta({}, 15, true).ok());
    CHECK(store->FirstOffset() == 15);
  }
  {
    OpenReport report;
    auto store = OpenStore(dir.path(), &report);
    CHECK(store->FirstOffset() == 15);
    CHECK(store->NextOffset() == 20);
    CHECK(report.chunks == 1);
    CHECK(ReadOffsets(*store, 15) == Range(15, 20));
    // Everything: the log is empty but remembers where it goes on.
    REQUIRE(store->CommitMeta({{"manifest", "m2"}}, 1000, true).ok());
    CHECK(store->FirstOffset() == 20);
    CHECK(store->NextOffset() == 20);
    CHECK(ReadOffsets(*store, 20).empty());
  }
  auto store = OpenStore(dir.path());
  CHECK(store->FirstOffset() == 20);
  CHECK(store->NextOffset() == 20);
  CHECK(store->GetMeta("manifest") == "m2");
  AppendChunks(*store, {3});
  CHECK(ReadOffsets(*store, 20) == Range(20, 23));
  CHECK(store->FirstOffset() == 20);
}

TEST_CASE("logstore: reset starts over at a given offset", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {5, 5});
    REQUIRE(store->Reset(1000, {{"replid", "new"}}, true).ok());
    CHECK(store->FirstOffset() == 1000);
    CHECK(store->NextOffset() == 1000);
    // With no chunk at all there is nothing to compare with: an empty reader.
    CHECK(store->ReadFrom(5).status().code() == StatusCode::kOk);
    CHECK(ReadOffsets(*store, 1000).empty());
  }
  {
    auto store = OpenStore(dir.path());
    CHECK(store->FirstOffset() == 1000);
    CHECK(store->NextOffset() == 1000);
    CHECK(store->GetMeta("replid") == "new");
    AppendChunks(*store, {2, 2});
    CHECK(ReadOffsets(*store, 1000) == Range(1000, 1004));
    CHECK(store->ReadFrom(999).status().code() == StatusCode::kOutOfRange);
  }
  auto store = OpenStore(dir.path());
  CHECK(store->FirstOffset() == 1000);
  CHECK(store->NextOffset() == 1004);
}

TEST_CASE("logstore: a torn last chunk is dropped and reported", "[logstore]") {
  for (bool verify : {true, false}) {
    INFO("verify_on_open " << verify);
    TempDir dir;
    {
      auto store = OpenStore(dir.path());
      AppendChunks(*store, {3, 3, 4});  // chunks at 0, 3, 6
    }
    {
      RawDb raw(dir.path());
      const std::string last = raw.GetChunk(6);
      raw.PutChunk(6, last.substr(0, last.size() - 3));
    }
    LogStoreOptions options;
    options.verify_on_open = verify;
    OpenReport report;
    {
      auto store = OpenStore(dir.path(), &report, options);
      CHECK(report.dropped_torn_tail);
      CHECK(report.torn_tail_detail.find("offset 6") != std::string::npos);
      CHECK(report.next_offset == 6);
      CHECK(store->NextOffset() == 6);
      CHECK(ReadOffsets(*store, 0) == Range(0, 6));
      // The writer continues at the dropped chunk's offset.
      AppendChunks(*store, {2});
    }
    auto store = OpenStore(dir.path(), &report, options);
    CHECK_FALSE(report.dropped_torn_tail);
    CHECK(ReadOffsets(*store, 0) == Range(0, 8));
  }
}

TEST_CASE("logstore: a torn only chunk leaves an empty log at its offset", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    REQUIRE(store->Reset(50, {}, true).ok());
    AppendChunks(*store, {4});
  }
  {
    RawDb raw(dir.path());
    // Garbage rather than a clean cut: also what a crash can leave.
    std::string value = raw.GetChunk(50);
    const size_t at = value.find('$', value.size() / 2);
    REQUIRE(at != std::string::npos);
    value[at] = '!';
    raw.PutChunk(50, value);
  }
  OpenReport report;
  {
    auto store = OpenStore(dir.path(), &report);
    CHECK(report.dropped_torn_tail);
    CHECK(store->FirstOffset() == 50);
    CHECK(store->NextOffset() == 50);
    CHECK(ReadOffsets(*store, 50).empty());
  }
  auto store = OpenStore(dir.path(), &report);
  CHECK_FALSE(report.dropped_torn_tail);
  CHECK(store->NextOffset() == 50);
}

TEST_CASE("logstore: a corrupt chunk in the middle fails Open", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {3, 3, 3, 3});  // chunks at 0, 3, 6, 9
  }
  {
    RawDb raw(dir.path());
    const std::string chunk = raw.GetChunk(3);
    raw.PutChunk(3, chunk.substr(0, chunk.size() - 1));
  }
  auto store = LogStore::Open(dir.path(), {}, nullptr);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kCorruption);
  CHECK(store.status().message().find(dir.path() + "/log") != std::string::npos);
  CHECK(store.status().message().find("chunk 3 ") != std::string::npos);

  // Checking only the tail opens, and the reader stops at the damage, naming it.
  LogStoreOptions tail_only;
  tail_only.verify_on_open = false;
  auto opened = OpenStore(dir.path(), nullptr, tail_only);
  CHECK(opened->NextOffset() == 12);
  auto reader = opened->ReadFrom(0);
  REQUIRE(reader.ok());
  Status error;
  for (int i = 0; i < 20 && error.ok(); i++) {
    auto next = (*reader)->Next();
    if (!next.ok()) error = next.status();
  }
  CHECK(error.code() == StatusCode::kCorruption);
  CHECK(error.message().find("chunk 3 ") != std::string::npos);
}

TEST_CASE("logstore: chunks that do not follow each other fail Open", "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {3, 3});
  }
  {
    RawDb raw(dir.path());
    raw.PutChunk(10, Chunk(10, 2));  // a gap: 6..9 missing
  }
  for (bool verify : {true, false}) {
    LogStoreOptions options;
    options.verify_on_open = verify;
    auto store = LogStore::Open(dir.path(), options, nullptr);
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == StatusCode::kCorruption);
    CHECK(store.status().message().find("chunk 10 ") != std::string::npos);
  }
}

TEST_CASE("logstore: a chunk with wrong frame offsets is corruption, not a torn tail",
          "[logstore]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    AppendChunks(*store, {3, 3});
  }
  {
    RawDb raw(dir.path());
    raw.PutChunk(3, Chunk(4, 3));
  }
  auto store = LogStore::Open(dir.path(), {}, nullptr);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kCorruption);
}

TEST_CASE("logstore: Bytes grows with appends and shrinks with truncation", "[logstore]") {
  TempDir dir;
  LogStoreOptions options;
  options.write_buffer_size = 256 * 1024;  // reach SST files quickly
  auto store = OpenStore(dir.path(), nullptr, options);
  CHECK(store->Bytes() < 1024);
  // ~2 MiB in 64 chunks of 16 frames of ~2 KiB (random-ish values so LZ4 cannot erase them).
  uint64_t state = 88172645463325252ull;
  for (int c = 0; c < 64; c++) {
    std::string frames;
    const uint64_t first = store->NextOffset();
    for (uint64_t o = first; o < first + 16; o++) {
      std::string value(2048, '\0');
      for (char& ch : value) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ch = static_cast<char>(state);
      }
      const std::string key = testing::KeyFor(o);
      const std::vector<std::string_view> argv = {"SET", key, value};
      proto::EncodeFrame(o, static_cast<int>(o % 3), argv, &frames);
    }
    REQUIRE(store->Append(first, 16, frames, {}, false).ok());
  }
  const uint64_t in_memtable_and_files = store->Bytes();
  CHECK(in_memtable_and_files > 1 * 1024 * 1024);
  REQUIRE(store->Flush().ok());
  const uint64_t full = store->Bytes();
  CHECK(full > 1 * 1024 * 1024);
  CHECK(full < 4 * 1024 * 1024);
  REQUIRE(store->CommitMeta({}, store->NextOffset() - 100, true).ok());
  const uint64_t truncated = store->Bytes();
  INFO("full " << full << " truncated " << truncated);
  CHECK(truncated < full / 4);
  CHECK(ReadOffsets(*store, store->FirstOffset()).size() ==
        store->NextOffset() - store->FirstOffset());
}

TEST_CASE("logstore: injected errors fail writes and leave the store usable", "[logstore]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  AppendChunks(*store, {2});
  store->InjectWriteErrorForTest(3);
  CHECK(store->Append(2, 1, Chunk(2, 1), {}, true).code() == StatusCode::kIOError);
  CHECK(store->Sync().code() == StatusCode::kIOError);
  CHECK(store->CommitMeta({{"a", "b"}}, 0, true).code() == StatusCode::kIOError);
  CHECK(store->Append(2, 1, Chunk(2, 1), {}, true).ok());
  CHECK(store->Sync().ok());
  CHECK(ReadOffsets(*store, 0) == Range(0, 3));
  CHECK_FALSE(store->GetMeta("a").has_value());
}

}  // namespace
}  // namespace tidekv::logstore
