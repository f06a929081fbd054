// Persistence's recovery: the directory lock, the evidence in <dir>/STATE, the log store,
// the batches (loaded newest-wins on a reader thread) and the log replay. See persistence.h.

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "common/files.h"
#include "common/logging.h"
#include "compaction/batch.h"
#include "compaction/manifest.h"
#include "engine/script_host.h"
#include "keyspace/dict.h"
#include "logstore/wal_tail.h"
#include "persistence/element_rows.h"
#include "persistence/frame_apply.h"
#include "persistence/persistence.h"
#include "persistence/persistence_internal.h"
#include "proto/frame.h"
#include "types/value.h"

namespace tidekv::persistence {

namespace fs = std::filesystem;

using internal::kManifestKey;

Status Persistence::LockDirectory() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status::IOError(fmt::format("data directory {}: {}", dir_, ec.message()));
  const std::string path = dir_ + "/LOCK";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return Status::IOError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    ssize_t n = ::pread(lock_fd_, pid, sizeof pid - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return Status::Unavailable(fmt::format(
        "data directory {} is in use by another tidekv-server (pid {}); each server needs its "
        "own server.dir",
        dir_, holder));
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) == 0) {
    (void)!::pwrite(lock_fd_, me.data(), me.size(), 0);
  }
  return Status::Ok();
}

Status Persistence::RefuseOrAccept(std::string what) const {
  if (!accept_data_loss_) {
    return Status::Corruption(
        what +
        ". Nothing was changed or deleted. If the data cannot be restored, start with "
        "--accept-data-loss to load what is left (what is missing is then lost)");
  }
  ModuleLogger("persistence")
      ->error("{}; starting anyway because --accept-data-loss was given: what is missing is lost",
              what);
  return Status::Ok();
}

