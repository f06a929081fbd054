// Helpers shared by the trace tests: a temporary directory, whole-file I/O and sample
// headers and records that cover every record type.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "trace/format.h"

namespace tidekv::trace::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tidekv-trace-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteFileBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline Header SampleHeader() {
  Header header;
  header.server_version = "0.1.0 (abc123)";
  header.start_unix_ms = 1'700'000'000'123;
  header.start_mono_ns = 987'654'321'000;
  header.empty_at_start = false;
  header.config = {{"databases", "16"}, {"maxmemory-policy", "noeviction"}, {"empty", ""}};
  return header;
}

inline Record Command(uint64_t id, std::vector<std::string> argv, std::string reply) {
  Record record;
  record.type = RecordType::kCommand;
  record.id = id;
  record.connection = 7 + id % 3;
  record.mono_ns = 1'000'000 + id * 1000;
  record.wall_us = 1'700'000'000'000'000 + static_cast<int64_t>(id);
  record.db = static_cast<uint32_t>(id % 16);
  record.argv = std::move(argv);
  record.reply = std::move(reply);
  return record;
}

inline Record Lifecycle(RecordType type, uint64_t id, std::string detail) {
  Record record;
  record.type = type;
  record.id = id;
  record.connection = type == RecordType::kConnect || type == RecordType::kDisconnect ? 3 : 0;
  record.mono_ns = 5'000 + id;
  record.wall_us = -42;  // before 1970: the sign survives
  record.db = 0;
  record.detail = std::move(detail);
  return record;
}

// A command that EXEC or a script ran (RecordType::kNested): laid out like Command.
inline Record Nested(uint64_t id, std::vector<std::string> argv, std::string reply) {
  Record record = Command(id, std::move(argv), std::move(reply));
  record.type = RecordType::kNested;
  return record;
}

// One record of every type, commands with binary and empty arguments.
inline std::vector<Record> EveryType() {
  using namespace std::string_literals;
  return {
      Command(1, {"SET", "k\0\r\n\xff"s, ""}, "+OK\r\n"),
      Command(2, {}, ""),
      Command(3, {"", "", ""}, "-ERR wrong\r\n"),
      Lifecycle(RecordType::kConnect, 4, "addr=127.0.0.1:5555"),
      Lifecycle(RecordType::kDisconnect, 5, "reason=quit"),
      Lifecycle(RecordType::kSeal, 6, "lower=1 upper=77 keys=12"),
      Lifecycle(RecordType::kMerge, 7, "lower=1 upper=200 level=2"),
      Lifecycle(RecordType::kRoleChange, 8, "role=replica primary=10.0.0.1:6379 replid=ab"),
      Lifecycle(RecordType::kReplicated, 9, "from=100 to=250"),
      Lifecycle(RecordType::kSeal, 10, ""),
      Nested(11, {"INCR", "n\0"s}, ":1\r\n"),
      Nested(12, {}, ""),
      Command(13, {"EXEC"}, "*1\r\n:1\r\n"),
  };
}

}  // namespace tidekv::trace::testing
