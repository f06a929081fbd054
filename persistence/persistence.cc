#include "persistence/persistence.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "common/files.h"
#include "common/logging.h"
#include "common/strings.h"
#include "compaction/batch.h"
#include "compaction/manifest.h"
#include "engine/script_host.h"
#include "persistence/persistence_internal.h"
#include "proto/frame.h"
#include "trace/format.h"
#include "types/value.h"

namespace tidekv::persistence {

namespace fs = std::filesystem;

using internal::kKeepChunkBytes;
using internal::kManifestKey;
using internal::kMaxChunkBytes;

namespace {

// The bytes a string holds on the heap (none while its characters fit in libstdc++'s
// 15-character inline buffer).
size_t HeapBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

logstore::FsyncPolicy PolicyOf(std::string_view fsync) {
  if (fsync == "always") return logstore::FsyncPolicy::kAlways;
  if (fsync == "no") return logstore::FsyncPolicy::kNo;
  return logstore::FsyncPolicy::kEverySec;
}

compaction::KeyState StateOf(const Entry* e) {
  compaction::KeyState state;
  if (e == nullptr) {
    state.tombstone = true;
    return state;
  }
  state.type = static_cast<uint8_t>(e->type());
  state.expire_at_ms = e->expire_at();
  if (e->IsString()) {
    state.value = std::string(e->str());
  } else {
    types::OpsFor(e->type())->encode(*e->object(), &state.value);
  }
  return state;
}

// A collection with at least this many elements is sealed as element rows (DESIGN.md §6).
constexpr size_t kElementRowsMin = 1024;

using Rows = std::vector<std::pair<std::string, std::string>>;

// Appends the rows of key's state at `upper` (e: its entry, nullptr when absent): one whole
// row, or for a large collection a header row and its element rows — all of them under a
// new generation the first time (or when the value came from elsewhere: RENAME, COPY, a
// failed seal), else only those changed since the last seal.
void AppendStates(int db, std::string_view key, Entry* e, uint64_t upper, Rows* rows) {
  std::string batch_key = compaction::BatchKey(db, key);
  const types::TypeOps* ops = e != nullptr && !e->IsString() ? types::OpsFor(e->type()) : nullptr;
  if (ops == nullptr || ops->length(*e->object()) < kElementRowsMin ||
      db > compaction::kMaxElementRowDb) {
    if (ops != nullptr) ops->swap_element_log(*e->object(), nullptr);
    rows->emplace_back(std::move(batch_key), compaction::EncodeKeyState(StateOf(e)));
    return;
  }
  types::Value& v = *e->object();
  types::ElementLog* log = ops->element_log(v);
  const bool whole = log == nullptr || log->owner != batch_key;
  if (whole) {
    auto fresh = std::make_unique<types::ElementLog>();
    fresh->generation = upper;
    fresh->owner = batch_key;
    log = fresh.get();
    ops->swap_element_log(v, std::move(fresh));
  }
  compaction::KeyState header;
  header.type = static_cast<uint8_t>(e->type());
  header.expire_at_ms = e->expire_at();
  header.value = compaction::EncodeElementHeader({log->generation, ops->length(v)});
  rows->emplace_back(std::move(batch_key), compaction::EncodeKeyState(header));
  compaction::KeyState row;
  row.type = header.type;
  auto add = [&](std::string_view element, std::string_view payload, bool removed) {
    row.tombstone = removed;
    row.value = compaction::EncodeElementValue(log->generation, payload);
    rows->emplace_back(compaction::ElementRowKey(db, key, element),
                       compaction::EncodeKeyState(row));
  };
  if (whole) {
    ops->each_element(v, [&](std::string_view element, std::string_view payload) {
      add(element, payload, false);
    });
  } else {
    std::string payload;
    for (const std::string& element : log->changed) {
      const bool present = ops->element(v, element, &payload);
      add(element, present ? std::string_view(payload) : std::string_view(), !present);
    }
  }
  log->changed.clear();
}

}  // namespace

Persistence::Persistence(Engine& engine, asio::io_context& io, const config::Config& config)
    : engine_(engine),
      io_(io),
      config_(config),
      dir_(config.dir),
      batch_dir_(config.dir + "/batches"),
      dirty_(static_cast<size_t>(config.databases)) {
  spill_ = config.logstore_mode == "spill";
  created_ms_ = engine_.clock().NowMs();
  engine_.AddKeyListener(this);
  engine_.set_storage_memory_source([this] { return StorageMemory(); });
}

Persistence::~Persistence() {
  engine_.RemoveKeyListener(this);
  engine_.set_storage_memory_source(nullptr);
  *alive_ = false;
  Stop();
  DropDirty();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Persistence::Start() {
  pool_ = std::make_unique<asio::thread_pool>(static_cast<size_t>(config_.compaction_threads));
  logstore::LogWriterCallbacks callbacks;
  std::weak_ptr<bool> alive = alive_;
  callbacks.on_durable = [this, alive](uint64_t next) {
    asio::post(io_, [this, alive, next] {
      if (alive.lock() && *alive.lock()) OnDurable(next);
    });
  };
  callbacks.on_error = [this, alive](const Status& error) {
    std::string text = error.message();
    asio::post(io_, [this, alive, text] {
      if (!alive.lock() || !*alive.lock()) return;
      write_error_ = true;
      write_error_text_ = text;
      ModuleLogger("persistence")
          ->error("log store write failed: {}; refusing writes until it succeeds again", text);
    });
  };
  callbacks.on_recovered = [this, alive] {
    asio::post(io_, [this, alive] {
      if (!alive.lock() || !*alive.lock()) return;
      write_error_ = false;
      ModuleLogger("persistence")->info("log store writes succeed again; accepting writes");
    });
  };
  writer_ = std::make_unique<logstore::LogWriter>(store_.get(), PolicyOf(config_.fsync),
                                                  std::move(callbacks));
  writer_->Start();
}

void Persistence::Stop() {
  if (writer_ != nullptr) {
    FlushChunk();
    writer_->Stop();
    writer_.reset();
    // Chunks the loop wrote itself are in the WAL file; make them durable before exit.
    if (Status s = store_->Sync(); !s.ok()) {
      ModuleLogger("persistence")->error("final log sync failed: {}", s.message());
    } else if (Status c =
                   store_->CommitMeta({{std::string(internal::kCleanStopKey), "1"},
                                       {std::string(internal::kReplicaSlotsKey), replica_slots_}},
                                      0, true);
               !c.ok()) {
      ModuleLogger("persistence")->error("cannot record the clean stop: {}", c.message());
    } else {
      // Every frame is durable now: the next start must find all of them.
      DirState state = committed_state_;
      state.durable_offset = spill_ ? state.spine_upper : store_->NextOffset();
      RecordCommitted(state);
      // Memtables to tables, so the next start need not read RocksDB's WAL files back (after
      // a final seal they hold only truncated frames) and this run's WAL file is released.
      // Not needed for durability.
      if (Status f = store_->Flush(); !f.ok()) {
        ModuleLogger("persistence")->warn("final log store flush failed: {}", f.message());
      }
    }
  }
  if (pool_ != nullptr) {
    pool_->join();
    pool_.reset();
  }
}

// ---- write path ------------------------------------------------------------------------

void Persistence::UnlistEntries(DirtySet& set, const std::function<void(std::string_view)>& name) {
  for (Entry* e : set.entries) {
    if (name) name(e->key());
    if (e->dead()) {
      Entry::Destroy(e);
    } else {
      e->set_dirty(false);
    }
  }
  set.entries.clear();
  // A large list goes with its seal (a spill-mode first SAVE lists every key).
  if (set.entries.capacity() > 4096) std::vector<Entry*>().swap(set.entries);
}

void Persistence::DropDirty() {
  for (DirtySet& set : dirty_) {
    UnlistEntries(set, nullptr);
    set.keys.clear();
  }
  dirty_bytes_ = 0;
  listed_ = 0;
}

void Persistence::MarkDirtyName(int db, std::string_view key) {
  if (untracked_) return;
  if (dirty_[static_cast<size_t>(db)].keys.emplace(key).second) {
    dirty_bytes_ += key.size() + 32;
    listed_++;
    if (ListingTooLarge()) StopTracking();
  }
}

bool Persistence::ListingTooLarge() const {
  if (!spill_) return false;
  if (dirty_bytes_ >= static_cast<uint64_t>(engine_.config().seal_dirty_bytes)) return true;
  // Most keys listed (a bulk load, or a rewrite of most of the data): the list would only
  // spare the next SAVE writing the rest, at 8+ bytes a key until then. Checked now and then.
  constexpr uint64_t kCheckEvery = 4096, kMinListed = 64 * 1024;
  return listed_ >= kMinListed && listed_ % kCheckEvery == 0 &&
         listed_ * 2 > engine_.keyspace().TotalKeys();
}

void Persistence::StopTracking() {
  DropDirty();
  for (DirtySet& set : dirty_) absl::flat_hash_set<std::string>().swap(set.keys);
  untracked_ = true;
  // Large collections' element logs would list their changes without bound too.
  Keyspace& ks = engine_.keyspace();
  for (int db = 0; db < ks.num_databases(); db++) {
    ks.db(db).dict().ForEach([](Entry* e) {
      if (!e->IsString()) types::OpsFor(e->type())->swap_element_log(*e->object(), nullptr);
    });
  }
  ModuleLogger("persistence")
      ->info(
          "spill: the keys changed since the last seal passed compaction.seal_dirty_bytes or "
          "half of all keys; they are no longer listed, and the next SAVE writes every key");
}

size_t Persistence::StorageMemory() const {
  // Exact at every call but for the table readers (sampled each cron tick; they change only
  // when RocksDB flushes or compacts). A frame is counted in chunk_, then in the writer's
  // queue or the memtables, so a burst of writes evicts no keys for the log's sake.
  return (store_ != nullptr ? store_->MemtableBytes() : 0) + table_reader_bytes_ +
         chunk_.capacity() + seal_capture_bytes_.load(std::memory_order_relaxed) +
         (writer_ != nullptr ? writer_->queued_bytes() : 0) +
         (backlog_ != nullptr ? backlog_->memory_bytes() : 0);
}

void Persistence::ChunkGrew() {
  if (chunk_.size() >= kMaxChunkBytes) {
    FlushChunk();
  } else {
    ScheduleFlush();
  }
}

void Persistence::OnKeyModified(int db, Entry* e) {
  if (!e->dirty() && !untracked_) {
    e->set_dirty(true);
    dirty_[static_cast<size_t>(db)].entries.push_back(e);
    dirty_bytes_ += e->key().size() + 32;
    listed_++;
    if (ListingTooLarge()) StopTracking();
  }
}

void Persistence::MarkDirty(int db, std::string_view key) {
  // An entry still in place (a key about to expire) is listed by entry; else by name.
  if (Entry* e = engine_.keyspace().db(db).Peek(key, INT64_MIN)) {
    OnKeyModified(db, e);
  } else {
    MarkDirtyName(db, key);
  }
}

void Persistence::OnWholeDatabase(const Database& db, int other_index) {
  // Every entry is about to be freed (or to move to the other database): the changed keys
  // listed by entry are kept by name instead, so nothing points at them and their memory
  // goes at once (FLUSHALL must make room under maxmemory).
  const int index = db.index();
  UnlistEntries(dirty_[static_cast<size_t>(index)],
                [&](std::string_view key) { MarkDirtyName(index, key); });
  if (reloading_) return;  // DEBUG RELOAD empties the keyspace to load it back
  // SWAPDB: each key leaves this database and arrives in the other one, so the next seal
  // must write its state (or its absence) in both.
  db.dict().ForEach([&](Entry* e) {
    MarkDirtyName(index, e->key());
    if (other_index >= 0) MarkDirtyName(other_index, e->key());
  });
}

void Persistence::OnEffect(Session* session, int db, std::span<const std::string_view> argv,
                           const CommandSpec*) {
  if (replaying_ || replica_) return;  // a replica logs the primary's frames instead
  const uint64_t offset = next_offset_++;
  if (session != nullptr) {
    session->last_write_offset = offset;
    session->write_count++;
  }
  if (spill_) {
    // Nothing goes to the log; offsets still count writes, and replicas get the frames.
    if (backlog_ != nullptr) {
      spill_frame_.clear();
      proto::EncodeFrame(offset, db, argv, &spill_frame_);
      PushToBacklog(spill_frame_);
    }
    return;
  }
  if (chunk_count_ == 0) chunk_first_ = offset;
  const size_t start = chunk_.size();
  proto::EncodeFrame(offset, db, argv, &chunk_);
  chunk_count_++;
  if (backlog_ != nullptr) PushToBacklog(std::string_view(chunk_).substr(start));
  ChunkGrew();
}

bool Persistence::WritesAllowed(std::string* why) const {
  if (!write_error_) return true;
  *why = fmt::format(
      "MISCONF Errors writing to the log store ({}): write commands are refused until a write "
      "succeeds again (the server retries every second); reads keep working",
      write_error_text_);
  return false;
}

void Persistence::ScheduleFlush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  // Runs after the handlers already queued in this loop iteration: the frames of every
  // client served in this round go to the writer as one chunk (group commit).
  std::weak_ptr<bool> alive = alive_;
  asio::post(io_, [this, alive] {
    if (!alive.lock() || !*alive.lock()) return;
    flush_posted_ = false;
    FlushChunk();
  });
}

void Persistence::FlushChunk() {
  if (chunk_count_ == 0 || writer_ == nullptr) return;
  // Fast path: when nothing is pending in the writer (the store continues exactly at this
  // chunk), the loop writes the chunk into RocksDB's WAL itself, as Redis write()s its AOF
  // before replying: no thread hand-off before the replies can go. Only syncs (and meta
  // commits) go to the writer thread. After an error, chunks queue behind the writer,
  // which retries them in order, until it has caught up again.
  if (!write_error_ && store_->NextOffset() == chunk_first_) {
    const uint64_t next = chunk_first_ + chunk_count_;
    if (store_->Append(chunk_first_, chunk_count_, chunk_, {}, false).ok()) {
      const size_t used = chunk_.size();
      chunk_.clear();
      // One huge frame (a large value) leaves no lasting buffer behind it, and a buffer
      // grown by a burst is not kept once chunks are small again.
      const size_t capacity = chunk_.capacity();
      if (capacity > 2 * kMaxChunkBytes || (capacity > kKeepChunkBytes && used < capacity / 4)) {
        std::string().swap(chunk_);
      }
      chunk_count_ = 0;
      if (backlog_ != nullptr) backlog_->SetDurable(next);
      unsynced_ = true;
      if (config_.fsync == "always") {
        RequestSync(next);
      } else {
        OnDurable(next);
      }
      return;
    }
  }
  std::string frames;
  frames.reserve(std::min<size_t>(chunk_.capacity(), kMaxChunkBytes));  // chunk_'s next buffer
  frames.swap(chunk_);
  writer_->Submit(chunk_first_, chunk_count_, std::move(frames));
  chunk_count_ = 0;
}

void Persistence::RequestSync(uint64_t durable_next) {
  unsynced_ = false;
  last_sync_request_ms_ = engine_.clock().NowMs();
  std::weak_ptr<bool> alive = alive_;
  // An empty meta commit is an fsync of everything written before it; several requested
  // together share one fsync on the writer thread.
  writer_->SubmitMeta({}, 0, [this, alive, durable_next](const Status& s) {
    if (!s.ok()) return;  // the writer reports the error and retries
    RecordSynced(durable_next);
    asio::post(io_, [this, alive, durable_next] {
      if (alive.lock() && *alive.lock()) OnDurable(durable_next);
    });
  });
}

bool Persistence::MustWaitFor(uint64_t offset) const {
  // Every wal policy holds replies until the writer has the write in RocksDB's WAL file (as
  // Redis writes its AOF before replying): a process crash then loses no acknowledged
  // write. "always" additionally waits for the fsync (the writer reports only then).
  return !spill_ && offset >= durable_next_ && writer_ != nullptr;
}

void Persistence::WaitDurable(uint64_t offset, std::function<void()> resume) {
  durable_waiters_.emplace_back(offset, std::move(resume));
}

void Persistence::OnDurable(uint64_t durable_next) {
  durable_next_ = std::max(durable_next_, durable_next);
  if (backlog_ != nullptr && !spill_) backlog_->SetDurable(store_->NextOffset());
  while (!durable_waiters_.empty() && durable_waiters_.front().first < durable_next_) {
    auto resume = std::move(durable_waiters_.front().second);
    durable_waiters_.pop_front();
    resume();
  }
}

// ---- seal and merge -------------------------------------------------------------------

std::string Persistence::BatchPath(const compaction::BatchMeta& meta) const {
  return batch_dir_ + "/" + meta.FileName();
}

void Persistence::Cron(int64_t now_ms) {
  const config::Config& cfg = engine_.config();
  if (store_ != nullptr) table_reader_bytes_ = store_->TableReaderBytes();
  // everysec: chunks the loop wrote itself are fsynced once a second from here.
  if (unsynced_ && config_.fsync == "everysec" && writer_ != nullptr &&
      now_ms - last_sync_request_ms_ >= 1000) {
    RequestSync(store_->NextOffset());
  } else if (!spill_ && config_.fsync != "no" && writer_ != nullptr &&
             now_ms - last_sync_request_ms_ >= 1000 && StateLagsBehind(durable_next_)) {
    // STATE skipped a durable offset (it is written at most once a second): another sync,
    // of nothing new, lets it catch up.
    RequestSync(durable_next_);
  }
  const bool due = now_ms - last_seal_attempt_ms_ >= cfg.seal_interval_ms ||
                   dirty_bytes_ >= static_cast<uint64_t>(cfg.seal_dirty_bytes);
  if (due && !spill_ && !seal_running_ && next_offset_ > spine_.upper() && writer_ != nullptr) {
    Seal(nullptr);
  }
  if (spill_ && !seal_running_ && writer_ != nullptr && SaveRuleDue(cfg.save, now_ms)) {
    Seal(nullptr);
  }
}

bool Persistence::SaveRuleDue(std::string_view rules, int64_t now_ms) const {
  if (rules.empty()) return false;
  // As Redis after a failed BGSAVE: wait a little before the next try.
  constexpr int64_t kRetryDelayMs = 5000;
  if (stats_.last_seal_unix_ms < last_seal_attempt_ms_ &&
      now_ms - last_seal_attempt_ms_ < kRetryDelayMs) {
    return false;
  }
  const int64_t since_ms = now_ms - std::max(stats_.last_seal_unix_ms, created_ms_);
  const uint64_t changes = engine_.stats().dirty;
  // "seconds changes seconds changes ...", validated by the option table.
  std::vector<int64_t> numbers;
  for (size_t pos = 0; pos <= rules.size();) {
    const size_t end = std::min(rules.find(' ', pos), rules.size());
    numbers.push_back(ParseInt64(rules.substr(pos, end - pos)).value_or(0));
    pos = end + 1;
  }
  for (size_t i = 0; i + 1 < numbers.size(); i += 2) {
    if (changes >= static_cast<uint64_t>(numbers[i + 1]) && since_ms >= numbers[i] * 1000) {
      return true;
    }
  }
  return false;
}

void Persistence::OnConfigChanged() {
  const std::string& fsync = engine_.config().fsync;
  if (fsync == config_.fsync) return;
  config_.fsync = fsync;
  if (writer_ != nullptr) writer_->set_policy(PolicyOf(fsync));
}

bool Persistence::SaveInBackground() {
  if (seal_running_) return false;
  Seal(nullptr);
  return true;
}

void Persistence::Seal(std::function<void(const Status&)> done) {
  if (seal_running_) {
    // The running seal covers only what was written before it started: a caller that asks
    // now (SAVE) waits for the next seal, started as soon as this one finishes.
    if (done) next_seal_waiters_.push_back(std::move(done));
    seal_requested_ = true;
    return;
  }
  if (done) seal_waiters_.push_back(std::move(done));
  if (writer_ == nullptr || installing_) return;
  if (engine_.script_running()) {
    // A busy script serves events from inside itself: the keyspace holds part of its
    // effects and the log none yet, so a seal now would store a state no offset describes.
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(10));
    std::weak_ptr<bool> alive = alive_;
    timer->async_wait([this, alive, timer](const std::error_code&) {
      if (alive.lock() && *alive.lock() && !seal_running_) Seal(nullptr);
    });
    return;
  }
  if (untracked_ && merges_running_ > 0) {
    // A full snapshot replaces every batch, the running merges' inputs too: let them
    // finish first (none starts while untracked).
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
    std::weak_ptr<bool> alive = alive_;
    timer->async_wait([this, alive, timer](const std::error_code&) {
      if (alive.lock() && *alive.lock() && !seal_running_) Seal(nullptr);
    });
    return;
  }
  seal_running_ = true;
  const bool full = untracked_;
  untracked_ = false;
  const int64_t now = engine_.clock().NowMs();
  seal_started_ms_ = now;
  last_seal_attempt_ms_ = now;
  FlushChunk();