Status Persistence::MoveToOrphans(const compaction::Manifest& manifest) {
  auto log = ModuleLogger("persistence");
  std::error_code ec;
  const std::string orphans = dir_ + "/orphans";
  size_t moved = 0;
  for (const auto& file : fs::directory_iterator(batch_dir_, ec)) {
    const std::string name = file.path().filename().string();
    const bool referenced =
        std::any_of(manifest.batches.begin(), manifest.batches.end(),
                    [&](const compaction::BatchMeta& b) { return b.FileName() == name; });
    if (referenced) continue;
    // Usually what an interrupted seal or merge left; but a file the manifest does not name
    // may be the only copy of something, so it is set aside, never deleted.
    fs::create_directories(orphans, ec);
    const std::string to = orphans + "/" + name;
    fs::rename(file.path(), to, ec);
    if (ec) {
      return Status::IOError(fmt::format("cannot move {} (not in the manifest) to {}: {}",
                                         file.path().string(), orphans, ec.message()));
    }
    log->warn(
        "moved {} to {}: the manifest does not list it (left by an interrupted seal or "
        "merge, or from a damaged log store)",
        file.path().string(), to);
    moved++;
  }
  if (moved > 0) {
    if (Status s = SyncDirectory(batch_dir_); !s.ok()) return s;
    if (Status s = SyncDirectory(orphans); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<compaction::Manifest> Persistence::DecodeStoredManifest(
    const std::optional<std::string>& bytes) const {
  if (!bytes) return compaction::Manifest{};
  auto decoded = compaction::DecodeManifest(*bytes);
  if (!decoded.ok()) {
    return Status::Corruption(
        fmt::format("manifest in {}/log is unreadable: {}", dir_, decoded.status().message()));
  }
  return decoded;
}

Status Persistence::CheckEvidence(const DirState& evidence,
                                  const std::optional<std::string>& manifest_bytes,
                                  const std::optional<std::string>& dir_id) const {
  const std::string log_dir = dir_ + "/log";
  if (!dir_id) {
    return RefuseOrAccept(fmt::format(
        "the log store {} has lost its state: {} records batches up to offset {} (next batch "
        "id {}) and durable frames up to offset {}, but the log store holds no directory id "
        "or manifest: its write-ahead log is missing, emptied or damaged ({})",
        log_dir, state_path(), evidence.spine_upper, evidence.next_batch_id,
        evidence.durable_offset, logstore::LogStore::DescribeFiles(log_dir)));
  }
  if (*dir_id != evidence.dir_id) {
    return RefuseOrAccept(fmt::format(
        "{} belongs to data directory {} but the log store {} to data directory {}: one of "
        "them was copied from another server's directory ({})",
        state_path(), evidence.dir_id, log_dir, *dir_id,
        logstore::LogStore::DescribeFiles(log_dir)));
  }
  auto manifest = DecodeStoredManifest(manifest_bytes);
  if (!manifest.ok()) return manifest.status();
  const uint64_t upper = manifest->batches.empty() ? 0 : manifest->batches.back().upper;
  if (manifest->next_batch_id < evidence.next_batch_id || upper < evidence.spine_upper) {
    return RefuseOrAccept(fmt::format(
        "the log store {} went back in time: its manifest lists batches up to offset {} (next "
        "batch id {}), but {} shows batches up to offset {} (next batch id {}) were committed: "
        "its write-ahead log is truncated or damaged ({})",
        log_dir, upper, manifest->next_batch_id, state_path(), evidence.spine_upper,
        evidence.next_batch_id, logstore::LogStore::DescribeFiles(log_dir)));
  }
  return Status::Ok();
}

Status Persistence::Recover() {
  const int64_t start = engine_.clock().MonotonicNs();
  auto log = ModuleLogger("persistence");
  if (Status s = LockDirectory(); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(batch_dir_, ec);
  if (ec) return Status::IOError(fmt::format("{}: {}", batch_dir_, ec.message()));

  // What the directory is known to hold at least (dir_state.h), read before anything else.
  std::optional<DirState> evidence;
  if (auto loaded = LoadDirState(state_path()); loaded.ok()) {
    evidence = *loaded;
  } else if (Status s = RefuseOrAccept(loaded.status().message()); !s.ok()) {
    return s;
  }

  // Every WAL file carries the directory id: one from another directory is refused by name
  // before RocksDB replays it (its sequence numbers belong to another database).
  if (evidence) {
    for (const auto& [file, id] : logstore::LastValuesInWals(dir_ + "/log", internal::kDirIdKey)) {
      if (id == evidence->dir_id) continue;
      if (Status s = RefuseOrAccept(fmt::format(
              "{} belongs to data directory {} but {} to data directory {}: one of them was "
              "copied from another server's directory",
              file, id, state_path(), evidence->dir_id));
          !s.ok()) {
        return s;
      }
    }
  }

  // Judge the log store against the evidence before it is opened for writing: a read-write
  // open replays the WAL into new files and deletes what its MANIFEST no longer references.
  const std::vector<std::string> keys = {std::string(kManifestKey),
                                         std::string(internal::kDirIdKey)};
  auto peeked = logstore::LogStore::PeekMeta(dir_, keys);
  if (!peeked.ok()) return peeked.status();
  if (evidence && peeked->has_value()) {
    if (Status s = CheckEvidence(*evidence, (**peeked)[0], (**peeked)[1]); !s.ok()) return s;
  }

  logstore::OpenReport report;
  auto opened = logstore::LogStore::Open(dir_, logstore::LogStoreOptions{}, &report);
  if (!opened.ok()) return opened.status();
  store_ = std::move(opened).value();
  if (report.dropped_torn_tail) {
    stats_.dropped_torn_tail = true;
    log->warn("log store {}: dropped a torn final chunk: {}", store_->path(),
              report.torn_tail_detail);
  }
  auto stored = store_->ReadMeta(kManifestKey);
  if (!stored.ok()) {
    return Status::IOError(fmt::format("cannot read the manifest from {}: {}", store_->path(),
                                       stored.status().message()));
  }
  dir_id_ = store_->GetMeta(internal::kDirIdKey).value_or("");
  restored_replica_slots_ = store_->GetMeta(internal::kReplicaSlotsKey).value_or("");
  replica_slots_ = restored_replica_slots_;
  if (evidence && !peeked->has_value()) {
    // There was no log store at all (the directory was deleted): an empty one was made.
    if (Status s =
            CheckEvidence(*evidence, *stored,
                          dir_id_.empty() ? std::nullopt : std::optional<std::string>(dir_id_));
        !s.ok()) {
      return s;
    }
  }
  auto decoded = DecodeStoredManifest(*stored);
  if (!decoded.ok()) return decoded.status();
  const compaction::Manifest manifest = std::move(decoded).value();

  if (Status s = LoadIdentity(); !s.ok()) return s;
  // A full sync that a crash interrupted left files in staging: they were never installed
  // (the primary still has them).
  fs::remove_all(staging_dir(), ec);
  spine_ = compaction::Spine(manifest.batches);
  next_batch_id_ = manifest.next_batch_id;
  log_base_ = manifest.batches.empty() ? report.first_offset : spine_.lower();
  if (Status s = MoveToOrphans(manifest); !s.ok()) return s;

  if (Status s = LoadBatches(); !s.ok()) return s;

  const uint64_t replay_from = spine_.batches().empty() ? report.first_offset : spine_.upper();
  if (store_->FirstOffset() > replay_from && store_->NextOffset() > store_->FirstOffset()) {
    return Status::Corruption(fmt::format(
        "log store {} starts at offset {} but the batches end at {}: frames are missing",
        store_->path(), store_->FirstOffset(), replay_from));
  }
  next_offset_ = replay_from;
  if (Status s = ReplayLog(); !s.ok()) return s;
  next_offset_ = std::max(next_offset_, store_->NextOffset());
  if (evidence && next_offset_ < evidence->durable_offset && !spill_) {
    if (Status s = RefuseOrAccept(fmt::format(
            "the log store {} ends at offset {}, but {} shows every frame below offset {} was "
            "durable: frames are missing from its write-ahead log ({})",
            store_->path(), next_offset_, state_path(), evidence->durable_offset,
            logstore::LogStore::DescribeFiles(store_->path())));
        !s.ok()) {
      return s;
    }
  }
  // The log must continue at our next offset: after spill mode (which logs nothing), or
  // when the batches end past an emptied log, move the log's next offset up first.
  if (store_->NextOffset() < next_offset_) {
    if (Status s = store_->Reset(next_offset_, {}, true); !s.ok()) {
      return Status::IOError(fmt::format("cannot move the log store {} to offset {}: {}",
                                         store_->path(), next_offset_, s.message()));
    }
  }
  durable_next_ = next_offset_;

  // What was recovered is now the floor for the next start: make it durable, then say so.
  if (dir_id_.empty()) {
    dir_id_ = evidence ? evidence->dir_id : NewDirId();
    if (Status s = store_->CommitMeta({{std::string(internal::kDirIdKey), dir_id_}}, 0, true);
        !s.ok()) {
      return s;
    }
  }
  // The log store kept the WAL files it replayed (a refused start leaves them as they
  // were): now that the start is accepted, flush what they held to tables so they can go.
  if (peeked->has_value()) {
    if (Status s = store_->Flush(); !s.ok()) return s;
  }
  if (Status s = store_->Sync(); !s.ok()) return s;
  committed_state_ = CurrentDirState(manifest);
  if (Status s = StoreDirState(state_path(), committed_state_); !s.ok()) return s;

  stats_.recovery_ms = (engine_.clock().MonotonicNs() - start) / 1'000'000;
  log->info("recovered {} keys from {} batches and {} log frames in {} ms (next offset {})",
            engine_.keyspace().TotalKeys(), spine_.batches().size(), stats_.recovered_frames,
            stats_.recovery_ms, next_offset_);
  if (spill_) {
    log->warn(
        "logstore.mode = spill: writes are not logged; a restart loads what the last "
        "SAVE/BGSAVE sealed ({})",
        spine_.batches().empty() ? "no SAVE yet, so this start was empty"
                                 : fmt::format("{} keys this time", stats_.recovered_batch_keys));
  }
  return Status::Ok();
}

DirState Persistence::CurrentDirState(const compaction::Manifest& manifest) const {
  DirState state;
  state.dir_id = dir_id_;
  state.next_batch_id = manifest.next_batch_id;
  state.spine_upper = manifest.batches.empty() ? 0 : manifest.batches.back().upper;
  // Frames are durable up to what the store holds (the caller has just synced or committed
  // it); in spill mode nothing is logged and only the batches count.
  state.durable_offset = spill_ ? state.spine_upper : store_->NextOffset();
  return state;
}

namespace {

// Batch loading runs as a pipeline: a reader thread opens each batch file (verifying its
// checksums) and copies its entries into chunks, while the loop thread inserts the previous
// chunk into the keyspace. At most kLoadQueue chunks wait, so memory stays bounded. The
// reader also hashes each key, so the loop can prefetch table slots a few keys ahead.
// A collection value the reader decoded (off the loop thread), owned until the loop takes
// it; one nobody took (a load that stopped early) is freed with its chunk.
class Decoded {
 public:
  Decoded() = default;
  Decoded(const types::TypeOps* ops, types::Value* value) : ops_(ops), value_(value) {}
  Decoded(Decoded&& other) noexcept
      : ops_(other.ops_), value_(std::exchange(other.value_, nullptr)) {}
  Decoded& operator=(Decoded&& other) noexcept {
    std::swap(ops_, other.ops_);
    std::swap(value_, other.value_);
    return *this;
  }
  ~Decoded() {
    if (value_ != nullptr) ops_->destroy(value_);
  }
  // The value (null: not a whole collection, or it did not decode), now the caller's.
  types::Value* Take() { return std::exchange(value_, nullptr); }

 private:
  const types::TypeOps* ops_ = nullptr;
  types::Value* value_ = nullptr;
};

struct LoadChunk {
  size_t batch = 0;                                  // index in the spine
  std::string bytes;                                 // keys and encoded states back to back
  std::vector<std::pair<uint32_t, uint32_t>> sizes;  // (key bytes, state bytes) per entry
  std::vector<uint64_t> hashes;                      // HashKey of each key (0: element row)
  std::vector<Decoded> objects;                      // per entry
  // Set on the oldest batch's first chunk when all its rows are keys of one database: the
  // table is sized for them at once rather than doubling its way up.
  int presize_db = -1;
  uint64_t presize_keys = 0;
  // Empties the chunk for reuse, keeping its buffers (no large allocation per chunk).
  void Reset(size_t batch_index) {
    batch = batch_index;
    bytes.clear();
    sizes.clear();
    hashes.clear();
    objects.clear();
    presize_db = -1;
    presize_keys = 0;
  }
  Status status;     // the reader's error for this batch
  bool end = false;  // every batch was read
};

constexpr size_t kLoadQueue = 8;
constexpr size_t kLoadChunkEntries = 4096;
// A chunk also ends at this many bytes: a large collection's element rows (a list's 8 KB
// nodes) would otherwise fill one chunk with the whole value before the loop could start
// inserting it (measured: a 1M-element list, 2,200 node rows, restarted in 277 ms).
constexpr size_t kLoadChunkBytes = 1 << 20;

class LoadQueue {
 public:
  // False when the consumer gave up (the reader stops).
  bool Push(LoadChunk chunk) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [this] { return cancelled_ || chunks_.size() < kLoadQueue; });
    if (cancelled_) return false;
    chunks_.push_back(std::move(chunk));
    queued_.store(chunks_.size(), std::memory_order_relaxed);
    ready_.notify_one();
    return true;
  }
  LoadChunk Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [this] { return !chunks_.empty(); });
    LoadChunk chunk = std::move(chunks_.front());
    chunks_.pop_front();
    queued_.store(chunks_.size(), std::memory_order_relaxed);
    space_.notify_one();
    return chunk;
  }
  // A consumed chunk goes back to the reader, which fills it again.
  void Recycle(LoadChunk chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    if (spare_.size() < kLoadQueue) spare_.push_back(std::move(chunk));
  }
  LoadChunk Fresh(size_t batch) {
    LoadChunk chunk;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    chunk.Reset(batch);
    return chunk;
  }
  // Whether chunks wait for the consumer (it is busy): work the reader does now costs the
  // consumer no time. Read without the lock, as a hint.
  bool ConsumerBusy() const { return queued_.load(std::memory_order_relaxed) > 0; }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    space_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<LoadChunk> chunks_;
  std::vector<LoadChunk> spare_;
  std::atomic<size_t> queued_{0};
  bool cancelled_ = false;
};

// The file must be the one the manifest recorded: same size, same number of entries (a
// valid batch of another directory swapped in would otherwise load silently).
Status MatchesManifest(const std::string& path, const compaction::BatchMeta& meta,
                       const compaction::BatchReader& reader) {
  std::error_code ec;
  const uint64_t bytes = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(fmt::format("batch file {}: {}", path, ec.message()));
  // entries = 0 in a manifest means "not recorded" (batches installed by older versions).
  if (bytes != meta.bytes || (meta.entries != 0 && reader.entries() != meta.entries)) {
    return Status::Corruption(fmt::format(
        "batch file {} is not the file the manifest names: {} bytes and {} entries, the "
        "manifest recorded {} bytes and {} entries",
        path, bytes, reader.entries(), meta.bytes, meta.entries));
  }
  return Status::Ok();
}

// A key row's whole collection value, decoded (on the reader thread: the loop only inserts);
// nothing for strings, tombstones, element headers and values that do not decode (the loop
// decodes those again to report why).
Decoded DecodeCollection(std::string_view encoded) {
  auto state = compaction::DecodeKeyStateView(encoded);
  if (!state.ok() || state->tombstone) return {};
  const types::TypeOps* ops = types::OpsFor(state->type);
  if (ops == nullptr || ops->type == ValueType::kString ||
      compaction::DecodeElementHeader(state->value)) {
    return {};
  }
  Result<types::Value*> object = ops->decode(state->value);
  return object.ok() ? Decoded{ops, object.value()} : Decoded{};
}

void ReadBatches(const std::vector<std::pair<std::string, compaction::BatchMeta>>& batches,
                 LoadQueue& queue) {
  for (size_t i = 0; i < batches.size(); i++) {
    const std::string& path = batches[i].first;
    LoadChunk chunk = queue.Fresh(i);
    auto opened = compaction::BatchReader::Open(path, /*verify=*/true);
    if (!opened.ok()) {
      chunk.status = Status::Corruption(
          fmt::format("batch file {} is unreadable: {}", path, opened.status().message()));
      queue.Push(std::move(chunk));
      return;
    }
    auto& reader = *opened.value();
    if (Status s = MatchesManifest(path, batches[i].second, reader); !s.ok()) {
      chunk.status = s;
      queue.Push(std::move(chunk));
      return;
    }
    if (i == 0) {
      // One database and no element rows (they sort after every key row): presize.
      reader.SeekToLast();
      const bool last_is_key = reader.Valid() && !compaction::IsElementRowKey(reader.key());
      const int last_db = last_is_key ? compaction::SplitBatchKey(reader.key()).first : -1;
      reader.SeekToFirst();
      if (last_db >= 0 && reader.Valid() &&
          compaction::SplitBatchKey(reader.key()).first == last_db) {
        chunk.presize_db = last_db;
        chunk.presize_keys = reader.entries();
      }
    }
    uint32_t crc = 0;
    for (reader.SeekToFirst(); reader.Valid(); reader.Next()) {
      crc = compaction::ContentCrc(crc, reader.key(), reader.value());
      chunk.bytes.append(reader.key());
      chunk.bytes.append(reader.value());
      chunk.sizes.emplace_back(static_cast<uint32_t>(reader.key().size()),
                               static_cast<uint32_t>(reader.value().size()));
      const bool element_row = compaction::IsElementRowKey(reader.key());
      chunk.hashes.push_back(
          element_row ? 0 : keyspace::HashKey(compaction::SplitBatchKey(reader.key()).second));
      // Collections are decoded here while the loop has chunks to insert, and left to the
      // loop while it waits for this one: the two threads share the decoding.
      chunk.objects.push_back(
          element_row || !queue.ConsumerBusy() ? Decoded{} : DecodeCollection(reader.value()));
      if (chunk.sizes.size() >= kLoadChunkEntries || chunk.bytes.size() >= kLoadChunkBytes) {
        if (!queue.Push(std::move(chunk))) return;
        chunk = queue.Fresh(i);
      }
    }
    if (Status s = reader.status(); !s.ok()) {
      chunk.status = Status::Corruption(fmt::format("batch file {}: {}", path, s.message()));
      queue.Push(std::move(chunk));
      return;
    }
    const std::optional<uint32_t>& want = batches[i].second.content_crc;
    if (want && crc != *want) {
      // Its entries already went into the keyspace: the start fails as a whole.
      chunk.status = Status::Corruption(fmt::format(
          "batch file {} is not the file the manifest names: its entries do not match the "
          "content checksum the manifest recorded (copied from another directory?)",
          path));
      queue.Push(std::move(chunk));
      return;
    }
    if (!chunk.sizes.empty() && !queue.Push(std::move(chunk))) return;
  }
  LoadChunk end;
  end.end = true;
  queue.Push(std::move(end));
}

}  // namespace

