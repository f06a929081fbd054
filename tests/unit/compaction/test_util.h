// Helpers shared by the compaction tests: a temporary directory per test and small batch
// builders.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "compaction/batch.h"

namespace tidekv::compaction::testing {

// A fresh directory under the system temp dir, removed with everything in it on
// destruction, so tests can run in parallel and leave nothing behind.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Batch contents keyed by batch key; std::string orders by unsigned bytes, like the SST.
using Contents = std::map<std::string, KeyState>;

KeyState Live(std::string value, int64_t expire_at_ms = 0, uint8_t type = 1);
KeyState Tombstone();

// Writes contents as a batch at path; returns the file size (REQUIREs success).
uint64_t WriteBatch(const std::string& path, const Contents& contents);
// Reads a whole batch back (REQUIREs a clean read).
Contents ReadBatch(const std::string& path, bool verify = true);

std::string ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::string& bytes);

}  // namespace tidekv::compaction::testing
