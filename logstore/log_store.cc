#include "logstore/log_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "logstore/wal_tail.h"
#include "proto/frame.h"

namespace tidekv::logstore {
namespace {

constexpr char kFramesFamily[] = "frames";

// Free space RocksDB waits for before it lets writes resume after a no-space error. Its
// SstFileManager reserves the largest write buffer of any family as it stood at Open, so
// every family opens with this size and frames gets its real size right after (SetOptions);
// otherwise a disk with less free space than a whole write buffer (16 MiB, or the default
// family's 64 MiB) would never accept writes again without a restart.
constexpr uint64_t kResumeReserveBytes = 2ull << 20;
constexpr char kMetaFamily[] = "meta";
// Default family: the next offset of a log without chunks (see the header).
constexpr char kEmptyNextKey[] = "empty_log_next_offset";

// Sorts after every 8-byte key: the exclusive end of "all chunks".
const std::string kPastLastKey(9, '\xff');

std::string Key(uint64_t offset) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; i++) key[i] = static_cast<char>(offset >> (56 - 8 * i));
  return key;
}

bool ParseKey(const rocksdb::Slice& key, uint64_t* offset) {
  if (key.size() != 8) return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | static_cast<unsigned char>(key[i]);
  *offset = v;
  return true;
}

std::string Hex(const rocksdb::Slice& s) { return s.ToString(/*hex=*/true); }

