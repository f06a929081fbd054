// Writer and Reader against real files: block-crossing streams, torn tails, damaged files.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/unit/trace/test_util.h"
#include "trace/format.h"

namespace tidekv::trace {
namespace {

using testing::Command;
using testing::EveryType;
using testing::Lifecycle;
using testing::Nested;
using testing::ReadFileBytes;
using testing::SampleHeader;
using testing::TempDir;
using testing::WriteFileBytes;

constexpr size_t kBlock = size_t{1} << 20;  // the Reader's block size

std::string Encode(const Record& record) {
  std::string out;
  EncodeRecord(record, &out);
  return out;
}

// Records of assorted sizes, some larger than a block, so that records start, end and
// straddle block boundaries in many ways. Ids are positions.
std::vector<Record> ManyRecords() {
  std::vector<Record> records;
  for (uint64_t i = 0; records.size() < 4000; i++) {
    const uint64_t id = records.size();
    if (i % 500 == 250) {
      records.push_back(Command(id, {"SET", "big", std::string(kBlock + 1000 + i, 'v')}, "+OK"));
    } else if (i % 7 == 3) {
      records.push_back(Lifecycle(RecordType::kConnect, id, "addr=10.0.0." + std::to_string(i)));
    } else {
      std::string value(static_cast<size_t>((i * 7919) % 3000), static_cast<char>(i));
      records.push_back(Command(id, {"SET", "key:" + std::to_string(i), value, ""}, "+OK\r\n"));
    }
  }
  return records;
}

// Writes a header and the records with Writer; returns the byte offset of each record.
std::vector<uint64_t> WriteTrace(const std::string& path, const std::vector<Record>& records) {
  auto writer = Writer::Create(path, SampleHeader());
  REQUIRE(writer.ok());
  std::vector<uint64_t> offsets;
  std::string batch;
  for (const Record& record : records) {
    offsets.push_back((*writer)->bytes() + batch.size());
    EncodeRecord(record, &batch);
    if (batch.size() > 100'000) {
      REQUIRE((*writer)->Append(batch).ok());
      batch.clear();
    }
  }
  REQUIRE((*writer)->Append(batch).ok());
  REQUIRE((*writer)->Flush().ok());
  CHECK((*writer)->bytes() == std::filesystem::file_size(path));
  return offsets;
}

std::unique_ptr<Reader> OpenOk(const std::string& path) {
  auto reader = Reader::Open(path);
  INFO(reader.status().message());
  REQUIRE(reader.ok());
  return std::move(reader).value();
}

// Reads records from reader, which must be the ones in want, in order.
void CheckReadsBack(Reader& reader, const std::vector<Record>& want) {
  Record record;
  for (const Record& expected : want) {
    auto more = reader.Next(&record);
    REQUIRE(more.ok());
    REQUIRE(*more);
    REQUIRE(record == expected);
  }
}

Status OpenError(const std::string& path) {
  auto reader = Reader::Open(path);
  REQUIRE_FALSE(reader.ok());
  return reader.status();
}

// Reads until Next returns false; REQUIREs no error. Returns the record ids.
std::vector<uint64_t> ReadIds(Reader& reader) {
  std::vector<uint64_t> ids;
  Record record;
  while (true) {
    auto more = reader.Next(&record);
    INFO(more.status().message());
    REQUIRE(more.ok());
    if (!*more) return ids;
    ids.push_back(record.id);
  }
}

TEST_CASE("reader streams many records across block boundaries", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("many.trace");
  const std::vector<Record> records = ManyRecords();
  WriteTrace(path, records);
  REQUIRE(std::filesystem::file_size(path) > 8 * kBlock);

  auto reader = OpenOk(path);
  CHECK(reader->header() == SampleHeader());
  CheckReadsBack(*reader, records);
  Record record;
  auto more = reader->Next(&record);
  REQUIRE(more.ok());
  CHECK_FALSE(*more);
  CHECK(reader->records_read() == records.size());
  CHECK_FALSE(reader->torn_tail());
  CHECK(reader->torn_bytes() == 0);
  // The end stays the end.
  more = reader->Next(&record);
  REQUIRE(more.ok());
  CHECK_FALSE(*more);
}

TEST_CASE("writer output is the header and the appended bytes", "[trace][writer]") {
  TempDir dir;
  const std::string path = dir.File("small.trace");
  const std::vector<Record> records = EveryType();
  WriteTrace(path, records);
  std::string expected = EncodeHeader(SampleHeader());
  for (const Record& record : records) EncodeRecord(record, &expected);
  CHECK(ReadFileBytes(path) == expected);

  CheckReadsBack(*OpenOk(path), records);
}

TEST_CASE("a header-only file has no records", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("empty.trace");
  WriteTrace(path, {});
  auto reader = OpenOk(path);
  CHECK(ReadIds(*reader).empty());
  CHECK(reader->records_read() == 0);
  CHECK_FALSE(reader->torn_tail());
}

// Truncates the file at each cut (all within its last record) and checks that the reader
// returns all earlier records, then a clean end (cut at the record's start) or a torn one.
void CheckCuts(const std::string& path, const std::vector<Record>& records,
               const std::vector<uint64_t>& offsets, std::vector<uint64_t> cuts) {
  const uint64_t last_start = offsets.back();
  std::vector<uint64_t> earlier;
  for (size_t i = 0; i + 1 < records.size(); i++) earlier.push_back(records[i].id);
  std::sort(cuts.rbegin(), cuts.rend());  // truncate shrinks, so longest first
  for (uint64_t cut : cuts) {
    INFO("cut at " << cut << " (last record starts at " << last_start << ")");
    REQUIRE(cut >= last_start);
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(cut)) == 0);
    auto reader = OpenOk(path);
    CHECK(ReadIds(*reader) == earlier);
    CHECK(reader->records_read() == records.size() - 1);
    CHECK(reader->torn_tail() == (cut > last_start));
    CHECK(reader->torn_bytes() == cut - last_start);
  }
}