  const uint64_t upper = next_offset_;
  const uint64_t lower = spine_.batches().empty() ? log_base_
                         : full                   ? spine_.lower()
                                                  : spine_.upper();
  // Capture the dirty keys' states now, on the loop: this is the cost of a seal, and it is
  // proportional to what changed since the last one (the latency monitor's seal-capture).
  const int64_t capture_start_ns = engine_.clock().MonotonicNs();
  std::vector<std::pair<std::string, std::string>> entries;
  Keyspace& ks = engine_.keyspace();
  for (size_t db = 0; db < dirty_.size(); db++) {
    Database& database = ks.db(static_cast<int>(db));
    auto record = [&](std::string_view key) {
      // The state as the keyspace holds it, expired or not: a key whose TTL passed is gone
      // only once its DEL is applied. (A replica's clock is not its primary's: a frame
      // arriving later may still extend a key this node would call expired.)
      AppendStates(static_cast<int>(db), key, database.Peek(key, INT64_MIN), upper, &entries);
    };
    DirtySet& set = dirty_[db];
    // A listed entry names a changed key; its state is whatever the key holds now (the
    // entry itself may be dead). Duplicates go at the sort.
    UnlistEntries(set, record);
    for (const std::string& key : set.keys) record(key);
    set.keys.clear();
    if (full) {
      // Every key, each large collection whole under a new generation (the batches that
      // held its earlier rows are replaced).
      database.dict().ForEach([&](Entry* e) {
        if (!e->IsString()) types::OpsFor(e->type())->swap_element_log(*e->object(), nullptr);
        record(e->key());
      });
    }
  }
  AppendMetaRows(full, &entries);
  engine_.ReportLatency("seal-capture",
                        (engine_.clock().MonotonicNs() - capture_start_ns) / 1'000'000);
  dirty_bytes_ = 0;
  listed_ = 0;
  stats_.last_seal_keys = entries.size();
  // The captured states are persistence's, as a forked child's copy is Redis's: until the
  // batch is written they count in storage_memory(), not against maxmemory.
  size_t captured = entries.capacity() * sizeof(entries[0]);
  for (const auto& [key, state] : entries) captured += HeapBytes(key) + HeapBytes(state);
  seal_capture_bytes_.store(captured, std::memory_order_relaxed);