// The only place rocksdb::Status becomes a tidekv Status. `what` says what we were doing.
Status Convert(const rocksdb::Status& s, const std::string& path, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string m = "log store " + path + ": " + std::string(what) + ": " + s.ToString();
  if (s.IsNoSpace()) return Status::Unavailable(std::move(m));
  switch (s.code()) {
    case rocksdb::Status::kCorruption:
      return Status::Corruption(std::move(m));
    case rocksdb::Status::kIOError:
      return Status::IOError(std::move(m));
    case rocksdb::Status::kNotFound:
      return Status::NotFound(std::move(m));
    case rocksdb::Status::kInvalidArgument:
    case rocksdb::Status::kNotSupported:
      return Status::InvalidArgument(std::move(m));
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kShutdownInProgress:
      return Status::Unavailable(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

enum class ChunkState {
  kOk,
  kTorn,  // a frame is cut short or garbled: what a write cut off by a crash leaves
  kBad,   // frames decode but carry the wrong offsets: never the result of a crash
};

// Checks that `value` is whole frames with consecutive offsets from `first`. On kOk *next
// is the offset after the last frame and *count the number of frames.
ChunkState CheckChunk(std::string_view value, uint64_t first, uint64_t* next, uint64_t* count,
                      std::string* error) {
  proto::Frame frame;
  uint64_t expected = first;
  size_t pos = 0;
  if (value.empty()) {
    *error = "empty chunk";
    return ChunkState::kTorn;
  }
  while (pos < value.size()) {
    std::string decode_error;
    const proto::FrameStatus st = proto::DecodeFrame(value.substr(pos), &frame, &decode_error);
    if (st != proto::FrameStatus::kOk) {
      *error = "frame " + std::to_string(expected) + " at byte " + std::to_string(pos) + " of " +
               std::to_string(value.size()) + ": " +
               (st == proto::FrameStatus::kIncomplete ? "cut short" : decode_error);
      return ChunkState::kTorn;
    }
    if (frame.offset != expected) {
      *error = "frame at byte " + std::to_string(pos) + " has offset " +
               std::to_string(frame.offset) + ", expected " + std::to_string(expected);
      return ChunkState::kBad;
    }
    pos += frame.size;
    expected++;
  }
  *next = expected;
  *count = expected - first;
  return ChunkState::kOk;
}

// RocksDB's own diagnostics go to standard error (warnings and worse), never to a LOG file
// in the data directory: on a full disk a failing LOG write would abort the process inside
// RocksDB (Debian's build keeps its assertions) instead of surfacing as a write error.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

rocksdb::DBOptions MakeDbOptions(const LogStoreOptions& options) {
  rocksdb::DBOptions o;
  o.info_log = std::make_shared<StderrLogger>();
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.create_if_missing = options.create_if_missing;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  // Every write reaches the WAL file before Write returns: a process crash loses nothing.
  o.manual_wal_flush = false;
  // An incomplete record at the very end of the WAL (a crash mid-write) is dropped; damage
  // anywhere else makes Open fail with Corruption instead of silently replaying only the
  // prefix before it (which would lose acknowledged writes after the damage).
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Old WAL files are freed only once every family's memtable holding their data flushed;
  // truncated frames would otherwise keep up to this much WAL on disk.
  o.max_total_wal_size = 64ull << 20;
  // Open replays the WAL into memtables and keeps the WAL files (they are freed by later
  // flushes, as any other): a start that then refuses leaves them exactly as they were,
  // and a WAL copied from elsewhere can still be named.
  o.avoid_flush_during_recovery = true;
  o.keep_log_file_num = 4;
  o.max_log_file_size = 16ull << 20;
  o.bytes_per_sync = 1ull << 20;
  // Start-up time: the store has a handful of tables, opened by the thread that opens
  // (not 16 short-lived threads), without reading each one's statistics or size first.
  o.max_file_opening_threads = 1;
  o.skip_stats_update_on_db_open = true;
  o.skip_checking_sst_file_sizes_on_db_open = true;
  // Accounting only: the manager counts every memtable's arena as it grows and as it is
  // freed (MemtableBytes reads that without a lock, for maxmemory before each write). Its
  // limit is never reached, so it triggers no flush and no stall.
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(size_t{1} << 58);
  return o;
}

rocksdb::ColumnFamilyOptions MakeFramesOptions() {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = kResumeReserveBytes;  // raised after Open (see kResumeReserveBytes)
  // Frames are RESP text with repeated commands and keys: LZ4 is cheap and pays off. Fall
  // back to none when this RocksDB build lacks it.
  const auto supported = rocksdb::GetSupportedCompressions();
  const bool lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  o.compression = lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  o.bottommost_compression = o.compression;
  // Reads are sequential scans from a Seek: larger blocks, no bloom filter.
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 64 * 1024;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

rocksdb::ColumnFamilyOptions MakeMetaOptions() {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = kResumeReserveBytes;
  o.compression = rocksdb::kNoCompression;
  return o;
}

// Tells the store that RocksDB sealed a memtable: it starts a new WAL file with that.
class NewWalListener : public rocksdb::EventListener {
 public:
  explicit NewWalListener(std::shared_ptr<std::atomic<bool>> flag) : flag_(std::move(flag)) {}
  void OnMemTableSealed(const rocksdb::MemTableInfo&) override { flag_->store(true); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace

struct LogStore::Impl {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* default_cf = nullptr;
  rocksdb::ColumnFamilyHandle* frames = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::shared_ptr<rocksdb::WriteBufferManager> memtables;  // MakeDbOptions's accounting
  // Set after a failed write: RocksDB refuses writes after a WAL error until Resume().
  std::atomic<bool> write_failed{false};
  // Set when RocksDB seals a memtable (and so starts a new WAL file), and at open: the next
  // write stamps the new WAL (StampNewWal).
  std::shared_ptr<std::atomic<bool>> new_wal = std::make_shared<std::atomic<bool>>(true);
  std::atomic<int> injected_errors{0};

  // After a failed write, lets RocksDB leave its error state first. Nothing may touch the
  // WAL before that: RocksDB asserts that a file writer which saw an error is not synced.
  Status ResumeIfFailed(const std::string& path, std::string_view what) {
    if (!write_failed) return Status::Ok();
    rocksdb::Status s = db->Resume();
    if (s.IsBusy()) {
      // RocksDB's own recovery runs: after a full disk it waits for kResumeReserveBytes free.
      return Status::Unavailable("log store " + path + ": " + std::string(what) +
                                 ": still recovering from an earlier write error (after a full "
                                 "disk, until 2 MiB are free)");
    }
    if (!s.ok()) return Convert(s, path, std::string(what) + " (resuming after an error)");
    write_failed = false;
    return Status::Ok();
  }

  // Writes a batch (after resuming from an earlier failure); then stamps a WAL file that
  // RocksDB started meanwhile.
  Status Write(const std::string& path, rocksdb::WriteBatch* batch, bool sync,
               std::string_view what) {
    if (Status st = ResumeIfFailed(path, what); !st.ok()) return st;
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db->Write(wo, batch);
    if (!s.ok()) {
      write_failed = true;
      return Convert(s, path, what);
    }
    // The batch is committed whatever the stamp does: a failed stamp leaves the flags set,
    // so the next write resumes RocksDB and stamps again.
    static_cast<void>(StampNewWal(path, sync));
    return Status::Ok();
  }

  // Every WAL file carries the directory's identity: once RocksDB started a new one (a
  // memtable switch: a full write buffer, the WAL size cap, a flush, recovery from a write
  // error; or the open itself), every meta value is written again into it, the directory
  // id and the manifest among them. A WAL copied in from another server's directory then
  // brings that server's identity, and persistence refuses it at the next start (its
  // evidence check), whichever way the file began. The values are the committed ones, so
  // writing them again changes nothing. Callers hold the store's write mutex.
  Status StampNewWal(const std::string& path, bool sync) {
    if (!new_wal->exchange(false)) return Status::Ok();
    rocksdb::WriteBatch stamp;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), meta));
    rocksdb::Status s;
    for (it->SeekToFirst(); s.ok() && it->Valid(); it->Next()) {
      s = stamp.Put(meta, it->key(), it->value());
    }
    if (s.ok()) s = it->status();
    it.reset();
    if (s.ok() && stamp.Count() > 0) {
      rocksdb::WriteOptions wo;
      wo.sync = sync;
      s = db->Write(wo, &stamp);
      if (!s.ok()) write_failed = true;
    }
    if (!s.ok()) {
      new_wal->store(true);  // try again with the next write
      return Convert(s, path, "writing the directory's identity into a new WAL");
    }
    return Status::Ok();
  }

  ~Impl() {
    if (db == nullptr) return;
    for (rocksdb::ColumnFamilyHandle* h : handles)
      db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db->Close().PermitUncheckedError();
    delete db;
  }
};

LogStore::LogStore() = default;
LogStore::~LogStore() = default;

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& dir,
                                                 const LogStoreOptions& options,
                                                 OpenReport* report) {
  OpenReport local;
  if (report == nullptr) report = &local;
  *report = OpenReport{};
  const std::string path = dir + "/log";
  bool existing = true;
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IOError("log store " + path + ": cannot create: " + ec.message());
    // RocksDB creates a new, empty database where CURRENT is missing, and then deletes the
    // files the new one does not reference: the old WAL and tables, i.e. the log. Only an
    // empty directory is a new log store.
    const bool has_current = std::filesystem::exists(path + "/CURRENT", ec);
    bool has_files = false;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name != "LOCK" && !name.starts_with("OPTIONS-") && !name.starts_with("LOG")) {
        has_files = true;
      }
    }
    if (!has_current && has_files) {
      return Status::Corruption("log store " + path + ": " + path +
                                "/CURRENT is missing but the directory holds log files; "
                                "refusing to open it as a new, empty log store (" +
                                DescribeFiles(path) + ")");
    }
    existing = has_current;
  }

  // RocksDB drops a torn WAL record without a word: look for one first, to report it.
  const WalTail wal_tail = InspectNewestWal(path);

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, MakeMetaOptions()},
      {kFramesFamily, MakeFramesOptions()},
      {kMetaFamily, MakeMetaOptions()},
  };
  std::unique_ptr<LogStore> store(new LogStore());
  store->path_ = path;
  store->impl_ = std::make_unique<Impl>();
  Impl& impl = *store->impl_;
  rocksdb::DBOptions db_options = MakeDbOptions(options);
  db_options.listeners.push_back(std::make_shared<NewWalListener>(impl.new_wal));
  // Families are created with a new store only: an existing one that lacks them lost part
  // of its MANIFEST, and must not open as if empty.
  db_options.create_missing_column_families = !existing;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, families, &impl.handles, &impl.db);
  if (!s.ok()) {
    impl.handles.clear();
    impl.db = nullptr;
    const Status opened = Convert(s, path, "open");
    // RocksDB's messages name files by number, or not at all: list what is there.
    return Status(opened.code(), opened.message() + " (" + DescribeFiles(path) + ")");
  }
  impl.default_cf = impl.handles[0];
  impl.memtables = db_options.write_buffer_manager;
  impl.frames = impl.handles[1];
  impl.meta = impl.handles[2];
  if (options.write_buffer_size != kResumeReserveBytes) {
    s = impl.db->SetOptions(impl.frames,
                            {{"write_buffer_size", std::to_string(options.write_buffer_size)}});
    if (!s.ok()) return Convert(s, path, "setting the frames write buffer size");
  }
  if (Status st = store->Recover(options, report); !st.ok()) {
    return Status(st.code(), st.message() + " (" + DescribeFiles(path) + ")");
  }
  if (wal_tail.torn) {
    report->dropped_torn_tail = true;
    if (!report->torn_tail_detail.empty()) report->torn_tail_detail += "; ";
    report->torn_tail_detail += "WAL " + wal_tail.detail;
  }
  return store;
}

