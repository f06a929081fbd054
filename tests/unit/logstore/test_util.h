// Helpers shared by the logstore tests: a temporary directory per test and chunk builders.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "logstore/log_store.h"
#include "proto/frame.h"

namespace tidekv::logstore::testing {

// A fresh directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tidekv-logstore-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string KeyFor(uint64_t offset) { return "key:" + std::to_string(offset); }

// count frames SET key:<o> <o> from first on, in db (o % 3).
inline std::string Chunk(uint64_t first, uint32_t count, size_t value_bytes = 0) {
  std::string out;
  for (uint64_t o = first; o < first + count; o++) {
    const std::string key = KeyFor(o);
    std::string value = std::to_string(o);
    if (value_bytes > value.size()) value.resize(value_bytes, static_cast<char>('a' + o % 26));
    const std::vector<std::string_view> argv = {"SET", key, value};
    proto::EncodeFrame(o, static_cast<int>(o % 3), argv, &out);
  }
  return out;
}

// Everything ReadFrom(from) yields, checking each frame's offset and content on the way.
inline std::vector<uint64_t> ReadOffsets(const LogStore& store, uint64_t from) {
  auto reader = store.ReadFrom(from);
  REQUIRE(reader.ok());
  std::vector<uint64_t> offsets;
  proto::Frame frame;
  std::string error;
  for (;;) {
    auto next = (*reader)->Next();
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    REQUIRE(proto::DecodeFrame(**next, &frame, &error) == proto::FrameStatus::kOk);
    REQUIRE(frame.size == (*next)->size());
    REQUIRE(frame.argv.size() == 3);
    REQUIRE(frame.argv[1] == KeyFor(frame.offset));
    REQUIRE(frame.db == static_cast<int>(frame.offset % 3));
    offsets.push_back(frame.offset);
  }
  return offsets;
}

inline std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t o = from; o < to; o++) v.push_back(o);
  return v;
}

inline std::unique_ptr<LogStore> OpenStore(const std::string& dir, OpenReport* report = nullptr,
                                           LogStoreOptions options = {}) {
  auto store = LogStore::Open(dir, options, report);
  INFO(store.status().message());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// Polls pred for up to timeout: replication-style bounded waits, never bare sleeps.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace tidekv::logstore::testing
