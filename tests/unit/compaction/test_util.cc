#include "tests/unit/compaction/test_util.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace tidekv::compaction::testing {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "tidekv-compaction-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

KeyState Live(std::string value, int64_t expire_at_ms, uint8_t type) {
  KeyState state;
  state.expire_at_ms = expire_at_ms;
  state.type = type;
  state.value = std::move(value);
  return state;
}

KeyState Tombstone() {
  KeyState state;
  state.tombstone = true;
  return state;
}

uint64_t WriteBatch(const std::string& path, const Contents& contents) {
  auto writer = BatchWriter::Create(path);
  REQUIRE(writer.ok());
  for (const auto& [key, state] : contents) {
    Status s = (*writer)->Add(key, EncodeKeyState(state));
    REQUIRE(s.ok());
  }
  auto bytes = (*writer)->Finish();
  REQUIRE(bytes.ok());
  return *bytes;
}

Contents ReadBatch(const std::string& path, bool verify) {
  auto reader = BatchReader::Open(path, verify);
  INFO(reader.status().message());
  REQUIRE(reader.ok());
  Contents out;
  for ((*reader)->SeekToFirst(); (*reader)->Valid(); (*reader)->Next()) {
    auto state = DecodeKeyState((*reader)->value());
    REQUIRE(state.ok());
    out.emplace((*reader)->key(), std::move(*state));
  }
  INFO((*reader)->status().message());
  REQUIRE((*reader)->status().ok());
  return out;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

}  // namespace tidekv::compaction::testing