// Finds the first and next offsets, checks the chunks (all, or the last two), and drops a
// torn last chunk.
Status LogStore::Recover(const LogStoreOptions& options, OpenReport* report) {
  Impl& impl = *impl_;
  uint64_t empty_next = 0;
  {
    std::string value;
    rocksdb::Status s =
        impl.db->Get(rocksdb::ReadOptions(), impl.default_cf, kEmptyNextKey, &value);
    if (s.ok()) {
      if (!ParseKey(value, &empty_next)) {
        return Status::Corruption("log store " + path_ + ": bad " + kEmptyNextKey + " value " +
                                  Hex(value));
      }
    } else if (!s.IsNotFound()) {
      return Convert(s, path_, "reading the empty-log offset");
    }
  }

  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2ull << 20;
  std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(ro, impl.frames));
  auto key_of = [&](uint64_t* offset) -> Status {
    if (ParseKey(it->key(), offset)) return Status::Ok();
    return Status::Corruption("log store " + path_ + ": chunk key " + Hex(it->key()) +
                              " is not an 8-byte offset");
  };
  auto corrupt_chunk = [&](uint64_t key, const std::string& why) {
    return Status::Corruption("log store " + path_ + ": chunk " + std::to_string(key) + " (key " +
                              Hex(Key(key)) + "): " + why);
  };

  it->SeekToFirst();
  if (!it->Valid()) {
    if (!it->status().ok()) return Convert(it->status(), path_, "reading the first chunk");
    first_offset_ = next_offset_ = empty_next;
    report->first_offset = report->next_offset = empty_next;
    return Status::Ok();
  }
  uint64_t first = 0;
  if (Status st = key_of(&first); !st.ok()) return st;

  // The chunk to drop, if the last one is torn.
  std::optional<uint64_t> torn;
  std::string torn_why;
  size_t torn_bytes = 0;
  uint64_t next = first;
  uint64_t chunks = 0;

  if (options.verify_on_open) {
    while (it->Valid()) {
      uint64_t key = 0;
      if (Status st = key_of(&key); !st.ok()) return st;
      if (key != next) {
        return corrupt_chunk(key, "follows a chunk ending before offset " + std::to_string(next));
      }
      uint64_t end = 0;
      uint64_t count = 0;
      std::string why;
      const ChunkState state = CheckChunk(it->value().ToStringView(), key, &end, &count, &why);
      const size_t bytes = it->value().size();
      it->Next();
      const bool last = !it->Valid();
      if (last && !it->status().ok()) return Convert(it->status(), path_, "scanning chunks");
      if (state == ChunkState::kBad || (state == ChunkState::kTorn && !last)) {
        return corrupt_chunk(key, why);
      }
      if (state == ChunkState::kTorn) {
        torn = key;
        torn_why = why;
        torn_bytes = bytes;
        break;
      }
      next = end;
      chunks++;
    }
  } else {
    // Only the tail: the last chunk, and the one before it when the last is torn or to
    // check that the last follows it.
    it->SeekToLast();
    if (!it->Valid()) return Convert(it->status(), path_, "reading the last chunk");
    uint64_t key = 0;
    if (Status st = key_of(&key); !st.ok()) return st;
    uint64_t end = 0;
    uint64_t count = 0;
    std::string why;
    ChunkState state = CheckChunk(it->value().ToStringView(), key, &end, &count, &why);
    if (state == ChunkState::kBad) return corrupt_chunk(key, why);
    const uint64_t last_key = key;
    if (state == ChunkState::kTorn) {
      torn = key;
      torn_why = why;
      torn_bytes = it->value().size();
    } else {
      next = end;
    }
    it->Prev();
    if (it->Valid()) {
      if (Status st = key_of(&key); !st.ok()) return st;
      state = CheckChunk(it->value().ToStringView(), key, &end, &count, &why);
      if (state != ChunkState::kOk) return corrupt_chunk(key, why);
      if (end != last_key) {
        return corrupt_chunk(last_key,
                             "follows a chunk ending before offset " + std::to_string(end));
      }
    } else if (!it->status().ok()) {
      return Convert(it->status(), path_, "reading the chunk before the last");
    }
    uint64_t estimate = 0;
    if (impl.db->GetIntProperty(impl.frames, "rocksdb.estimate-num-keys", &estimate)) {
      chunks = estimate;
    }
  }
  it.reset();

  if (torn) {
    // The torn chunk's offset is where the log continues; if it was the only chunk, only
    // the bookkeeping key can say so after the delete.
    rocksdb::WriteBatch batch;
    rocksdb::Status s = batch.Delete(impl.frames, Key(*torn));
    if (s.ok()) s = batch.Put(impl.default_cf, kEmptyNextKey, Key(*torn));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (s.ok()) s = impl.db->Write(wo, &batch);
    if (!s.ok()) return Convert(s, path_, "dropping the torn last chunk");
    next = *torn;
    if (chunks > 0 && !options.verify_on_open) chunks--;
    report->dropped_torn_tail = true;
    report->torn_tail_detail = "dropped the last chunk (offset " + std::to_string(*torn) + ", " +
                               std::to_string(torn_bytes) + " bytes): " + torn_why;
  }
  // When the only chunk was torn, first == *torn == next: an empty log.
  first_offset_ = first;
  next_offset_ = next;
  report->first_offset = first_offset_;
  report->next_offset = next_offset_;
  report->chunks = chunks;
  return Status::Ok();
}