  compaction::BatchMeta meta;
  meta.id = next_batch_id_++;
  meta.lower = lower;
  meta.upper = upper;
  meta.level = 0;
  const std::string path = BatchPath(meta);
  std::weak_ptr<bool> alive = alive_;
  asio::post(*pool_, [this, alive, meta, path, full, entries = std::move(entries)]() mutable {
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  entries.end());
    Status status;
    compaction::BatchMeta written = meta;
    auto writer = compaction::BatchWriter::Create(path + ".tmp");
    if (!writer.ok()) status = writer.status();
    for (size_t i = 0; status.ok() && i < entries.size(); i++) {
      status = writer.value()->Add(entries[i].first, entries[i].second);
    }
    if (status.ok()) {
      auto bytes = writer.value()->Finish();
      if (!bytes.ok()) {
        status = bytes.status();
      } else {
        written.bytes = *bytes;
        written.entries = entries.size();
        written.content_crc = writer.value()->content_crc();
        std::error_code ec;
        fs::rename(path + ".tmp", path, ec);
        if (ec) status = Status::IOError(fmt::format("rename {}: {}", path, ec.message()));
        if (status.ok()) status = SyncDirectory(fs::path(path).parent_path().string());
      }
    }
    if (status.ok()) {  // only a failed seal needs the states back
      std::vector<std::pair<std::string, std::string>>().swap(entries);
      seal_capture_bytes_.store(0, std::memory_order_relaxed);
    }
    engine::Engine::ReleaseFreeMemory();  // the batch writer's buffers, on this thread
    asio::post(io_, [this, alive, written, status, full, entries = std::move(entries)]() mutable {
      if (!alive.lock() || !*alive.lock()) return;
      if (!status.ok()) {
        if (full) untracked_ = true;  // the next seal is a full snapshot again
        // Nothing was committed: the keys stay dirty for the next attempt, and large
        // collections among them are written whole then (their changes were taken).
        for (const auto& [batch_key, state] : entries) {
          if (compaction::IsElementRowKey(batch_key)) continue;
          auto [db, key] = compaction::SplitBatchKey(batch_key);
          if (db == compaction::kMetaDb) {
            sealed_functions_version_ = UINT64_MAX;  // stored again by the next seal
            continue;
          }
          MarkDirty(db, key);
          Entry* e = engine_.keyspace().db(db).Peek(key, INT64_MIN);
          if (e != nullptr && !e->IsString())
            types::OpsFor(e->type())->swap_element_log(*e->object(), nullptr);
        }
        std::vector<std::pair<std::string, std::string>>().swap(entries);
        seal_capture_bytes_.store(0, std::memory_order_relaxed);
        next_batch_id_ = std::max(next_batch_id_, written.id + 1);
        FinishSeal(status);
        return;
      }
      std::vector<compaction::BatchMeta> replaced;
      if (full) {
        replaced = spine_.ReplaceAll(written);
      } else {
        spine_.Append(written);
      }
      stats_.last_seal_bytes = written.bytes;
      // The log below the batch goes, except what replicas that are behind still read
      // (bounded by logstore.retention_bytes).
      uint64_t truncate = written.upper;
      uint64_t keep = retain_from_;
      // A replica keeps its log as well (the same bound): promoted, it serves its former
      // siblings, which may be behind it, a partial resync from disk, as a primary does.
      if (replica_) keep = 0;
      if (engine_.clock().NowMs() < hold_until_ms_) keep = std::min(keep, hold_from_);
      if (keep < truncate &&
          store_->Bytes() <= static_cast<uint64_t>(engine_.config().retention_bytes)) {
        truncate = keep;
      }
      CommitManifest(truncate, [this, replaced = std::move(replaced)](const Status& s) {
        // Replaced batches go only once the manifest without them is durable.
        if (s.ok()) {
          for (const compaction::BatchMeta& b : replaced) RemoveOrDefer(BatchPath(b));
        }
        FinishSeal(s);
      });
    });
  });
}