namespace {

// Whether a batch row's value is one this build can load as the stored type: every string
// can; a collection must decode (the codec validates everything).
bool DecodesAs(uint8_t stored_type, std::string_view value) {
  const types::TypeOps* ops = types::OpsFor(stored_type);
  if (ops == nullptr) return false;
  if (ops->type == ValueType::kString) return true;
  if (compaction::DecodeElementHeader(value)) return ops->create != nullptr;
  Result<types::Value*> object = ops->decode(value);
  if (!object.ok()) return false;
  ops->destroy(object.value());
  return true;
}

}  // namespace

Status Persistence::LoadMetaRow(std::string_view key, std::string_view encoded) {
  auto state = compaction::DecodeKeyStateView(encoded);
  if (!state.ok() || key != "functions" ||
      (!state->tombstone && state->type != compaction::kMetaType)) {
    return Status::Corruption(
        fmt::format("metadata row '{}' is not one this version knows (written by a newer tidekv?)",
                    key.substr(0, 64)));
  }
  engine::ScriptHost& scripts = engine_.scripts();
  if (state->tombstone) {
    scripts.FlushFunctions();
  } else if (std::string error; !scripts.RestoreFunctions(state->value, "FLUSH", &error)) {
    return Status::Corruption("the stored FUNCTION libraries do not load: " + error);
  }
  // What was just loaded is what the batches hold: no seal needs to store it again.
  sealed_functions_version_ = scripts.functions_version();
  return Status::Ok();
}