Status LogStore::InjectedError(const char* what) {
  int n = impl_->injected_errors.load();
  while (n > 0 && !impl_->injected_errors.compare_exchange_weak(n, n - 1)) {
  }
  if (n <= 0) return Status::Ok();
  return Status::IOError("log store " + path_ + ": " + what + ": injected error (test)");
}

void LogStore::InjectWriteErrorForTest(int n) { impl_->injected_errors.store(n); }

Status LogStore::Append(uint64_t first_offset, uint32_t count, std::string_view frames,
                        const std::vector<std::pair<std::string, std::string>>& meta, bool sync) {
  std::lock_guard lock(write_mu_);
  if (first_offset != next_offset_) {
    return Status::InvalidArgument("log store " + path_ + ": append at offset " +
                                   std::to_string(first_offset) + " but the next offset is " +
                                   std::to_string(next_offset_));
  }
  if (count == 0 || frames.empty()) {
    return Status::InvalidArgument("log store " + path_ + ": empty chunk");
  }
#ifndef NDEBUG
  // Debug builds check that the bytes are what the caller says (a full decode).
  {
    uint64_t end = 0;
    uint64_t decoded = 0;
    std::string why;
    if (CheckChunk(frames, first_offset, &end, &decoded, &why) != ChunkState::kOk ||
        decoded != count) {
      return Status::InvalidArgument(
          "log store " + path_ + ": chunk at " + std::to_string(first_offset) + " claims " +
          std::to_string(count) +
          " frames: " + (why.empty() ? std::to_string(decoded) + " decoded" : why));
    }
  }
#endif
  if (Status st = InjectedError("append"); !st.ok()) return st;
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.Put(impl_->frames, Key(first_offset), frames);
  for (const auto& [name, value] : meta) {
    if (s.ok()) s = batch.Put(impl_->meta, name, value);
  }
  if (!s.ok()) return Convert(s, path_, "append");
  if (Status st = impl_->Write(path_, &batch, sync, "append"); !st.ok()) return st;
  next_offset_ += count;
  return Status::Ok();
}

