// Durable file helpers shared by every module that writes files it must find again after a
// crash: a directory fsync (a new or renamed entry is durable only after it) and the
// write-tmp-fsync-rename-fsync sequence that replaces a small file atomically. POSIX I/O
// only; any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tidekv {

// fsyncs the directory itself (after creating, renaming or removing entries in it).
Status SyncDirectory(const std::string& dir);

// Replaces path with contents: written to path + ".tmp" (mode 0600, never through a
// symbolic link), fsynced, renamed over path, and the directory fsynced. A crash at any
// point leaves either the old file or the new one. Errors name the path.
Status ReplaceFileDurably(const std::string& path, std::string_view contents);

// Reads a whole (small) file. NotFound when it does not exist.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

// `bytes` random bytes as lower-case hex (2 characters a byte), from std::random_device.
std::string RandomHex(size_t bytes);

}  // namespace tidekv