Status Persistence::CheckBatchFile(const std::string& path, compaction::BatchMeta* meta) const {
  auto opened = compaction::BatchReader::Open(path, /*verify=*/true);
  if (!opened.ok()) {
    return Status::Corruption(
        fmt::format("batch file {} is unreadable: {}", path, opened.status().message()));
  }
  compaction::BatchReader& reader = *opened.value();
  const int databases = engine_.keyspace().num_databases();
  uint64_t entries = 0;
  uint32_t crc = 0;
  for (reader.SeekToFirst(); reader.Valid(); reader.Next()) {
    crc = compaction::ContentCrc(crc, reader.key(), reader.value());
    entries++;
    if (compaction::IsElementRowKey(reader.key())) {
      if (ElementRowWellFormed(reader.key(), reader.value(), databases)) continue;
      return Status::Corruption(fmt::format("batch file {}: bad element row", path));
    }
    auto [db, key] = compaction::SplitBatchKey(reader.key());
    auto state = compaction::DecodeKeyState(reader.value());
    if (db == compaction::kMetaDb && state.ok() && key == "functions" &&
        (state->tombstone || state->type == compaction::kMetaType)) {
      continue;  // applied (and checked whole) when the batch loads
    }
    if (!state.ok() || db < 0 || db >= databases ||
        (!state->tombstone && !DecodesAs(state->type, state->value))) {
      return Status::Corruption(fmt::format("batch file {}: bad entry for key '{}' in db {}", path,
                                            key.substr(0, 64), db));
    }
  }
  if (Status s = reader.status(); !s.ok()) {
    return Status::Corruption(fmt::format("batch file {}: {}", path, s.message()));
  }
  std::error_code ec;
  const uint64_t bytes = fs::file_size(path, ec);
  if (ec) return Status::IOError(fmt::format("batch file {}: {}", path, ec.message()));
  meta->bytes = bytes;
  meta->entries = entries;
  meta->content_crc = crc;
  return Status::Ok();
}

