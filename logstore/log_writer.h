// LogWriter: the log-writer thread (DESIGN.md §1). The loop thread hands it chunks of
// encoded frames and meta commits; it appends them to the LogStore in submission order (one
// WriteBatch per chunk: group commit), syncs per the fsync policy, and reports progress
// through callbacks that run ON THE WRITER THREAD (the server posts them to its loop).
//
// Durability contract:
//   kAlways    on_durable(next) is called only after the chunk ending before `next` was
//              fsynced; several chunks queued together share one fsync.
//   kEverySec  on_durable after each write (the OS has the bytes: a process crash loses
//              nothing); an fsync at least once a second bounds loss on power failure.
//   kNo        like kEverySec without the timer (the OS decides when to flush).
//
// Errors (disk full, I/O error): on_error(status) is called once when a write or sync
// first fails; the writer keeps the failed item and retries it every retry_interval_ms,
// in order, until it succeeds, then calls on_recovered(). Nothing queued is dropped.
// (A chunk whose offset does not follow the log is a bug in the caller, not an I/O error:
// retrying cannot help and writing on would leave a gap, so the writer aborts the process
// with a message.)
//
// Groups: each pass takes what is queued (up to 256 items / 16 MiB), writes each item as
// its own WriteBatch without sync, then fsyncs once when the policy or a meta commit asks
// for it. on_durable(next) comes once per group, with the offset after its last chunk.
//
// Threading: Submit, SubmitMeta, queued_bytes, stats and failing may be called from any
// thread; Start and Stop from the owning thread. The LogStore is used only by the writer
// thread between Start and Stop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "logstore/log_store.h"

namespace tidekv::logstore {

enum class FsyncPolicy { kAlways, kEverySec, kNo };

struct LogWriterCallbacks {
  std::function<void(uint64_t durable_next_offset)> on_durable;
  std::function<void(const Status& error)> on_error;
  std::function<void()> on_recovered;
};

struct LogWriterStats {
  uint64_t chunks_written = 0;
  uint64_t frames_written = 0;
  uint64_t bytes_written = 0;
  uint64_t fsyncs = 0;
  int64_t last_fsync_unix_ms = 0;
  uint64_t write_errors = 0;
};

class LogWriter {
 public:
  LogWriter(LogStore* store, FsyncPolicy policy, LogWriterCallbacks callbacks,
            int64_t retry_interval_ms = 1000);
  ~LogWriter();  // Stop()s
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Starts the thread (again after a Stop).
  void Start();
  // Writes everything queued (retrying failures until stop_deadline_ms passes), syncs, and
  // joins the thread. Safe to call twice.
  void Stop(int64_t stop_deadline_ms = 5000);

  // Queues a chunk of `count` frames starting at first_offset. Never blocks on I/O.
  void Submit(uint64_t first_offset, uint32_t count, std::string frames);
  // Queues a meta commit (e.g. a new manifest) ordered after every chunk submitted before
  // it; done(status) runs on the writer thread once it is durable (synced).
  void SubmitMeta(std::vector<std::pair<std::string, std::string>> meta, uint64_t truncate_below,
                  std::function<void(const Status&)> done);

  // Bytes submitted but not yet written (the loop may refuse writes when this grows).
  uint64_t queued_bytes() const;
  LogWriterStats stats() const;
  bool failing() const;
  // CONFIG SET appendfsync: later passes follow the new policy (a chunk written under
  // always and not yet synced is reported durable as everysec / no would report it).
  void set_policy(FsyncPolicy policy);

 private:
  struct Item;
  void Run();
  // Waits up to retry_interval_ms after a failure. False when Stop's deadline has passed.
  bool WaitToRetry(std::unique_lock<std::mutex>& lock);
  LogStore* store_;
  std::atomic<FsyncPolicy> policy_;
  LogWriterCallbacks callbacks_;
  int64_t retry_interval_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_;
  std::atomic<uint64_t> queued_bytes_{0};  // written under mu_, read without it
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  bool failing_ = false;
  LogWriterStats stats_;
  std::thread thread_;
};

}  // namespace tidekv::logstore
