#include "logstore/log_writer.h"

#include <algorithm>
#include <cstdio>

#include "common/check.h"

namespace tidekv::logstore {
namespace {

using Clock = std::chrono::steady_clock;

// A group is bounded so that on_durable keeps coming during a long backlog (after an
// outage the queue may hold thousands of chunks).
constexpr size_t kMaxGroupItems = 256;
constexpr uint64_t kMaxGroupBytes = 16ull << 20;
constexpr auto kEverySecInterval = std::chrono::seconds(1);

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct LogWriter::Item {
  bool is_meta = false;
  // Chunk.
  uint64_t first_offset = 0;
  uint32_t count = 0;
  std::string frames;
  // Meta commit.
  std::vector<std::pair<std::string, std::string>> meta;
  uint64_t truncate_below = 0;
  std::function<void(const Status&)> done;
};

LogWriter::LogWriter(LogStore* store, FsyncPolicy policy, LogWriterCallbacks callbacks,
                     int64_t retry_interval_ms)
    : store_(store),
      policy_(policy),
      callbacks_(std::move(callbacks)),
      retry_interval_ms_(retry_interval_ms) {}

LogWriter::~LogWriter() { Stop(); }

void LogWriter::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LogWriter::Stop(int64_t stop_deadline_ms) {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    stop_deadline_ = Clock::now() + std::chrono::milliseconds(stop_deadline_ms);
  }
  cv_.notify_all();
  thread_.join();
}

void LogWriter::Submit(uint64_t first_offset, uint32_t count, std::string frames) {
  auto item = std::make_unique<Item>();
  item->first_offset = first_offset;
  item->count = count;
  item->frames = std::move(frames);
  {
    std::lock_guard lock(mu_);
    queued_bytes_ += item->frames.size();
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void LogWriter::SubmitMeta(std::vector<std::pair<std::string, std::string>> meta,
                           uint64_t truncate_below, std::function<void(const Status&)> done) {
  auto item = std::make_unique<Item>();
  item->is_meta = true;
  item->meta = std::move(meta);
  item->truncate_below = truncate_below;
  item->done = std::move(done);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

uint64_t LogWriter::queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }

LogWriterStats LogWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void LogWriter::set_policy(FsyncPolicy policy) {
  std::lock_guard lock(mu_);
  policy_.store(policy);
  cv_.notify_all();
}

bool LogWriter::failing() const {
  std::lock_guard lock(mu_);
  return failing_;
}

bool LogWriter::WaitToRetry(std::unique_lock<std::mutex>& lock) {
  const Clock::time_point retry_at = Clock::now() + std::chrono::milliseconds(retry_interval_ms_);
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (stopping_ && now >= stop_deadline_) return false;
    if (now >= retry_at) return true;
    // Submits wake us too; only the deadline or the retry time end the wait.
    cv_.wait_until(lock, stopping_ ? std::min(retry_at, stop_deadline_) : retry_at);
  }
}

// One pass: take a group from the front of the queue (items stay queued until written, so a
// failure leaves them in place to retry), write each, sync if owed, report, repeat.
void LogWriter::Run() {
  uint64_t written_next = store_->NextOffset();
  uint64_t reported_next = written_next;
  bool unsynced = false;  // something was written since the last successful sync
  Clock::time_point last_sync = Clock::now();
  // set_policy may change it: read once per pass, so one pass follows one policy.
  FsyncPolicy policy = policy_.load();
  // Meta commits already written whose done() waits for the next sync.
  std::vector<std::unique_ptr<Item>> awaiting_sync;
  std::vector<Item*> group;
  std::vector<std::unique_ptr<Item>> finished;

  // A sync that cannot wait for the next item: kAlways data, or a meta commit's done().
  // Normally done in the same pass as the write; left over only after a failed sync.
  auto sync_owed = [&] {
    return unsynced && (policy == FsyncPolicy::kAlways || !awaiting_sync.empty());
  };
  auto timer_due = [&] {
    return policy == FsyncPolicy::kEverySec && unsynced &&
           Clock::now() >= last_sync + kEverySecInterval;
  };

  std::unique_lock lock(mu_);
  for (;;) {
    policy = policy_.load();
    if (queue_.empty() && !stopping_ && !sync_owed() && !timer_due()) {
      if (policy == FsyncPolicy::kEverySec && unsynced) {
        cv_.wait_until(lock, last_sync + kEverySecInterval);
      } else {
        cv_.wait(lock);
      }
      continue;
    }
    group.clear();
    uint64_t group_bytes = 0;
    for (const std::unique_ptr<Item>& item : queue_) {
      if (group.size() == kMaxGroupItems || group_bytes >= kMaxGroupBytes) break;
      group.push_back(item.get());
      group_bytes += item->frames.size();
    }
    const bool drains_queue = group.size() == queue_.size();
    const bool last_pass = stopping_ && drains_queue;
    lock.unlock();

    // Write, in order, until the first failure.
    Status error;
    size_t written = 0;
    uint64_t chunks = 0;
    uint64_t frames = 0;
    uint64_t bytes = 0;
    for (Item* item : group) {
      Status s = item->is_meta
                     ? store_->CommitMeta(item->meta, item->truncate_below, /*sync=*/false)
                     : store_->Append(item->first_offset, item->count, item->frames, {},
                                      /*sync=*/false);
      if (!s.ok()) {
        if (!item->is_meta && s.code() == StatusCode::kInvalidArgument) {
          // Out-of-order or malformed chunk: a caller bug that no retry can fix.
          std::fprintf(stderr, "log writer: %s\n", s.message().c_str());
          TIDEKV_CHECK(!"chunk does not follow the log");
        }
        error = std::move(s);
        break;
      }
      written++;
      unsynced = true;
      if (!item->is_meta) {
        chunks++;
        frames += item->count;
        bytes += item->frames.size();
        written_next = item->first_offset + item->count;
      }
    }

    lock.lock();
    for (size_t i = 0; i < written; i++) {
      std::unique_ptr<Item> item = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= item->frames.size();
      (item->is_meta ? awaiting_sync : finished).push_back(std::move(item));
    }
    stats_.chunks_written += chunks;
    stats_.frames_written += frames;
    stats_.bytes_written += bytes;
    lock.unlock();
    finished.clear();  // frees chunk bytes outside the lock

    // kEverySec / kNo: written is as durable as these policies promise.
    if (policy != FsyncPolicy::kAlways && written_next != reported_next) {
      reported_next = written_next;
      if (callbacks_.on_durable) callbacks_.on_durable(written_next);
    }

    if (error.ok() &&
        (sync_owed() || timer_due() || (last_pass && unsynced && written == group.size()))) {
      Status s = store_->Sync();
      if (s.ok()) {
        unsynced = false;
        last_sync = Clock::now();
        lock.lock();
        stats_.fsyncs++;
        stats_.last_fsync_unix_ms = UnixMs();
        lock.unlock();
        if (policy == FsyncPolicy::kAlways && written_next != reported_next) {
          reported_next = written_next;
          if (callbacks_.on_durable) callbacks_.on_durable(written_next);
        }
        for (std::unique_ptr<Item>& item : awaiting_sync) {
          if (item->done) item->done(Status::Ok());
        }
        awaiting_sync.clear();
      } else {
        error = std::move(s);
      }
    }

    lock.lock();
    if (!error.ok()) {
      stats_.write_errors++;
      const bool first = !failing_;
      failing_ = true;
      if (first && callbacks_.on_error) {
        lock.unlock();
        callbacks_.on_error(error);
        lock.lock();
      }
      if (WaitToRetry(lock)) continue;
      // Stop's deadline passed while failing: what is not written is lost; tell the meta
      // commits so nobody waits for them forever.
      std::deque<std::unique_ptr<Item>> left = std::move(queue_);
      queue_.clear();
      queued_bytes_ = 0;
      lock.unlock();
      const Status gave_up = Status::Unavailable(
          "log writer stopped before the commit was durable: " + error.message());
      for (std::unique_ptr<Item>& item : awaiting_sync) {
        if (item->done) item->done(gave_up);
      }
      for (std::unique_ptr<Item>& item : left) {
        if (item->is_meta && item->done) item->done(gave_up);
      }
      return;
    }
    if (failing_) {
      failing_ = false;
      if (callbacks_.on_recovered) {
        lock.unlock();
        callbacks_.on_recovered();
        lock.lock();
      }
    }
    if (stopping_ && queue_.empty() && !unsynced) return;
  }
}

}  // namespace tidekv::logstore