void Persistence::AppendMetaRows(bool full,
                                 std::vector<std::pair<std::string, std::string>>* entries) {
  if (!engine_.has_scripts()) return;  // no library was ever loaded in this process
  engine::ScriptHost& scripts = engine_.scripts();
  if (!full && scripts.functions_version() == sealed_functions_version_) return;
  sealed_functions_version_ = scripts.functions_version();
  compaction::KeyState state;
  state.type = compaction::kMetaType;
  if (scripts.library_count() == 0) {
    state.tombstone = true;
  } else {
    state.value = scripts.DumpFunctions();
  }
  entries->emplace_back(compaction::BatchKey(compaction::kMetaDb, "functions"),
                        compaction::EncodeKeyState(state));
}

void Persistence::CommitManifest(uint64_t truncate_below, std::function<void(const Status&)> done) {
  const compaction::Manifest manifest{next_batch_id_, spine_.batches()};
  // Everything appended before this commit is synced by it: STATE may say so once it is.
  const DirState state = CurrentDirState(manifest);
  std::weak_ptr<bool> alive = alive_;
  // The directory id goes with every manifest: a write-ahead log copied from another
  // directory then carries that directory's id and is noticed at the next start.
  manifest_commits_++;
  writer_->SubmitMeta({{std::string(kManifestKey), compaction::EncodeManifest(manifest)},
                       {std::string(internal::kDirIdKey), dir_id_},
                       {std::string(internal::kReplicaSlotsKey), replica_slots_}},
                      truncate_below,
                      [this, alive, state, done = std::move(done)](const Status& s) {
                        // On the writer thread, in commit order.
                        if (s.ok()) RecordCommitted(state);
                        asio::post(io_, [this, alive, s, done] {
                          if (!alive.lock() || !*alive.lock()) return;
                          manifest_commits_--;
                          done(s);
                        });
                      });
}