Status Persistence::LoadBatches() {
  Keyspace& ks = engine_.keyspace();
  std::vector<std::pair<std::string, compaction::BatchMeta>> batches;
  for (const compaction::BatchMeta& meta : spine_.batches()) {
    batches.emplace_back(BatchPath(meta), meta);
  }
  if (batches.empty()) return Status::Ok();
  LoadQueue queue;
  std::thread reader([&] { ReadBatches(batches, queue); });
  auto finish = [&](Status status) {
    queue.Cancel();
    reader.join();
    replaying_ = false;
    return status;
  };
  replaying_ = true;
  // The oldest batch holds each key once: into an empty key space it needs no lookups.
  bool empty = true;
  for (int i = 0; i < ks.num_databases(); i++) empty = empty && ks.db(i).size() == 0;
  ElementRowLoader elements(ks);
  std::vector<uint32_t> starts;
  for (;;) {
    LoadChunk chunk = queue.Pop();
    if (!chunk.status.ok()) return finish(chunk.status);
    if (chunk.end) break;
    if (chunk.presize_db >= 0 && chunk.presize_db < ks.num_databases() && empty) {
      ks.db(chunk.presize_db).Reserve(chunk.presize_keys);
    }
    const size_t n = chunk.sizes.size();
    starts.resize(n);
    for (size_t i = 0, pos = 0; i < n; i++) {
      starts[i] = static_cast<uint32_t>(pos);
      pos += chunk.sizes[i].first + chunk.sizes[i].second;
    }
    const bool fresh = empty && chunk.batch == 0;
    constexpr size_t kAhead = 12;  // keys between a slot's prefetch and its use
    for (size_t i = 0; i < n; i++) {
      if (i + kAhead < n && chunk.hashes[i + kAhead] != 0) {
        const size_t j = i + kAhead;
        const int ahead_db =
            compaction::SplitBatchKey({chunk.bytes.data() + starts[j], chunk.sizes[j].first}).first;
        if (ahead_db >= 0 && ahead_db < ks.num_databases())
          ks.db(ahead_db).PrefetchSlot(chunk.hashes[j]);
      }
      const auto [key_size, state_size] = chunk.sizes[i];
      const std::string_view batch_key(chunk.bytes.data() + starts[i], key_size);
      const std::string_view encoded(chunk.bytes.data() + starts[i] + key_size, state_size);
      const uint64_t hash = chunk.hashes[i];
      if (compaction::IsElementRowKey(batch_key)) {
        if (Status s = elements.Element(batch_key, encoded); !s.ok()) {
          return finish(Status::Corruption(
              fmt::format("batch file {}: {}", batches[chunk.batch].first, s.message())));
        }
        continue;
      }
      auto [db_index, key] = compaction::SplitBatchKey(batch_key);
      if (db_index == compaction::kMetaDb) {
        if (Status s = LoadMetaRow(key, encoded); !s.ok()) {
          return finish(Status::Corruption(
              fmt::format("batch file {}: {}", batches[chunk.batch].first, s.message())));
        }
        continue;
      }
      auto state = compaction::DecodeKeyStateView(encoded);
      const types::TypeOps* ops = state.ok() ? types::OpsFor(state->type) : nullptr;
      std::optional<compaction::ElementHeader> header;
      if (ops != nullptr && !state->tombstone)
        header = compaction::DecodeElementHeader(state->value);
      if (header && db_index >= 0 && db_index < ks.num_databases()) {
        if (Status s = elements.Header(db_index, key, state->ToState(), *header); !s.ok()) {
          return finish(Status::Corruption(fmt::format("batch file {}: key '{}' in db {}: {}",
                                                       batches[chunk.batch].first,
                                                       key.substr(0, 64), db_index, s.message())));
        }
        stats_.recovered_batch_keys++;
        continue;
      }
      Result<types::Value*> object = static_cast<types::Value*>(nullptr);
      if (ops != nullptr && !state->tombstone && ops->type != ValueType::kString) {
        if (types::Value* decoded = chunk.objects[i].Take()) {
          object = decoded;
        } else {
          object = ops->decode(state->value);
        }
      }
      if (!state.ok() || db_index < 0 || db_index >= ks.num_databases() ||
          (!state->tombstone && (ops == nullptr || !object.ok()))) {
        if (object.ok() && object.value() != nullptr) ops->destroy(object.value());
        return finish(Status::Corruption(fmt::format(
            "batch file {}: bad entry for key '{}' in db {}{}", batches[chunk.batch].first,
            key.substr(0, 64), db_index, object.ok() ? "" : ": " + object.status().message())));
      }
      Database& db = ks.db(db_index);
      elements.KeyRow(db_index, key);
      if (state->tombstone) {
        // Deleted: never resurrected by an older batch's value either, because batches load
        // oldest first and this state replaces it.
        if (Entry* e = fresh ? nullptr : db.PeekHashed(key, hash)) db.Erase(e);
        continue;
      }
      // A state whose TTL has passed by now loads too: the batches and the log describe the
      // keyspace at time 0 (a logged EXPIRE or INCR may still apply to it); what expired
      // goes after the replay, by the clock, as DEL effects (Server::Recover).
      Entry* e = fresh ? nullptr : db.PeekHashed(key, hash);
      if (object.value() != nullptr) {
        if (e == nullptr) e = db.InsertAbsent(key, hash, 0);
        e->SetObject(ops->type, object.value());
        db.TrackFieldExpiry(e);
      } else {
        if (e == nullptr) e = db.InsertAbsent(key, hash, state->value.size());
        e->SetString(state->value);
      }
      db.SetExpire(e, state->expire_at_ms);
      stats_.recovered_batch_keys++;
    }
    queue.Recycle(std::move(chunk));
  }
  if (Status s = elements.Finish(); !s.ok()) {
    return finish(Status::Corruption("batch files: " + s.message()));
  }
  return finish(Status::Ok());
}