TEST_CASE("a torn tail at every cut point of the last record", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("torn.trace");
  std::vector<Record> records = EveryType();
  records.push_back(Command(11, {"MSET", "a", std::string(300, 'x'), "b", ""}, "+OK\r\n"));
  const std::vector<uint64_t> offsets = WriteTrace(path, records);
  std::vector<uint64_t> cuts;
  for (uint64_t cut = offsets.back(); cut < std::filesystem::file_size(path); cut++) {
    cuts.push_back(cut);
  }
  CheckCuts(path, records, offsets, cuts);
}

TEST_CASE("a torn tail in a last record that spans blocks", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("torn-big.trace");
  std::vector<Record> records;
  for (uint64_t i = 0; i < 300; i++) {
    records.push_back(Command(i, {"SET", "k", std::string(3000, 'a')}, "+OK\r\n"));
  }
  // Starts before the first block boundary and ends past the third.
  records.push_back(Command(300, {"SET", "big", std::string(3 * kBlock, 'b')}, "+OK\r\n"));
  const std::vector<uint64_t> offsets = WriteTrace(path, records);
  REQUIRE(offsets.back() < kBlock);
  // Every byte would take minutes: the first bytes (a cut length field), bytes around each
  // block boundary (where the reader's reads end), and a spread in between.
  const uint64_t size = std::filesystem::file_size(path);
  std::vector<uint64_t> cuts;
  for (uint64_t d = 0; d < 50; d++) cuts.push_back(offsets.back() + d);
  for (uint64_t block = kBlock; block < size; block += kBlock) {
    for (uint64_t cut = block - 10; cut <= block + 10; cut++) cuts.push_back(cut);
  }
  for (uint64_t cut = offsets.back(); cut < size; cut += 65'537) cuts.push_back(cut);
  for (uint64_t d = 1; d <= 10; d++) cuts.push_back(size - d);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  CheckCuts(path, records, offsets, cuts);
}

TEST_CASE("a torn tail whose length field claims a huge record", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("torn-len.trace");
  std::string bytes = EncodeHeader(SampleHeader()) + Encode(EveryType()[0]);
  const std::string tail(
      "\x00\x00\x00\x40"
      "abcd",
      8);  // length 1 GiB, the limit
  WriteFileBytes(path, bytes + tail);
  auto reader = OpenOk(path);
  CHECK(ReadIds(*reader) == std::vector<uint64_t>{1});
  CHECK(reader->torn_tail());
  CHECK(reader->torn_bytes() == 8);
}

TEST_CASE("damaged records are corruption naming index and offset", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("damaged.trace");
  std::vector<Record> records = ManyRecords();
  records.resize(600);  // includes a record larger than a block
  const std::vector<uint64_t> offsets = WriteTrace(path, records);
  const std::string good = ReadFileBytes(path);

  for (size_t index : {size_t{0}, size_t{5}, size_t{251}, size_t{599}}) {
    for (uint64_t within : {uint64_t{3}, uint64_t{5}, uint64_t{8}, uint64_t{30}}) {
      std::string bad = good;
      // In the length's top byte, 0x80 makes it over 1 GiB (a smaller change that runs
      // past the end of the file reads as a torn tail: see the next test).
      bad[offsets[index] + within] ^= within == 3 ? 0x80 : 0x20;
      WriteFileBytes(path, bad);
      INFO("record " << index << " byte " << within);
      auto reader = OpenOk(path);
      Record record;
      for (size_t i = 0; i < index; i++) {
        auto more = reader->Next(&record);
        REQUIRE(more.ok());
        REQUIRE(*more);
      }
      auto more = reader->Next(&record);
      REQUIRE_FALSE(more.ok());
      CHECK(more.status().code() == StatusCode::kCorruption);
      const std::string prefix = path + ": record " + std::to_string(index) + " at byte " +
                                 std::to_string(offsets[index]) + ": ";
      CHECK_THAT(more.status().message(), Catch::StartsWith(prefix));
      if (within == 3) {
        CHECK_THAT(more.status().message(), Catch::Contains("exceeds the limit"));
      } else {
        CHECK_THAT(more.status().message(), Catch::EndsWith("checksum mismatch"));
      }
      // Sticky.
      auto again = reader->Next(&record);
      REQUIRE_FALSE(again.ok());
      CHECK(again.status().message() == more.status().message());
      CHECK(reader->records_read() == index);
    }
  }
}

TEST_CASE("a huge length in the middle is corruption, not an allocation", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("huge.trace");
  std::string bytes = EncodeHeader(SampleHeader()) + Encode(EveryType()[0]);
  const uint64_t offset = bytes.size();
  bytes += std::string("\xF0\xFF\xFF\xFF\x00\x00\x00\x00", 8);
  bytes += Encode(EveryType()[1]);
  WriteFileBytes(path, bytes);
  auto reader = OpenOk(path);
  Record record;
  auto first = reader->Next(&record);
  REQUIRE(first.ok());
  REQUIRE(*first);
  auto next = reader->Next(&record);
  REQUIRE_FALSE(next.ok());
  CHECK(next.status().message() == path + ": record 1 at byte " + std::to_string(offset) +
                                       ": length 4294967280 exceeds the limit of 1073741824 bytes");
}

// The format cannot tell a length damaged to a value under the limit that runs past the end
// of the file from a record the writer never finished: both read as a torn tail. The
// torn_bytes() count is what shows the difference to a human.
TEST_CASE("a damaged length that runs past the end reads as a torn tail", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("limit.trace");
  std::string bytes = EncodeHeader(SampleHeader()) + Encode(EveryType()[0]);
  const uint64_t second = bytes.size();
  bytes += Encode(EveryType()[1]) + Encode(EveryType()[2]);
  bytes[second + 3] ^= 0x20;  // +512 MiB
  WriteFileBytes(path, bytes);
  auto reader = OpenOk(path);
  CHECK(ReadIds(*reader) == std::vector<uint64_t>{1});
  CHECK(reader->torn_tail());
  CHECK(reader->torn_bytes() == bytes.size() - second);
}

TEST_CASE("a format 1 file reads, and nested records in it are damage", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("v1.trace");
  Header v1 = SampleHeader();
  v1.version = 1;
  const std::string head = EncodeHeader(v1) + Encode(Command(1, {"SET", "k", "v"}, "+OK\r\n"));
  WriteFileBytes(path, head + Encode(Lifecycle(RecordType::kReplicated, 2, "from=1 to=2")));
  {
    auto reader = OpenOk(path);
    CHECK(reader->header().version == 1);
    CHECK(ReadIds(*reader) == std::vector<uint64_t>{1, 2});
  }
  WriteFileBytes(path, head + Encode(Nested(2, {"INCR", "n"}, ":1\r\n")));
  auto reader = OpenOk(path);
  Record record;
  REQUIRE(*reader->Next(&record));
  auto next = reader->Next(&record);
  REQUIRE_FALSE(next.ok());
  CHECK(next.status().message() ==
        path + ": record 1 at byte " + std::to_string(head.size()) +
            ": record type 8 (nested) does not exist in format version 1");
}

TEST_CASE("a format 2 file holds nested records between commands", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("v2.trace");
  const std::vector<Record> records = {
      Command(1, {"MULTI"}, "+OK\r\n"), Command(2, {"INCR", "n"}, "+QUEUED\r\n"),
      Nested(3, {"INCR", "n"}, ":1\r\n"), Command(4, {"EXEC"}, "*1\r\n:1\r\n")};
  WriteTrace(path, records);
  auto reader = OpenOk(path);
  CHECK(reader->header().version == kFormatVersion);
  CheckReadsBack(*reader, records);
}

TEST_CASE("header problems name the file", "[trace][reader]") {
  TempDir dir;
  const std::string path = dir.File("x.trace");
  const std::string header = EncodeHeader(SampleHeader());

  SECTION("bad magic") {
    WriteFileBytes(path, "*1\r\n$4\r\nPING\r\n");
    const Status s = OpenError(path);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message() == path + ": not a tidekv trace file (bad magic)");
  }
  SECTION("unknown version") {
    Header future = SampleHeader();
    future.version = 7;
    WriteFileBytes(path, EncodeHeader(future));
    const Status s = OpenError(path);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message() ==
          path + ": trace format version 7 is not supported; this build reads 1 to 2");
  }
  SECTION("header checksum") {
    std::string bad = header;
    bad[header.size() / 2] ^= 0x04;
    WriteFileBytes(path, bad + Encode(EveryType()[0]));
    const Status s = OpenError(path);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message() == path + ": header checksum mismatch");
  }
  SECTION("empty file") {
    WriteFileBytes(path, "");
    CHECK(OpenError(path).message() == path + ": empty or truncated trace header");
  }
  SECTION("file shorter than a header") {
    for (size_t n : {size_t{4}, size_t{8}, size_t{15}, header.size() - 1}) {
      WriteFileBytes(path, header.substr(0, n));
      const Status s = OpenError(path);
      CHECK(s.code() == StatusCode::kCorruption);
      CHECK(s.message() == path + ": empty or truncated trace header");
    }
  }
  SECTION("missing file") {
    const Status s = OpenError(dir.File("nope.trace"));
    CHECK(s.code() == StatusCode::kIOError);
    CHECK_THAT(s.message(), Catch::StartsWith(dir.File("nope.trace") + ": "));
    CHECK_THAT(s.message(), Catch::Contains("No such file or directory"));
  }
}

