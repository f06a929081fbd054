// DirState: what a data directory is known to hold at least, kept in <dir>/STATE, outside
// the log store, as evidence for recovery (DESIGN.md §9 "Disk").
//
// The manifest and the log's frames live in RocksDB, whose write-ahead log is the only copy
// of its recent writes: a deleted, emptied or truncated WAL makes RocksDB open an older
// state without a word (an older manifest, fewer frames), and recovery would then load less
// than was acknowledged and treat newer batch files as debris. STATE records, after each
// manifest commit and at a clean stop, floors that the next start must reach: the manifest's
// next batch id and upper offset, and the offset up to which frames were durable. A start
// that finds less refuses, naming the damaged file, instead of going back in time.
//
// Every value is a floor, so STATE may lag behind the log store but never lead it: it is
// written after the commits that raise those values (seal, merge, clean stop) and before
// the one commit that lowers them (installing a full sync from a primary).
//
// The file is small text, written whole to STATE.tmp, fsynced, renamed over STATE and the
// directory fsynced, so a crash leaves the old or the new file, never half of one; a CRC
// line catches damage. dir_id (also stored in the log store's meta family) ties the file to
// the log store beside it, so a STATE or WAL copied from another directory is noticed.
// Plain file I/O, any thread; one writer at a time (the caller's job).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace tidekv::persistence {

struct DirState {
  std::string dir_id;           // 32 hex characters, drawn when the directory is created
  uint64_t next_batch_id = 0;   // the manifest's next batch id was at least this
  uint64_t spine_upper = 0;     // the batches covered offsets up to at least this
  uint64_t durable_offset = 0;  // frames (or batches) below this were durable
  bool operator==(const DirState&) const = default;
};

std::string EncodeDirState(const DirState& state);
// Corruption (naming path) when the text is not a well-formed STATE with a matching CRC.
Result<DirState> DecodeDirState(std::string_view text, const std::string& path);

// nullopt when the file does not exist; an error when it exists but cannot be read or decoded.
Result<std::optional<DirState>> LoadDirState(const std::string& path);
// Replaces the file atomically and durably (tmp, fsync, rename, directory fsync).
Status StoreDirState(const std::string& path, const DirState& state);

// A fresh random id for a new directory.
std::string NewDirId();

}  // namespace tidekv::persistence
