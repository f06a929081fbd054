// LogStore: the durable, ordered log of replication frames (DESIGN.md §5), on RocksDB.
//
// Owns one RocksDB database in <dir>/log with two column families:
//   frames  key = big-endian u64 offset of a chunk's first frame; value = the chunk's frames
//           concatenated (proto/frame.h encoding). A chunk is one group commit.
//   meta    small named values (the manifest, replid, offsets), written in the same
//           WriteBatch as the chunk or truncation they describe, so a crash never leaves
//           them disagreeing.
//
// Threading: Append, CommitMeta and Reset are serialised by a mutex, so the server's loop
// thread may append chunks itself (the WAL write of a group commit, as Redis writes its AOF
// before replying) while the log-writer thread commits meta values and syncs. Sync, ReadFrom
// and its Reader touch only RocksDB, which is safe against concurrent writers; FirstOffset
// and NextOffset are atomics. Recovery (Open) runs alone on the main thread. No Asio here.
//
// Offsets: frames carry consecutive offsets. Append requires the chunk's first offset to
// be NextOffset(). ReadFrom(x) returns frames with offset >= x, across chunk boundaries
// (SeekForPrev(x), then skip frames below x). Truncation (CommitMeta's truncate_below = x)
// removes whole chunks whose frames all lie below x (a chunk holding x stays), with a range
// delete.
//
// Failures: RocksDB errors come back as Status (IOError, Corruption; a full disk is
// Unavailable) naming the path; a torn final chunk (a crash mid-write) is detected when
// Open scans the tail: it is dropped, logged through the returned OpenReport, and never
// silently kept ("torn" = its frames are cut short or garbled; frames that decode but carry
// the wrong offsets are Corruption, not a crash). A chunk that does not decode elsewhere,
// or chunks whose offsets do not follow each other, make Open fail with Corruption naming
// the path and the chunk's offset. After a failed write the next write first asks RocksDB
// to resume (RocksDB stops accepting writes after a WAL error until told to), so a caller
// simply retries.
//
// Durability (the WAL rule): RocksDB's write-ahead log is the only thing that makes an
// Append durable; memtables and SST files are rebuilt from it. The WAL is always on and
// every write goes to the WAL file before Append returns (manual_wal_flush = false), so a
// process crash loses nothing that Append acknowledged. An Append is durable across power
// loss only once a WAL fsync covering it returned: Append(sync = true), or a later Sync()
// (SyncWAL). CommitMeta and Reset follow the same rule.
// Recovery replays the WAL to the last intact record (kPointInTimeRecovery), so it never
// leaves a hole: what survives is always a prefix of what was appended.
//
// Identity: every WAL file carries the meta values (the caller's directory id and manifest
// among them). RocksDB starts a new WAL file at open and whenever it seals a memtable (a
// full write buffer, the WAL size cap, a flush, recovery from a write error); the write that
// follows is followed in turn by the whole meta family, written again into that file. So a
// WAL copied in from another store brings that store's meta with it.
//
// Bookkeeping: the default column family holds the next offset of a log that has no chunks
// (after truncating everything, Reset, or dropping the only chunk as a torn tail), which
// chunk keys can no longer tell; the meta family belongs entirely to the caller.
//
// Tuning for a log: WAL on; a 16 MiB frames write buffer (LogStoreOptions), set right after
// Open so that RocksDB waits for only 2 MiB of free space, not a whole write buffer, before
// writes resume after a full disk; LZ4 for frames when the RocksDB build has it (Debian's
// does), else no compression; level compaction with defaults; two background jobs; the WAL
// is capped at 64 MiB (older memtables are flushed so old WAL files go). Truncation writes a
// range tombstone in the caller's batch, then drops SST files that lie wholly below the new
// first offset; what remains of the removed range goes at compaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tidekv::logstore {

struct LogStoreOptions {
  // Create <dir>/log when missing.
  bool create_if_missing = true;
  // Decode every chunk at Open (reads the whole log once) instead of only the last two.
  // Without it a corrupt chunk in the middle is found only when ReadFrom reaches it.
  bool verify_on_open = true;
  // RocksDB memtable size of the frames family (tests make it small to reach SST files).
  uint64_t write_buffer_size = 16ull << 20;
};

// What Open found (for the start-up log and INFO).
struct OpenReport {
  uint64_t first_offset = 0;  // first offset still stored (== next_offset when empty)
  uint64_t next_offset = 0;   // offset the next appended frame must have
  uint64_t chunks = 0;        // exact with verify_on_open, else RocksDB's estimate
  bool dropped_torn_tail = false;
  std::string torn_tail_detail;  // what was dropped and why
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(const std::string& dir,
                                                const LogStoreOptions& options, OpenReport* report);
  // Reads meta values of the log store in <dir>/log without changing anything on disk
  // (RocksDB opened read-only: no WAL replayed into new files, no file deleted), so that a
  // caller can decide whether the store may be opened for writing at all: a read-write open
  // deletes files its MANIFEST does not reference. nullopt for a store that does not exist
  // yet; errors (naming the files) for one RocksDB cannot open.
  static Result<std::optional<std::vector<std::optional<std::string>>>> PeekMeta(
      const std::string& dir, const std::vector<std::string>& names);
  // The files of a log store directory with their sizes, for messages that must name what
  // may be damaged ("<dir>/log: CURRENT (16 bytes), MANIFEST-000005 (176 bytes), ...").
  static std::string DescribeFiles(const std::string& log_dir);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Appends one chunk: `frames` holds `count` consecutive frames starting at first_offset
  // (== NextOffset()). `meta` entries are written in the same atomic batch. sync: fsync
  // the WAL before returning (fsync = "always"; "everysec" calls Sync() on a timer).
  Status Append(uint64_t first_offset, uint32_t count, std::string_view frames,
                const std::vector<std::pair<std::string, std::string>>& meta, bool sync);