void Persistence::set_replica_slots(std::string encoded, bool commit_now) {
  replica_slots_ = std::move(encoded);
  if (commit_now && writer_ != nullptr) {
    slot_commits_submitted_++;
    writer_->SubmitMeta({{std::string(internal::kReplicaSlotsKey), replica_slots_}}, 0,
                        [this](const Status&) { slot_commits_synced_++; });
  }
}

void Persistence::RecordCommitted(const DirState& state) {
  std::lock_guard<std::mutex> lock(state_mu_);
  WriteStateLocked(state);
}

void Persistence::RecordSynced(uint64_t durable) {
  // An fsync makes frames durable between seals: STATE follows at most once a second (a
  // file replaced durably costs three fsyncs), so it lags the log by at most that.
  std::lock_guard<std::mutex> lock(state_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (durable <= committed_state_.durable_offset ||
      now - state_written_ < std::chrono::seconds(1)) {
    return;
  }
  DirState state = committed_state_;
  state.durable_offset = durable;
  WriteStateLocked(state);
}

bool Persistence::StateLagsBehind(uint64_t offset) const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return committed_state_.durable_offset < offset;
}

void Persistence::WriteStateLocked(const DirState& state) {
  committed_state_ = state;
  state_written_ = std::chrono::steady_clock::now();
  if (Status s = StoreDirState(state_path(), state); !s.ok()) {
    // STATE only lags behind then (it holds floors): the next start checks less, loses nothing.
    ModuleLogger("persistence")->warn("cannot update {}: {}", state_path(), s.message());
  }
}