Status LogStore::CommitMeta(const std::vector<std::pair<std::string, std::string>>& meta,
                            uint64_t truncate_below, bool sync) {
  std::lock_guard lock(write_mu_);
  const uint64_t first_before = first_offset_;
  if (Status st = CommitMetaLocked(meta, truncate_below, sync); !st.ok()) return st;
  if (first_offset_ != first_before && first_offset_ == next_offset_) {
    return ReleaseIdleMemtable(sync);
  }
  return Status::Ok();
}

// A truncation that emptied the log leaves the frames' memtable holding only chunks the
// truncation hid. Past a few hundred KiB it is flushed in the background, which frees its
// arena (a flush drops what the range tombstone covers): an idle server's memory falls back
// to its dataset, as Redis frees its AOF buffer once written. The flush starts a new WAL
// file, which is stamped with the meta at once (Impl::StampNewWal), under write_mu_, so no
// chunk goes into it first.
Status LogStore::ReleaseIdleMemtable(bool sync) {
  uint64_t bytes = 0;
  uint64_t immutable = 0;
  if (!impl_->db->GetIntProperty(impl_->frames, "rocksdb.cur-size-active-mem-table", &bytes) ||
      bytes < kIdleMemtableReleaseBytes) {
    return Status::Ok();
  }
  // A flush already waiting or running: a second immutable memtable could stall writes
  // (max_write_buffer_number), and this one goes at the next emptying seal.
  if (!impl_->db->GetIntProperty(impl_->frames, "rocksdb.num-immutable-mem-table", &immutable) ||
      immutable > 0) {
    return Status::Ok();
  }
  rocksdb::FlushOptions fo;
  fo.wait = false;
  fo.allow_write_stall = true;
  if (!impl_->db->Flush(fo, impl_->frames).ok()) return Status::Ok();  // memory only
  // As after any write: a failed stamp is retried with the next write.
  static_cast<void>(impl_->StampNewWal(path_, sync));
  return Status::Ok();
}