Status Persistence::ReplayLog() {
  auto reader = store_->ReadFrom(next_offset_);
  if (!reader.ok()) return reader.status();
  FrameApplier applier(engine_, "persistence");
  replaying_ = true;
  for (;;) {
    auto next = reader.value()->Next();
    if (!next.ok()) {
      replaying_ = false;
      return next.status();
    }
    if (!next->has_value()) break;
    proto::Frame frame;
    std::string error;
    if (proto::DecodeFrame(**next, &frame, &error) != proto::FrameStatus::kOk) {
      replaying_ = false;
      return Status::Corruption(fmt::format("log store {}: frame at offset {} is invalid ({})",
                                            store_->path(), next_offset_, error));
    }
    const FrameVerdict verdict = applier.Apply(frame, next_offset_);
    if (verdict == FrameVerdict::kOutOfOrder || verdict == FrameVerdict::kNoDatabase) {
      replaying_ = false;
      return Status::Corruption(fmt::format("log store {}: {}", store_->path(),
                                            FrameApplier::Describe(verdict, frame, next_offset_)));
    }
    if (verdict == FrameVerdict::kNotWrite) {
      // The log holds write effects only; anything else (a frame an older version accepted
      // from a primary, e.g. SHUTDOWN) changes no data and is never run.
      ModuleLogger("persistence")
          ->warn("log store {}: {}: skipped", store_->path(),
                 FrameApplier::Describe(verdict, frame, next_offset_));
    }
    next_offset_++;
    stats_.recovered_frames++;
  }
  replaying_ = false;
  return Status::Ok();
}

}  // namespace tidekv::persistence
