// InspectNewestWal against hand-built files in RocksDB's log format; LastValuesInWals against
// the WAL files a real log store wrote.
#include "logstore/wal_tail.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "logstore/log_store.h"
#include "tests/unit/logstore/test_util.h"

namespace tidekv::logstore {
namespace {

namespace fs = std::filesystem;

// One physical record: crc (not checked here), length, type, payload.
std::string Physical(uint8_t type, const std::string& payload) {
  std::string r(4, '\0');
  r.push_back(static_cast<char>(payload.size() & 0xFF));
  r.push_back(static_cast<char>(payload.size() >> 8));
  r.push_back(static_cast<char>(type));
  return r + payload;
}

void Write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST_CASE("InspectNewestWal finds torn tails and accepts whole files", "[logstore][wal]") {
  testing::TempDir dir;
  const fs::path d(dir.path());
  CHECK_FALSE(InspectNewestWal(d.string()).torn);  // no WAL at all

  const std::string whole = Physical(1, "abc") + Physical(1, std::string(100, 'x'));
  Write(d / "000007.log", whole);
  CHECK_FALSE(InspectNewestWal(d.string()).torn);

  // Only the newest file (by number) counts.
  Write(d / "000003.log", whole.substr(0, whole.size() - 5));
  CHECK_FALSE(InspectNewestWal(d.string()).torn);

  SECTION("payload cut short") {
    Write(d / "000009.log", whole.substr(0, whole.size() - 5));
    const WalTail tail = InspectNewestWal(d.string());
    CHECK(tail.torn);
    CHECK(tail.torn_bytes == 7 + 95);
    CHECK_THAT(tail.detail, Catch::Contains("000009.log"));
  }
  SECTION("header cut short") {
    Write(d / "000009.log", whole + std::string("\x01\x02\x03", 3));
    CHECK(InspectNewestWal(d.string()).torn);
  }
  SECTION("zeros after the last record are preallocation, not a torn record") {
    Write(d / "000009.log", whole + std::string(3, '\0'));
    CHECK_FALSE(InspectNewestWal(d.string()).torn);
    Write(d / "000010.log", whole + std::string(40000, '\0'));
    CHECK_FALSE(InspectNewestWal(d.string()).torn);
  }
  SECTION("a record split across blocks without its last fragment") {
    // The first fragment fills block 0 exactly; the file ends before the next fragment.
    const std::string first = Physical(2, std::string(32 * 1024 - 7, 'a'));
    Write(d / "000009.log", first);
    CHECK(InspectNewestWal(d.string()).torn);
    Write(d / "000010.log", first + Physical(4, "tail"));
    CHECK_FALSE(InspectNewestWal(d.string()).torn);
  }
}

}  // namespace

TEST_CASE("LastValuesInWals reads each WAL file's last value of a key", "[logstore][wal]") {
  // A store whose small write buffer makes RocksDB start several WAL files; each is stamped
  // with the meta (log_store.h), so each names the directory id. A manifest of 40 KiB crosses
  // a 32 KiB block: a fragmented record is reassembled.
  testing::TempDir dir;
  LogStoreOptions options;
  options.write_buffer_size = 256 << 10;
  auto store = testing::OpenStore(dir.path(), nullptr, options);
  const std::string manifest(40 << 10, 'm');
  REQUIRE(store->CommitMeta({{"dir_id", "first"}, {"manifest", manifest}}, 0, false).ok());
  REQUIRE(store->CommitMeta({{"dir_id", "second"}}, 0, false).ok());
  for (int i = 0; i < 2000; i++) {
    const uint64_t first = store->NextOffset();
    REQUIRE(store->Append(first, 100, testing::Chunk(first, 100), {}, false).ok());
    if (LastValuesInWals(dir.path() + "/log", "dir_id").size() >= 3) break;
  }
  const auto ids = LastValuesInWals(dir.path() + "/log", "dir_id");
  REQUIRE(ids.size() >= 3);
  for (const auto& [file, id] : ids) {
    INFO(file);
    CHECK(id == "second");  // the last put of each file
  }
  const auto manifests = LastValuesInWals(dir.path() + "/log", "manifest");
  REQUIRE_FALSE(manifests.empty());
  for (const auto& [file, value] : manifests) CHECK(value == manifest);
  CHECK(LastValuesInWals(dir.path() + "/log", "no such key").empty());
  CHECK(LastValuesInWals(dir.path() + "/nothing", "dir_id").empty());
}

}  // namespace tidekv::logstore