Status LogStore::CommitMetaLocked(const std::vector<std::pair<std::string, std::string>>& meta,
                                  uint64_t truncate_below, bool sync) {
  if (Status st = InjectedError("commit meta"); !st.ok()) return st;
  rocksdb::WriteBatch batch;
  rocksdb::Status s;
  for (const auto& [name, value] : meta) {
    if (s.ok()) s = batch.Put(impl_->meta, name, value);
  }
  uint64_t new_first = first_offset_;
  if (truncate_below > first_offset_ && first_offset_ < next_offset_) {
    if (truncate_below >= next_offset_) {
      new_first = next_offset_;
      if (s.ok()) s = batch.Put(impl_->default_cf, kEmptyNextKey, Key(next_offset_));
    } else {
      // The chunk holding truncate_below stays; everything before it goes.
      std::unique_ptr<rocksdb::Iterator> it(
          impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->frames));
      it->SeekForPrev(Key(truncate_below));
      if (!it->Valid()) {
        if (!it->status().ok()) return Convert(it->status(), path_, "finding the truncation");
        return Status::Corruption("log store " + path_ + ": no chunk holds offset " +
                                  std::to_string(truncate_below) + " (first offset " +
                                  std::to_string(first_offset_) + ")");
      }
      if (!ParseKey(it->key(), &new_first)) {
        return Status::Corruption("log store " + path_ + ": chunk key " + Hex(it->key()) +
                                  " is not an 8-byte offset");
      }
    }
    // Tombstones over [old first, new first) only: ranges from 0 would pile up overlapping.
    if (s.ok() && new_first > first_offset_) {
      s = batch.DeleteRange(impl_->frames, Key(first_offset_), Key(new_first));
    }
  }
  if (!s.ok()) return Convert(s, path_, "commit meta");
  if (Status st = impl_->Write(path_, &batch, sync, "commit meta"); !st.ok()) return st;
  if (new_first != first_offset_) {
    first_offset_ = new_first;
    // Space: drop SST files lying wholly below the new first offset now rather than at
    // some later compaction. include_end = false keeps any file that reaches new_first,
    // which is where the range tombstone itself lives, so nothing can come back. Best
    // effort: the tombstone already hides those chunks.
    const std::string begin = Key(0);
    const std::string end = Key(new_first);
    const rocksdb::Slice b(begin);
    const rocksdb::Slice e(end);
    rocksdb::DeleteFilesInRange(impl_->db, impl_->frames, &b, &e, /*include_end=*/false)
        .PermitUncheckedError();
  }
  return Status::Ok();
}

Status LogStore::Reset(uint64_t next_offset,
                       const std::vector<std::pair<std::string, std::string>>& meta, bool sync) {
  std::lock_guard lock(write_mu_);
  if (Status st = InjectedError("reset"); !st.ok()) return st;
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.DeleteRange(impl_->frames, Key(0), kPastLastKey);
  if (s.ok()) s = batch.Put(impl_->default_cf, kEmptyNextKey, Key(next_offset));
  for (const auto& [name, value] : meta) {
    if (s.ok()) s = batch.Put(impl_->meta, name, value);
  }
  if (!s.ok()) return Convert(s, path_, "reset");
  if (Status st = impl_->Write(path_, &batch, sync, "reset"); !st.ok()) return st;
  first_offset_ = next_offset_ = next_offset;
  const std::string begin = Key(0);
  const rocksdb::Slice b(begin);
  const rocksdb::Slice e(kPastLastKey);
  rocksdb::DeleteFilesInRange(impl_->db, impl_->frames, &b, &e, /*include_end=*/false)
      .PermitUncheckedError();
  return Status::Ok();
}

