// InspectNewestWal against hand-built files in RocksDB's log format.
#include "logstore/wal_tail.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

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
}  // namespace tidekv::logstore