TEST_CASE("writer errors name the path", "[trace][writer]") {
  TempDir dir;
  SECTION("a missing directory") {
    const std::string path = dir.File("no/such/dir/x.trace");
    auto writer = Writer::Create(path, SampleHeader());
    REQUIRE_FALSE(writer.ok());
    CHECK(writer.status().code() == StatusCode::kIOError);
    CHECK(writer.status().message() ==
          path + ": cannot create trace file: No such file or directory");
  }
  SECTION("a write that fails") {
    // A file size limit below the header makes the first write fail (EFBIG).
    const std::string path = dir.File("small.trace");
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto* const previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 8;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto writer = Writer::Create(path, SampleHeader());
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    REQUIRE_FALSE(writer.ok());
    CHECK(writer.status().code() == StatusCode::kIOError);
    CHECK(writer.status().message().rfind(path + ": cannot write trace file at byte ", 0) == 0);
  }
  SECTION("truncates an earlier trace") {
    const std::string path = dir.File("old.trace");
    WriteFileBytes(path, EncodeHeader(SampleHeader()) + std::string(10'000, 'z'));
    auto writer = Writer::Create(path, SampleHeader());
    REQUIRE(writer.ok());
    CHECK(ReadFileBytes(path) == EncodeHeader(SampleHeader()));
    CHECK((*writer)->bytes() == EncodeHeader(SampleHeader()).size());
  }
  SECTION("never overwrites a file that is not a trace, nor follows a symlink") {
    const std::string path = dir.File("authorized_keys");
    WriteFileBytes(path, "ssh-ed25519 AAAA precious\n");
    auto writer = Writer::Create(path, SampleHeader());
    REQUIRE_FALSE(writer.ok());
    CHECK(writer.status().message() ==
          path + " exists and is not a trace file: tidekv does not overwrite it");
    const std::string link = dir.File("link.trace");
    std::filesystem::create_symlink(dir.File("elsewhere.trace"), link);
    auto through = Writer::Create(link, SampleHeader());
    REQUIRE_FALSE(through.ok());
    CHECK(through.status().message().find("symbolic link") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.File("elsewhere.trace")));
    CHECK(ReadFileBytes(path) == "ssh-ed25519 AAAA precious\n");
    CHECK(CheckReplaceable(dir.File("absent")).ok());
    CHECK_FALSE(CheckReplaceable(path).ok());
  }
}

}  // namespace
}  // namespace tidekv::trace