std::optional<std::string> LogStore::GetMeta(std::string_view name) const {
  Result<std::optional<std::string>> r = ReadMeta(name);
  if (!r.ok()) return std::nullopt;
  return std::move(r).value();
}

Result<std::optional<std::string>> LogStore::ReadMeta(std::string_view name) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->meta, name, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Convert(s, path_, "reading meta " + std::string(name));
  return std::optional<std::string>(std::move(value));
}

Status LogStore::Sync() {
  if (Status st = InjectedError("sync"); !st.ok()) return st;
  if (Status st = impl_->ResumeIfFailed(path_, "sync"); !st.ok()) return st;
  rocksdb::Status s = impl_->db->SyncWAL();
  if (!s.ok()) {
    impl_->write_failed = true;
    return Convert(s, path_, "sync");
  }
  return Status::Ok();
}

Status LogStore::Flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return Convert(impl_->db->Flush(fo, {impl_->default_cf, impl_->frames, impl_->meta}), path_,
                 "flush");
}

namespace {

class ChunkReader final : public LogStore::Reader {
 public:
  ChunkReader(std::unique_ptr<rocksdb::Iterator> it, std::string path, uint64_t from,
              uint64_t chunk)
      : it_(std::move(it)), path_(std::move(path)), from_(from), expected_(chunk) {}

  Result<std::optional<std::string_view>> Next() override {
    for (;;) {
      if (!it_->Valid()) {
        if (!it_->status().ok()) return Convert(it_->status(), path_, "reading frames");
        return std::optional<std::string_view>();
      }
      const std::string_view value = it_->value().ToStringView();
      if (pos_ == 0) {
        uint64_t key = 0;
        if (!ParseKey(it_->key(), &key)) {
          return Status::Corruption("log store " + path_ + ": chunk key " + Hex(it_->key()) +
                                    " is not an 8-byte offset");
        }
        if (key != expected_) {
          return Corrupt(key, "follows a chunk ending before offset " + std::to_string(expected_));
        }
        chunk_ = key;
      }
      if (pos_ == value.size()) {
        it_->Next();
        pos_ = 0;
        continue;
      }
      std::string error;
      const proto::FrameStatus st = proto::DecodeFrame(value.substr(pos_), &frame_, &error);
      if (st != proto::FrameStatus::kOk) {
        return Corrupt(chunk_, "frame at byte " + std::to_string(pos_) + ": " +
                                   (st == proto::FrameStatus::kIncomplete ? "cut short" : error));
      }
      if (frame_.offset != expected_) {
        return Corrupt(chunk_, "frame at byte " + std::to_string(pos_) + " has offset " +
                                   std::to_string(frame_.offset) + ", expected " +
                                   std::to_string(expected_));
      }
      const std::string_view encoded = value.substr(pos_, frame_.size);
      pos_ += frame_.size;
      expected_++;
      if (frame_.offset >= from_) return std::optional<std::string_view>(encoded);
    }
  }

 private:
  Status Corrupt(uint64_t chunk, const std::string& why) const {
    return Status::Corruption("log store " + path_ + ": chunk " + std::to_string(chunk) + " (key " +
                              Hex(Key(chunk)) + "): " + why);
  }

  std::unique_ptr<rocksdb::Iterator> it_;
  std::string path_;
  uint64_t from_;
  uint64_t expected_;  // offset of the next frame
  uint64_t chunk_ = 0;
  size_t pos_ = 0;  // byte position in the current chunk
  proto::Frame frame_;
};

}  // namespace