  // Writes meta values atomically (e.g. a new manifest), optionally with a truncation of
  // every chunk entirely below truncate_below (0 = none) in the same batch. FirstOffset()
  // becomes the first offset of the chunk holding truncate_below; truncate_below >=
  // NextOffset() removes every chunk (FirstOffset() == NextOffset() then).
  Status CommitMeta(const std::vector<std::pair<std::string, std::string>>& meta,
                    uint64_t truncate_below, bool sync);
  // A truncation that empties the log flushes a frames memtable of at least this many bytes
  // in the background, freeing its memory (see ReleaseIdleMemtable).
  static constexpr uint64_t kIdleMemtableReleaseBytes = 256 << 10;

  // Removes every chunk and makes next_offset the offset the next Append must have, with
  // `meta` in the same batch (a replica that loaded a full sync continues from the primary's
  // offset). FirstOffset() == NextOffset() == next_offset afterwards.
  Status Reset(uint64_t next_offset, const std::vector<std::pair<std::string, std::string>>& meta,
               bool sync);

  // The meta value `name`, or nullopt when absent. A read error also gives nullopt: use
  // ReadMeta where an I/O error must not look like "never written" (the manifest).
  std::optional<std::string> GetMeta(std::string_view name) const;
  Result<std::optional<std::string>> ReadMeta(std::string_view name) const;

  // Makes everything appended so far durable (fsync of RocksDB's WAL).
  Status Sync();

  // Writes memtables to SST files (not needed for durability: the WAL is; it shortens the
  // WAL replay of the next Open).
  Status Flush();

  // Iterates frames in offset order starting at `offset`. Valid until the next Append or
  // truncation from the same thread. Each Next() yields one encoded frame. An offset below
  // the first stored chunk is OutOfRange (those frames were truncated: the caller needs a
  // full sync); an offset at or beyond the end gives an empty reader. The reader sees the
  // log as it was when ReadFrom was called (a RocksDB iterator: an implicit snapshot).
  class Reader {
   public:
    virtual ~Reader() = default;
    // Next encoded frame (a view valid until the following Next), or nullopt at the end.
    // A frame that does not decode is reported as Corruption naming the chunk key.
    virtual Result<std::optional<std::string_view>> Next() = 0;
  };
  Result<std::unique_ptr<Reader>> ReadFrom(uint64_t offset) const;

  uint64_t FirstOffset() const { return first_offset_.load(std::memory_order_acquire); }
  uint64_t NextOffset() const { return next_offset_.load(std::memory_order_acquire); }
  // Approximate bytes of stored frames: RocksDB's approximate size (SST files and
  // memtables) of the key range [FirstOffset(), end) in the frames family. It grows with
  // appends and drops as soon as a truncation moves FirstOffset() (the range no longer
  // covers the removed chunks, even before compaction reclaims their space). SST files
  // are counted at compressed size, memtables at their in-memory size.
  uint64_t Bytes() const;
  const std::string& path() const { return path_; }
  // Memory RocksDB holds for the log (memtables, table readers), in bytes. Thread-safe.
  uint64_t MemoryUsage() const;
  // Its parts: the memtables' arenas, exact and lock-free (a WriteBufferManager counts them
  // as they grow and as they are freed), and the table readers (a property, sampled).
  uint64_t MemtableBytes() const;
  uint64_t TableReaderBytes() const;
  // Memtable flushes not yet finished: immutable memtables waiting plus flushes running
  // (0 once every flush that was started has written its SST file). Thread-safe.
  uint64_t FlushesPending() const;

  // Test hook: the next n calls of Append, CommitMeta, Reset or Sync fail with IOError
  // before touching RocksDB. Thread-safe (a test may call it while a LogWriter runs).
  void InjectWriteErrorForTest(int n);

 private:
  LogStore();
  Status Recover(const LogStoreOptions& options, OpenReport* report);
  Status InjectedError(const char* what);
  Status CommitMetaLocked(const std::vector<std::pair<std::string, std::string>>& meta,
                          uint64_t truncate_below, bool sync);
  Status ReleaseIdleMemtable(bool sync);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::atomic<uint64_t> first_offset_{0};
  std::atomic<uint64_t> next_offset_{0};
  // Serialises Append, CommitMeta and Reset: the loop thread appends chunks itself while
  // the writer thread commits meta and syncs.
  std::mutex write_mu_;
};

}  // namespace tidekv::logstore
