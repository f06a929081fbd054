// Persistence's replication side: the node's history id, the frames the backlog gets, the
// batch files a full sync ships (primary) and installs (replica). See persistence.h.

#include <fmt/format.h>

#include <filesystem>
#include <future>

#include "common/check.h"
#include "common/files.h"
#include "common/logging.h"
#include "compaction/manifest.h"
#include "engine/script_host.h"
#include "persistence/persistence.h"
#include "persistence/persistence_internal.h"
#include "proto/frame.h"

namespace tidekv::persistence {

namespace fs = std::filesystem;

namespace {

std::string EncodeIdentity(const ReplicationIdentity& id) {
  return fmt::format("{} {} {}", id.replid.empty() ? "-" : id.replid,
                     id.replid2.empty() ? "-" : id.replid2, id.second_offset);
}

}  // namespace

Status Persistence::LoadIdentity() {
  identity_ = {};
  if (auto stored = store_->GetMeta(internal::kIdentityKey)) {
    char a[64] = {0};
    char b[64] = {0};
    unsigned long long second = 0;
    if (std::sscanf(stored->c_str(), "%63s %63s %llu", a, b, &second) != 3) {
      return Status::Corruption(
          fmt::format("log store {}: the replication id record is unreadable", store_->path()));
    }
    identity_.replid = std::string(a) == "-" ? "" : a;
    identity_.replid2 = std::string(b) == "-" ? "" : b;
    identity_.second_offset = second;
  }
  // The flag is set by a clean stop and cleared as soon as this run starts: a crash of this
  // run leaves it cleared.
  auto clean = store_->GetMeta(internal::kCleanStopKey);
  identity_.clean_stop = !identity_.replid.empty() && clean.has_value() && *clean == "1";
  return store_->CommitMeta({{std::string(internal::kCleanStopKey), "0"}}, 0, true);
}

Status Persistence::SaveIdentity(const ReplicationIdentity& identity) {
  identity_.replid = identity.replid;
  identity_.replid2 = identity.replid2;
  identity_.second_offset = identity.second_offset;
  return store_->CommitMeta({{std::string(internal::kIdentityKey), EncodeIdentity(identity_)}}, 0,
                            true);
}

void Persistence::set_backlog(replication::Source* backlog, std::function<void()> pushed) {
  backlog_ = backlog;
  pushed_ = std::move(pushed);
  if (backlog_ == nullptr) return;
  // Frames already in the log are served from there; those of the chunk not written yet
  // start the backlog, so nothing between the log and the backlog is missing.
  const bool pending = !spill_ && chunk_count_ > 0;
  backlog_->Reset(pending ? chunk_first_ : next_offset_);
  if (pending) {
    std::string_view rest = chunk_;
    proto::Frame frame;
    std::string error;
    while (!rest.empty() && proto::DecodeFrame(rest, &frame, &error) == proto::FrameStatus::kOk) {
      backlog_->Push(rest.substr(0, frame.size));
      rest.remove_prefix(frame.size);
    }
    backlog_->SetDurable(store_->NextOffset());
  }
}

void Persistence::PushToBacklog(std::string_view frame) {
  backlog_->Push(frame);
  // Without a log (spill mode) the backlog is the only copy: it keeps its budget, and a
  // replica behind it gets a full sync.
  if (spill_) backlog_->SetDurable(backlog_->next_offset());
  if (pushed_) pushed_();
}

void Persistence::AppendReplicated(uint64_t offset, std::string_view frame) {
  TIDEKV_CHECK(offset == next_offset_);
  next_offset_++;
  if (!spill_) {
    if (chunk_count_ == 0) chunk_first_ = offset;
    chunk_.append(frame);
    chunk_count_++;
  }
  if (backlog_ != nullptr) PushToBacklog(frame);
  if (!spill_) ChunkGrew();
}

// ---- full sync, primary side ------------------------------------------------------------

void Persistence::BeginShip(ShipReady ready) {
  auto give = [this, ready = std::move(ready)](const Status& status) {
    if (!status.ok()) return ready(status, {}, 0);
    ship_pins_++;
    ready(status, spine_.batches(), spine_.batches().empty() ? next_offset_ : spine_.upper());
  };
  // Nothing written since the last seal (or ever): the spine already is the snapshot.
  if (!seal_running_ && next_offset_ == (spine_.batches().empty() ? log_base_ : spine_.upper())) {
    give(Status::Ok());
    return;
  }
  Seal(std::move(give));
}

void Persistence::EndShip() {
  if (ship_pins_ == 0 || --ship_pins_ > 0) return;
  std::error_code ec;
  for (const std::string& path : deferred_deletes_) fs::remove(path, ec);
  deferred_deletes_.clear();
  MaybeStartMerges();
}

void Persistence::RemoveOrDefer(const std::string& path) {
  if (ship_pins_ > 0) {
    deferred_deletes_.push_back(path);
    return;
  }
  std::error_code ec;
  fs::remove(path, ec);
}

// ---- full sync, replica side ------------------------------------------------------------

void Persistence::InstallSnapshot(std::vector<StagedBatch> batches, uint64_t offset,
                                  std::function<void(const Status&)> done) {
  if (seal_running_ || merges_running_ > 0) {
    // Let the running seal or merge finish first: they write the spine being replaced.
    installing_ = true;
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
    std::weak_ptr<bool> alive = alive_;
    timer->async_wait([this, alive, timer, batches = std::move(batches), offset,
                       done = std::move(done)](const boost::system::error_code&) mutable {
      if (!alive.lock() || !*alive.lock()) return;
      InstallSnapshot(std::move(batches), offset, std::move(done));
    });
    return;
  }
  installing_ = true;
  auto log = ModuleLogger("persistence");
  const int64_t start = engine_.clock().MonotonicNs();
  // Everything queued must reach the store before it is reset under it.
  FlushChunk();
  chunk_.clear();
  chunk_count_ = 0;
  if (writer_ != nullptr) {
    std::promise<Status> drained;
    writer_->SubmitMeta({}, 0, [&drained](const Status& s) { drained.set_value(s); });
    if (Status s = drained.get_future().get(); !s.ok()) {
      installing_ = false;
      done(s);
      return;
    }
  }

  // What a primary sent is untrusted until every entry of every file was read back: a file
  // that passed its checksum may still not be a batch (or not one for this node's
  // databases). Nothing of the old state is touched before all of them are.
  for (StagedBatch& staged : batches) {
    if (Status s = CheckBatchFile(staged.path, &staged.meta); !s.ok()) {
      installing_ = false;
      done(Status::Corruption(
          fmt::format("a batch shipped by the primary is not valid, keeping the current data: {}",
                      s.message())));
      return;
    }
  }

  Status status;
  std::vector<compaction::BatchMeta> installed;
  for (StagedBatch& staged : batches) {
    compaction::BatchMeta meta = staged.meta;
    meta.id = next_batch_id_++;
    std::error_code ec;
    fs::rename(staged.path, BatchPath(meta), ec);
    if (ec) {
      status = Status::IOError(
          fmt::format("cannot move {} into {}: {}", staged.path, batch_dir_, ec.message()));
      break;
    }
    installed.push_back(meta);
  }
  if (Status s = SyncDirectory(batch_dir_); !s.ok() && status.ok()) status = s;
  const std::vector<compaction::BatchMeta> old = spine_.batches();
  const compaction::Manifest manifest{next_batch_id_, installed};
  if (status.ok()) {
    // The primary's history may end below ours: lower the floors in STATE before the log
    // store goes back (STATE must never lead it), raise them again once it has.
    DirState lowered = committed_state_;
    lowered.spine_upper = 0;
    lowered.durable_offset = 0;
    RecordCommitted(lowered);
    status =
        store_->Reset(offset,
                      {{std::string(internal::kManifestKey), compaction::EncodeManifest(manifest)},
                       {std::string(internal::kDirIdKey), dir_id_}},
                      true);
  }
  std::error_code ec;
  if (!status.ok()) {
    for (const auto& meta : installed) fs::remove(BatchPath(meta), ec);
    installing_ = false;
    done(status);
    return;
  }
  for (const auto& meta : old) fs::remove(BatchPath(meta), ec);
  spine_ = compaction::Spine(installed);
  log_base_ = installed.empty() ? offset : installed.front().lower;
  next_offset_ = offset;
  durable_next_ = offset;
  RecordCommitted(CurrentDirState(manifest));
  DropDirty();
  reloading_ = true;
  engine_.keyspace().ClearAll();
  reloading_ = false;
  // The primary's libraries replace this node's (none when its batches store none).
  if (engine_.has_scripts()) engine_.scripts().FlushFunctions();
  stats_.recovered_batch_keys = 0;
  status = LoadBatches();
  installing_ = false;
  if (backlog_ != nullptr) backlog_->Reset(offset);
  log->info("installed {} batches from the primary: {} keys at offset {} in {} ms",
            installed.size(), engine_.keyspace().TotalKeys(), offset,
            (engine_.clock().MonotonicNs() - start) / 1'000'000);
  done(status);
}

}  // namespace tidekv::persistence
