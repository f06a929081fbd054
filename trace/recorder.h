// Recorder: the op trace's writing side (DESIGN.md §7, docs/trace.md).
//
// The loop thread calls Command/Event; each call encodes the record (a copy of argv and
// reply with length prefixes; the writer thread adds the CRC32C) into a loop-local buffer, with no
// lock. Every 256 KiB, and when the server's cron calls Flush, that buffer moves to a bounded queue
// under a mutex; a collector thread takes the queue, writes it to the trace file, and rotates or
// stops at max_bytes. When the queue is full the record is dropped and counted: tracing never makes
// the loop wait for the disk.
//
// Filters (trace.sample) are decided by the caller with Sample::Matches before building a
// record, so untraced commands cost one check.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "trace/format.h"

namespace tidekv::trace {

// trace.sample: "group=<g> db=<n> prefix=<p>", kinds combined with AND, values of one kind
// with OR; empty matches everything.
class Sample {
 public:
  static Result<Sample> Parse(std::string_view text);
  bool empty() const { return groups_.empty() && dbs_.empty() && prefixes_.empty(); }
  // group: the command's group ("string", "generic", ...); key: its first key ("" if none).
  bool Matches(std::string_view group, uint32_t db, std::string_view key) const;

 private:
  std::vector<std::string> groups_;
  std::vector<uint32_t> dbs_;
  std::vector<std::string> prefixes_;
};

struct RecorderOptions {
  std::string path;
  uint64_t max_bytes = 1ull << 30;
  bool rotate = true;  // at max_bytes: rotate to <path>.1 (true) or stop (false)
  uint64_t queue_bytes = 64ull << 20;
};

struct RecorderStats {
  uint64_t records = 0;  // written to the file
  uint64_t dropped = 0;  // queue full
  uint64_t bytes = 0;    // of the current file
  uint64_t rotations = 0;
  bool stopped = false;  // max_bytes with on_full = stop, or a write error
  std::string error;     // the write error, if any
};

class Recorder {
 public:
  // Creates the file, writes the header and starts the collector thread.
  static Result<std::unique_ptr<Recorder>> Start(const RecorderOptions& options, Header header);
  // Writes what is queued and stops the thread.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Loop thread. Record ids are assigned here, in call order.
  void Command(uint64_t connection, uint32_t db, uint64_t mono_ns, int64_t wall_us,
               const std::vector<std::string_view>& argv, std::string_view reply) {
    CommandRecord(RecordType::kCommand, connection, db, mono_ns, wall_us, argv, reply);
  }
  // A command that EXEC or a script ran for `connection` (RecordType::kNested).
  void Nested(uint64_t connection, uint32_t db, uint64_t mono_ns, int64_t wall_us,
              const std::vector<std::string_view>& argv, std::string_view reply) {
    CommandRecord(RecordType::kNested, connection, db, mono_ns, wall_us, argv, reply);
  }
  void Event(RecordType type, uint64_t connection, uint32_t db, uint64_t mono_ns, int64_t wall_us,
             std::string_view detail);

  // Hands the records encoded so far to the writer (the server calls it from its cron, so
  // records reach the file within a cron period even when traffic is light).
  void Flush();

  RecorderStats stats() const;
  const std::string& path() const { return options_.path; }
  uint64_t next_id() const { return next_id_; }
  // The collector stopped writing (stop at max_bytes, or an error): the owner may drop it.
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }

 private:
  explicit Recorder(const RecorderOptions& options) : options_(options) {}
  void CommandRecord(RecordType type, uint64_t connection, uint32_t db, uint64_t mono_ns,
                     int64_t wall_us, const std::vector<std::string_view>& argv,
                     std::string_view reply);
  void AfterRecord();
  void Run();
  Status Rotate();

  RecorderOptions options_;
  Header header_;
  std::unique_ptr<Writer> writer_;
  uint64_t next_id_ = 1;
  std::string local_;  // loop thread: records not yet handed to the writer
  uint64_t local_records_ = 0;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::string queue_;  // guarded by mu_
  bool closing_ = false;
  uint64_t dropped_ = 0;  // guarded by mu_

  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> rotations_{0};
  std::atomic<bool> stopped_{false};
  std::string error_;  // set by the collector before stopped_
  std::thread thread_;
};

}  // namespace tidekv::trace