void Persistence::FinishSeal(const Status& status) {
  seal_running_ = false;
  // The seal's copies of the states were freed on this thread: give their pages back.
  engine::Engine::ReleaseFreeMemory();
  const int64_t now = engine_.clock().NowMs();
  if (status.ok()) {
    stats_.seals++;
    if (engine_.recorder() != nullptr && !spine_.batches().empty()) {
      const compaction::BatchMeta& b = spine_.batches().back();
      engine_.TraceEvent(
          trace::RecordType::kSeal, 0,
          fmt::format("lower={} upper={} keys={}", b.lower, b.upper, stats_.last_seal_keys));
    }
    stats_.last_seal_unix_ms = now;
    stats_.last_seal_duration_ms = now - seal_started_ms_;
    engine_.stats().dirty = 0;
  } else {
    stats_.seal_failures++;
    ModuleLogger("persistence")->error("seal failed: {}", status.message());
  }
  auto waiters = std::move(seal_waiters_);
  seal_waiters_.clear();
  for (auto& w : waiters) w(status);
  if (seal_requested_) {
    seal_requested_ = false;
    seal_waiters_ = std::move(next_seal_waiters_);
    next_seal_waiters_.clear();
    Seal(nullptr);
  }
  MaybeStartMerges();
}

void Persistence::MaybeStartMerges() {
  const size_t max_inflight = static_cast<size_t>(engine_.config().compaction_max_inflight);
  // A full sync in progress reads the spine's files: no merge replaces them meanwhile.
  // Nor while a full snapshot is due (spill, untracked): it replaces every batch.
  while (merges_running_ < max_inflight && ship_pins_ == 0 && !installing_ && !untracked_ &&
         !stopping_) {
    auto task = spine_.NextMerge(max_inflight);
    if (!task) return;
    merges_running_++;
    compaction::BatchMeta result;
    result.id = next_batch_id_++;
    result.lower = task->older.lower;
    result.upper = task->newer.upper;
    result.level = std::max(task->older.level, task->newer.level);
    const std::string older = BatchPath(task->older);
    const std::string newer = BatchPath(task->newer);
    const std::string out = BatchPath(result);
    std::weak_ptr<bool> alive = alive_;
    asio::post(*pool_, [this, alive, task = *task, result, older, newer, out] {
      auto merged = compaction::MergeBatches(older, newer, out + ".tmp", result, task.into_oldest);
      engine::Engine::ReleaseFreeMemory();
      Status status = merged.status();
      compaction::BatchMeta meta = merged.ok() ? merged.value() : result;
      if (status.ok()) {
        std::error_code ec;
        fs::rename(out + ".tmp", out, ec);
        if (ec) status = Status::IOError(fmt::format("rename {}: {}", out, ec.message()));
        if (status.ok()) status = SyncDirectory(fs::path(out).parent_path().string());
      }
      asio::post(io_, [this, alive, task, meta, status, older, newer, out]() mutable {
        if (!alive.lock() || !*alive.lock()) return;
        merges_running_--;
        std::error_code ec;
        if (!status.ok()) {
          stats_.merge_failures++;
          ModuleLogger("persistence")->error("merge failed: {}", status.message());
          spine_.AbortMerge(task);
          fs::remove(out + ".tmp", ec);
          return;
        }
        meta.level = compaction::Spine::MergedLevel(task.older, task.newer, meta.bytes);
        if (!spine_.ApplyMerge(task, meta)) {
          fs::remove(out, ec);
          return;
        }
        CommitManifest(0, [this, older, newer](const Status& s) {
          if (!s.ok()) return;  // the writer retries; the files stay until it commits
          // Inputs go only once the manifest without them is durable.
          RemoveOrDefer(older);
          RemoveOrDefer(newer);
          stats_.merges++;
          if (engine_.recorder() != nullptr) {
            engine_.TraceEvent(trace::RecordType::kMerge, 0,
                               fmt::format("older={} newer={}", older, newer));
          }
          MaybeStartMerges();
        });
      });
    });
  }
}

