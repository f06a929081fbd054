// Persistence: makes the keyspace durable and restartable (DESIGN.md §3, §5, §6).
//
// Owns, for one data directory: the directory lock, the LogStore (<dir>/log) and its
// LogWriter thread, the spine of batch files (<dir>/batches) and the compaction pool.
// Lives on the loop thread; everything it hands to other threads is bytes or file names,
// and results come back with asio::post (no locks on the hot path).
//
// Write path: the Engine gives every write's effect to OnEffect, which assigns the next
// offset, appends the encoded frame to the current chunk and marks the effect's keys dirty.
// The chunk is handed to the log writer once per loop iteration (a posted flush: group
// commit). With fsync = "always" the connection holds its replies until the chunk holding
// its last write is durable (WaitDurable).
//
// Seal: on a timer or when the dirty keys grow large, the dirty keys' current states are
// encoded on the loop (cost: the changed data), written as a batch file on the pool, and
// committed to the manifest together with the truncation of the log below the batch's
// upper offset. Merges follow the spine's rule on the pool; their inputs are deleted only
// after the manifest that replaces them is committed.
//
// Recovery (before serving): load the manifest, load the batches oldest to newest (newest
// wins), then replay the log from the spine's upper offset through the normal command path.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/status.h"
#include "compaction/manifest.h"
#include "compaction/spine.h"
#include "config/config.h"
#include "engine/engine.h"
#include "logstore/log_store.h"
#include "logstore/log_writer.h"
#include "persistence/dir_state.h"
#include "replication/source.h"