Result<std::unique_ptr<LogStore::Reader>> LogStore::ReadFrom(uint64_t offset) const {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->frames));
  it->SeekForPrev(Key(offset));
  if (!it->Valid()) {
    if (!it->status().ok()) return Convert(it->status(), path_, "seeking frames");
    // No chunk starts at or below offset: either the log is empty or offset was truncated.
    it->SeekToFirst();
    if (!it->Valid()) {
      if (!it->status().ok()) return Convert(it->status(), path_, "seeking frames");
      return std::unique_ptr<Reader>(new ChunkReader(std::move(it), path_, offset, offset));
    }
    uint64_t first = 0;
    ParseKey(it->key(), &first);
    return Status::OutOfRange("log store " + path_ + ": offset " + std::to_string(offset) +
                              " is below the first stored offset " + std::to_string(first));
  }
  uint64_t chunk = 0;
  if (!ParseKey(it->key(), &chunk)) {
    return Status::Corruption("log store " + path_ + ": chunk key " + Hex(it->key()) +
                              " is not an 8-byte offset");
  }
  return std::unique_ptr<Reader>(new ChunkReader(std::move(it), path_, offset, chunk));
}

uint64_t LogStore::MemtableBytes() const { return impl_->memtables->memory_usage(); }

uint64_t LogStore::TableReaderBytes() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* cf : {impl_->default_cf, impl_->frames, impl_->meta}) {
    uint64_t v = 0;
    if (impl_->db->GetIntProperty(cf, "rocksdb.estimate-table-readers-mem", &v)) total += v;
  }
  return total;
}

uint64_t LogStore::MemoryUsage() const { return MemtableBytes() + TableReaderBytes(); }

Result<std::optional<std::vector<std::optional<std::string>>>> LogStore::PeekMeta(
    const std::string& dir, const std::vector<std::string>& names) {
  using Values = std::vector<std::optional<std::string>>;
  const std::string path = dir + "/log";
  std::error_code ec;
  if (!std::filesystem::exists(path + "/CURRENT", ec)) return std::optional<Values>();
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, MakeMetaOptions()},
      {kFramesFamily, MakeFramesOptions()},
      {kMetaFamily, MakeMetaOptions()},
  };
  rocksdb::DBOptions options = MakeDbOptions(LogStoreOptions{});
  options.create_if_missing = false;
  options.create_missing_column_families = false;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &raw);
  if (!s.ok()) {
    const Status opened = Convert(s, path, "open");
    return Status(opened.code(), opened.message() + " (" + DescribeFiles(path) + ")");
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  Values values;
  Status status;
  for (const std::string& name : names) {
    std::string value;
    rocksdb::Status g = db->Get(rocksdb::ReadOptions(), handles[2], name, &value);
    if (g.IsNotFound()) {
      values.emplace_back();
    } else if (!g.ok()) {
      status = Convert(g, path, "reading meta " + name);
      break;
    } else {
      values.emplace_back(std::move(value));
    }
  }
  for (rocksdb::ColumnFamilyHandle* h : handles)
    db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  if (!status.ok()) return status;
  return std::optional<Values>(std::move(values));
}

std::string LogStore::DescribeFiles(const std::string& log_dir) {
  std::vector<std::pair<std::string, uintmax_t>> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
    std::error_code size_ec;
    const uintmax_t size = entry.is_regular_file(size_ec) ? entry.file_size(size_ec) : 0;
    files.emplace_back(entry.path().filename().string(), size);
  }
  if (ec) return log_dir + ": " + ec.message();
  std::sort(files.begin(), files.end());
  std::string out = "files in " + log_dir + ":";
  if (files.empty()) out += " none";
  for (size_t i = 0; i < files.size(); i++) {
    out += (i == 0 ? " " : ", ") + log_dir + "/" + files[i].first + " (" +
           std::to_string(files[i].second) + " bytes)";
  }
  return out;
}

uint64_t LogStore::FlushesPending() const {
  uint64_t total = 0;
  uint64_t v = 0;
  if (impl_->db->GetIntProperty("rocksdb.num-running-flushes", &v)) total += v;
  for (rocksdb::ColumnFamilyHandle* cf : {impl_->default_cf, impl_->frames, impl_->meta}) {
    if (impl_->db->GetIntProperty(cf, "rocksdb.num-immutable-mem-table", &v)) total += v;
  }
  return total;
}

uint64_t LogStore::Bytes() const {
  const std::string begin = Key(first_offset_);
  rocksdb::Range range(begin, kPastLastKey);
  rocksdb::SizeApproximationOptions o;
  o.include_memtables = true;
  o.include_files = true;
  uint64_t size = 0;
  if (!impl_->db->GetApproximateSizes(o, impl_->frames, &range, 1, &size).ok()) return 0;
  return size;
}

}  // namespace tidekv::logstore