void Persistence::Reload(std::function<void(const Status&)> done) {
  Seal([this, done = std::move(done)](const Status& sealed) {
    if (!sealed.ok()) return done(sealed);
    // Everything submitted so far must be in the store before it is read back: queue an
    // empty meta commit behind it and wait (this blocks the loop, as DEBUG RELOAD does in
    // Redis; the writer thread never waits on the loop).
    FlushChunk();
    std::promise<Status> drained;
    writer_->SubmitMeta({}, 0, [&drained](const Status& s) { drained.set_value(s); });
    Status status = drained.get_future().get();
    if (status.ok()) {
      reloading_ = true;
      engine_.keyspace().ClearAll();
      reloading_ = false;
      next_offset_ = spine_.upper();
      status = LoadBatches();
      if (status.ok()) status = ReplayLog();
      next_offset_ = std::max(next_offset_, store_->NextOffset());
      if (status.ok() && !replica_) {
        // The log replays at time 0: what expired since goes now (as DEL frames).
        Keyspace& ks = engine_.keyspace();
        for (int i = 0; i < ks.num_databases(); i++) ks.db(i).ExpireAll(engine_.clock().NowMs());
      }
    }
    done(status);
  });
}

void Persistence::AppendInfo(std::string& out) const {
  auto line = [&out](std::string_view key, const auto& value) {
    out += fmt::format("{}:{}\r\n", key, value);
  };
  const logstore::LogWriterStats ws =
      writer_ != nullptr ? writer_->stats() : logstore::LogWriterStats{};
  line("loading", 0);
  line("logstore_mode", config_.logstore_mode);
  line("logstore_fsync", config_.fsync);
  line("logstore_first_offset", store_ != nullptr ? store_->FirstOffset() : 0);
  line("logstore_next_offset", next_offset_);
  line("logstore_durable_offset", durable_next_);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    // What <dir>/STATE holds: the next start refuses to go below it (docs/persistence.md).
    line("state_durable_offset", committed_state_.durable_offset);
  }
  line("logstore_bytes", store_ != nullptr ? store_->Bytes() : 0);
  line("logstore_flushes_pending", store_ != nullptr ? store_->FlushesPending() : 0);
  // Membership changes of the replica slots not yet synced (a kill -9 before they are loses
  // them: those replicas then get a full sync after the restart).
  line("replica_slot_commits_pending",
       slot_commits_submitted_ - slot_commits_synced_.load(std::memory_order_acquire));
  line("logstore_queued_bytes", writer_ != nullptr ? writer_->queued_bytes() : 0);
  line("logstore_fsyncs", ws.fsyncs);
  line("logstore_last_fsync_time", ws.last_fsync_unix_ms / 1000);
  line("logstore_write_errors", ws.write_errors);
  line("logstore_write_status", write_error_ ? "err" : "ok");
  uint64_t batch_bytes = 0;
  std::vector<uint64_t> per_level;
  for (const auto& b : spine_.batches()) {
    batch_bytes += b.bytes;
    if (per_level.size() <= b.level) per_level.resize(b.level + 1, 0);
    per_level[b.level]++;
  }
  std::string levels;
  for (size_t i = 0; i < per_level.size(); i++) {
    if (per_level[i] == 0) continue;
    if (!levels.empty()) levels += ",";
    levels += fmt::format("L{}={}", i, per_level[i]);
  }
  line("batches", spine_.batches().size());
  line("batches_per_level", levels.empty() ? "none" : levels);
  line("batches_bytes", batch_bytes);
  line("batches_upper", spine_.upper());
  line("dirty_keys", [&] {
    size_t n = 0;
    for (const auto& d : dirty_) n += d.size();
    return n;
  }());
  line("dirty_untracked", untracked_ ? 1 : 0);
  line("seals", stats_.seals);
  line("seal_in_progress", seal_running_ ? 1 : 0);
  line("last_seal_time", stats_.last_seal_unix_ms / 1000);
  line("last_seal_duration_ms", stats_.last_seal_duration_ms);
  line("last_seal_keys", stats_.last_seal_keys);
  line("last_seal_bytes", stats_.last_seal_bytes);
  line("seal_failures", stats_.seal_failures);
  line("merges_done", stats_.merges);
  line("merges_in_progress", merges_running_);
  line("merge_failures", stats_.merge_failures);
  line("recovery_time_ms", stats_.recovery_ms);
  line("recovered_batch_keys", stats_.recovered_batch_keys);
  line("recovered_log_frames", stats_.recovered_frames);
  line("rdb_changes_since_last_save", engine_.stats().dirty);
  line("rdb_last_save_time", stats_.last_seal_unix_ms / 1000);
  // The log plays the AOF's part only when every write is logged (wal); spill logs none.
  line("aof_enabled", config_.logstore_mode == "wal" ? 1 : 0);
}

}  // namespace tidekv::persistence