namespace tidekv::persistence {

using engine::CommandFlag;
using engine::CommandSpec;
using engine::EffectSink;
using engine::Engine;
using engine::HasFlag;
using engine::Session;
using keyspace::Database;
using keyspace::Entry;
using keyspace::Keyspace;
using keyspace::ValueType;

struct PersistenceStats {
  uint64_t seals = 0;
  int64_t last_seal_unix_ms = 0;
  int64_t last_seal_duration_ms = 0;
  uint64_t last_seal_keys = 0;   // rows of the last seal (keys, and elements of large ones)
  uint64_t last_seal_bytes = 0;  // size of the batch file the last seal wrote
  uint64_t seal_failures = 0;
  uint64_t merges = 0;
  uint64_t merge_failures = 0;
  int64_t recovery_ms = 0;
  uint64_t recovered_batch_keys = 0;
  uint64_t recovered_frames = 0;
  bool dropped_torn_tail = false;
};

// The node's replication history id (DESIGN.md §4), kept in the log store's meta family.
struct ReplicationIdentity {
  std::string replid;          // 40 hex characters; empty before the first start
  std::string replid2;         // the previous history's id ("" when none)
  uint64_t second_offset = 0;  // offsets below this are shared with replid2's history
  bool clean_stop = true;      // the previous run stopped cleanly (nothing of its tail lost)
};

// A batch file received in a full sync, waiting in the staging directory.
struct StagedBatch {
  compaction::BatchMeta meta;  // as the primary described it (lower, upper, level, bytes)
  std::string path;
};

class Persistence final : public EffectSink,
                          public engine::KeyEventListener,
                          public engine::SnapshotControl {
 public:
  Persistence(Engine& engine, asio::io_context& io, const config::Config& config);
  ~Persistence() override;
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // Locks <dir>, opens the log store, loads the batches and replays the log. Returns a
  // clear error naming the file on any corruption, and refuses (naming the damaged file)
  // to start with less than <dir>/STATE proves the directory held, unless
  // set_accept_data_loss(true) (--accept-data-loss). Call once before serving.
  Status Recover();
  void set_accept_data_loss(bool on) { accept_data_loss_ = on; }
  // Starts the log writer thread and the compaction pool. After Recover.
  void Start();
  // Flushes the current chunk, waits for the log writer to drain and stops the threads.
  void Stop();

  // EffectSink.
  void OnEffect(Session* session, int db, std::span<const std::string_view> argv,
                const CommandSpec* spec) override;
  void OnWholeDatabase(const Database& db, int other_index) override;
  bool WritesAllowed(std::string* why) const override;
  // KeyEventListener: every changed key joins the dirty set.
  void OnKeyModified(int db, Entry* entry) override;
  void OnKeyDeleted(int db, std::string_view key) override { MarkDirty(db, key); }

  // True when the write at `offset` may not be acknowledged yet (not yet in the log's WAL
  // file; with fsync = "always", not yet fsynced); resume() then runs on the loop once it
  // may.
  bool MustWaitFor(uint64_t offset) const;
  void WaitDurable(uint64_t offset, std::function<void()> resume);

  // Called from the server's cron.
  void Cron(int64_t now_ms);
  // After CONFIG SET: takes logstore.fsync (appendfsync) from the engine's config.
  void OnConfigChanged();

  // Seals now; done(status) runs on the loop once the batch is committed (SAVE replies
  // then). BGSAVE: starts a seal and returns false when one is already running.
  void Save(std::function<void(const Status&)> done) override { Seal(std::move(done)); }
  bool SaveInBackground() override;
  // DEBUG RELOAD: seal, empty the keyspace, load it back from the batches and the log.
  void Reload(std::function<void(const Status&)> done) override;

  // ---- Replication hooks (server/persistence_sync.cc) ----
  // Every logged frame is also pushed to `backlog` (nullptr: none), and pushed() runs
  // after each push so streamers can wake up. The backlog learns which frames are durable.
  void set_backlog(replication::Source* backlog, std::function<void()> pushed);
  // On a replica, frames come from the primary (AppendReplicated) and keep its offsets;
  // the effects of other writes (local writes on a writable replica) are kept in memory
  // and sealed, but get no offset and are not logged.
  void set_replica(bool on) { replica_ = on; }
  // Logs a frame received from the primary; its offset must be next_offset().
  void AppendReplicated(uint64_t offset, std::string_view frame);
  // Log frames from `offset` on are kept for replicas (slot watermark) unless the log
  // grows past logstore.retention_bytes. UINT64_MAX: no replica needs anything.
  void set_retain_from(uint64_t offset) { retain_from_ = offset; }
  // Also keeps frames from `offset` on until until_ms (a promoted node keeps what the old
  // history's replicas need to continue partially), within logstore.retention_bytes.
  void HoldLogFrom(uint64_t offset, int64_t until_ms) {
    hold_from_ = offset;
    hold_until_ms_ = until_ms;
  }
  // The primary's replica slots (ReplicaSlots::Encode), committed with every manifest so
  // that a restart keeps the log they need; restored_replica_slots() is what recovery read.
  // With commit_now (a replica was added or forgotten) they are committed at once rather
  // than with the next manifest; a clean stop commits them too.
  void set_replica_slots(std::string encoded, bool commit_now);
  const std::string& restored_replica_slots() const { return restored_replica_slots_; }
  logstore::LogStore* store() const { return store_.get(); }
  bool spill() const { return spill_; }
  // The server is stopping: no merge starts any more (one cut short by the exit would
  // leave its output for the next start to set aside as an orphan).
  void BeginStop() { stopping_ = true; }
  // A seal, a merge or a manifest commit is under way: a stop that lets the loop end now
  // would leave its file unlisted (an orphan at the next start).
  bool Busy() const { return seal_running_ || merges_running_ > 0 || manifest_commits_ > 0; }
  // Writes since the last seal (what a seal now would write).
  bool HasUnsealed() const {
    if (next_offset_ > spine_.upper() || untracked_) return true;
    for (const DirtySet& set : dirty_) {
      if (set.size() > 0) return true;
    }
    return false;
  }

  const ReplicationIdentity& identity() const { return identity_; }
  // Stores a new identity in the meta family (durably, before returning).
  Status SaveIdentity(const ReplicationIdentity& identity);

  // Full sync, primary side: seals, then calls ready(status, batches, upper) with the
  // spine's batches (every key's state at `upper`). Until EndShip those files stay: no
  // merge starts and merge inputs are not deleted.
  using ShipReady =
      std::function<void(const Status&, std::vector<compaction::BatchMeta>, uint64_t upper)>;
  void BeginShip(ShipReady ready);
  void EndShip();
  std::string BatchFilePath(const compaction::BatchMeta& meta) const { return BatchPath(meta); }

  // Full sync, replica side: received files go to staging_dir(); InstallSnapshot makes them
  // the spine (one atomic manifest commit that also empties the log and moves it to
  // `offset`), empties the keyspace and loads them. done(status) runs on the loop.
  std::string staging_dir() const { return dir_ + "/staging"; }
  void InstallSnapshot(std::vector<StagedBatch> batches, uint64_t offset,
                       std::function<void(const Status&)> done);

  int64_t last_save_unix_s() const override { return stats_.last_seal_unix_ms / 1000; }
  uint64_t next_offset() const { return next_offset_; }
  uint64_t durable_offset() const { return durable_next_; }
  void AppendInfo(std::string& out) const;
  const PersistenceStats& stats() const { return stats_; }

 private:
  Status LockDirectory();
  std::string state_path() const { return dir_ + "/STATE"; }
  // The floors the next start must reach, as of `manifest` committed and the store synced.
  DirState CurrentDirState(const compaction::Manifest& manifest) const;
  // Corruption carrying `what` (and how to proceed), or with --accept-data-loss an ERROR
  // line and Ok.
  Status RefuseOrAccept(std::string what) const;
  // Refuses (or accepts, see RefuseOrAccept) a log store whose meta values show less than
  // the evidence: no directory id, another directory's id, an older manifest.
  Status CheckEvidence(const DirState& evidence, const std::optional<std::string>& manifest_bytes,
                       const std::optional<std::string>& dir_id) const;
  Result<compaction::Manifest> DecodeStoredManifest(const std::optional<std::string>& bytes) const;
  // Batch files the manifest does not list go to <dir>/orphans/ (never deleted).
  Status MoveToOrphans(const compaction::Manifest& manifest);
  // Reads a whole batch file (checksums, then every entry: a well-formed state for a
  // database this node has and a type it knows) and fills meta's bytes and entries.
  // Corruption naming the file otherwise.
  Status CheckBatchFile(const std::string& path, compaction::BatchMeta* meta) const;
  Status LoadBatches();
  Status ReplayLog();
  void MarkDirty(int db, std::string_view key);
  void ScheduleFlush();
  void FlushChunk();
  void OnDurable(uint64_t durable_next);
  // Asks the writer thread to fsync what is written; OnDurable(durable_next) follows.
  void RequestSync(uint64_t durable_next);
  // Seals the dirty keys; done(status) runs on the loop when the manifest is committed.
  void Seal(std::function<void(const Status&)> done);
  // Commits the spine as the manifest (with a log truncation below truncate_below, 0: none)
  // on the writer thread, then records the new floors in STATE; done runs on the loop.
  void CommitManifest(uint64_t truncate_below, std::function<void(const Status&)> done);
  // Writes STATE for commits that are durable (any thread, in commit order); RecordSynced
  // raises its durable offset after an fsync of the log (at most once a second).
  void RecordCommitted(const DirState& state);
  void RecordSynced(uint64_t durable);
  void WriteStateLocked(const DirState& state);
  bool StateLagsBehind(uint64_t offset) const;
  void FinishSeal(const Status& status);
  void MaybeStartMerges();
  Status LoadIdentity();
  void PushToBacklog(std::string_view frame);
  void RemoveOrDefer(const std::string& path);
  std::string BatchPath(const compaction::BatchMeta& meta) const;

  Engine& engine_;
  asio::io_context& io_;
  config::Config config_;  // start-up values (dir, mode); runtime ones read from engine_
  std::string dir_;
  std::string batch_dir_;
  int lock_fd_ = -1;
  std::string dir_id_;  // DirState::dir_id of this directory
  bool accept_data_loss_ = false;
  // The floors last written to STATE (writer thread during a run; loop before and after).
  mutable std::mutex state_mu_;
  DirState committed_state_;
  std::chrono::steady_clock::time_point state_written_;

  std::unique_ptr<logstore::LogStore> store_;
  std::unique_ptr<logstore::LogWriter> writer_;
  std::unique_ptr<asio::thread_pool> pool_;

  // Write path.
  bool spill_ = false;  // logstore.mode = "spill": no per-write logging, seals on SAVE only
  bool replaying_ = false;
  bool reloading_ = false;
  uint64_t next_offset_ = 0;
  uint64_t chunk_first_ = 0;
  uint32_t chunk_count_ = 0;
  std::string chunk_;
  size_t table_reader_bytes_ = 0;              // the log store's, sampled each cron tick
  std::atomic<size_t> seal_capture_bytes_{0};  // the running seal's states (freed on the pool)
  bool flush_posted_ = false;
  uint64_t durable_next_ = 0;  // every offset below this is durable
  std::deque<std::pair<uint64_t, std::function<void()>>> durable_waiters_;
  bool unsynced_ = false;  // the loop wrote chunks since the last sync request
  int64_t last_sync_request_ms_ = 0;
  bool write_error_ = false;
  std::string write_error_text_;

  // What changed since the last seal, per database: entries flagged dirty (one flag test
  // per write; see Entry::dirty), plus the names of keys that had no entry when marked
  // (deleted keys, the other side of SWAPDB).
  struct DirtySet {
    std::vector<Entry*> entries;
    absl::flat_hash_set<std::string> keys;
    size_t size() const { return entries.size() + keys.size(); }
  };
  // Unlists every entry of set (freeing dead ones), first telling name() its key if given.
  static void UnlistEntries(DirtySet& set, const std::function<void(std::string_view)>& name);
  // Unlists every dirty entry and forgets the dirty keys.
  void DropDirty();
  // spill: the changes since the last seal grew past compaction.seal_dirty_bytes (or past
  // half of all keys), and no seal runs until SAVE asks, so listing them would hold memory
  // without bound (every key deleted or expired since, and its entry) or for little gain:
  // stop listing; the next seal writes every key and replaces the spine (a full snapshot,
  // as Redis's SAVE writes).
  bool ListingTooLarge() const;
  void StopTracking();
  bool untracked_ = false;
  bool stopping_ = false;  // see BeginStop
  // Marks a key changed by name (it has no entry, or its entry is about to go).
  void MarkDirtyName(int db, std::string_view key);
  // After a frame went into chunk_: hand a full chunk to the log now, else at the end of
  // this loop iteration.
  void ChunkGrew();
  // Engine::storage_memory(): memtables, chunk_, the writer's queue, the running seal's
  // captured states and the replication backlog.
  size_t StorageMemory() const;
  std::vector<DirtySet> dirty_;
  uint64_t dirty_bytes_ = 0;
  uint64_t listed_ = 0;  // entries and names listed since the last seal

  // Spine.
  compaction::Spine spine_;
  uint64_t next_batch_id_ = 1;
  uint64_t log_base_ = 0;  // offset the first batch starts at
  bool seal_running_ = false;
  std::vector<std::function<void(const Status&)>> seal_waiters_;       // of the running seal
  std::vector<std::function<void(const Status&)>> next_seal_waiters_;  // of the one after it
  bool seal_requested_ = false;
  int64_t seal_started_ms_ = 0;
  // The FUNCTION libraries' version the last seal stored (ScriptHost::functions_version).
  uint64_t sealed_functions_version_ = 0;
  // Metadata rows (compaction::kMetaDb): the seal's, and a loaded one applied.
  void AppendMetaRows(bool full, std::vector<std::pair<std::string, std::string>>* entries);
  Status LoadMetaRow(std::string_view key, std::string_view encoded);
  int64_t last_seal_attempt_ms_ = 0;
  int64_t created_ms_ = 0;  // save rules count from here until the first seal
  // spill: compaction.save (Redis's save rules) asks for a seal now.
  bool SaveRuleDue(std::string_view rules, int64_t now_ms) const;
  size_t merges_running_ = 0;
  size_t manifest_commits_ = 0;  // submitted, their done not run yet
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  PersistenceStats stats_;

  // Replication.
  replication::Source* backlog_ = nullptr;
  std::function<void()> pushed_;
  std::string spill_frame_;  // spill mode encodes frames only for the backlog
  bool replica_ = false;
  uint64_t retain_from_ = UINT64_MAX;
  uint64_t hold_from_ = UINT64_MAX;
  int64_t hold_until_ms_ = 0;
  std::string replica_slots_;
  uint64_t slot_commits_submitted_ = 0;           // loop thread
  std::atomic<uint64_t> slot_commits_synced_{0};  // writer thread
  std::string restored_replica_slots_;
  ReplicationIdentity identity_;
  int ship_pins_ = 0;
  std::vector<std::string> deferred_deletes_;  // merge inputs a ship may still read
  bool installing_ = false;
};

}  // namespace tidekv::persistence
