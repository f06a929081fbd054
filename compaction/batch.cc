#include "compaction/batch.h"

#include <fcntl.h>
#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <unordered_map>

#include "common/coding.h"
#include "common/crc32c.h"

namespace tidekv::compaction {
namespace {

constexpr uint8_t kStateFormat = 1;
constexpr uint8_t kFlagTombstone = 0x01;
// format, flags, expire (8), type.
constexpr size_t kStateHeader = 11;
constexpr size_t kDbBytes = 2;

// The range tombstone that makes an empty batch a valid SST (see README.md "Empty batches").
// It covers only the empty key, which is never a batch key (those are at least 2 bytes),
// and SstFileReader iterators do not apply range tombstones anyway.
constexpr std::string_view kEmptyMarkerBegin{"", 0};
constexpr std::string_view kEmptyMarkerEnd{"\0", 1};

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// rocksdb::Status never leaves this file: every error becomes a tidekv Status naming the
// batch file, since the one reading the message (an operator at start-up) needs the path.
Status FromRocks(const rocksdb::Status& s, std::string_view what, const std::string& path) {
  std::string message = std::string(what) + " " + path + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  if (s.IsPathNotFound()) return Status::NotFound(std::move(message));
  if (s.IsNoSpace()) return Status::Unavailable(std::move(message));
  if (s.IsIOError()) return Status::IOError(std::move(message));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(message));
  return Status::Internal(std::move(message));
}

Status FromErrno(int err, std::string_view what, const std::string& path) {
  std::string message = std::string(what) + " " + path + ": " +
                        std::error_code(err, std::generic_category()).message();
  if (err == ENOSPC || err == EDQUOT) return Status::Unavailable(std::move(message));
  if (err == ENOENT) return Status::NotFound(std::move(message));
  return Status::IOError(std::move(message));
}

// The table format every batch is written with. Blocks of 32 KiB compress well and keep a
// sequential scan (loads, merges, shipping) at a few reads per MiB; the index is
// partitioned so that a reader holds only the small top-level index in memory, not an
// index proportional to the file (see MergeBatches' memory bound).
rocksdb::CompressionType PickCompression() {
  static const rocksdb::CompressionType kPicked = [] {
    const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
    for (rocksdb::CompressionType want : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
      if (std::find(supported.begin(), supported.end(), want) != supported.end()) return want;
    }
    return rocksdb::kNoCompression;
  }();
  return kPicked;
}

rocksdb::BlockBasedTableOptions TableOptions() {
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 32 * 1024;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.metadata_block_size = 4 * 1024;
  // Batches are read once, front to back (load, merge, ship): caching their blocks would
  // only evict something useful. Each read allocates a block and frees it after use.
  table.no_block_cache = true;
  return table;
}

rocksdb::Options BatchOptions() {
  rocksdb::Options options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions()));
  options.compression = PickCompression();
  options.bottommost_compression = rocksdb::kDisableCompressionOption;
  return options;
}

// A new file's directory entry is durable only once its directory is synced; the manifest
// that names the file is committed right after, so do it here.
Status SyncParentDir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FromErrno(errno, "open directory of batch", path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return FromErrno(err, "fsync directory of batch", path);
  return Status::Ok();
}

// True when encoded has a header this build understands. Readers check every state so
// that callers (load, merge) never see a malformed one.
bool WellFormedState(std::string_view encoded) {
  return encoded.size() >= kStateHeader && static_cast<uint8_t>(encoded[0]) == kStateFormat &&
         (static_cast<uint8_t>(encoded[1]) & ~kFlagTombstone) == 0;
}

}  // namespace

// ---- KeyState and batch keys ----------------------------------------------------------

std::string EncodeKeyState(const KeyState& state) {
  std::string out;
  out.reserve(kStateHeader + state.value.size());
  out.push_back(static_cast<char>(kStateFormat));
  out.push_back(static_cast<char>(state.tombstone ? kFlagTombstone : 0));
  PutFixed64(&out, static_cast<uint64_t>(state.expire_at_ms));
  out.push_back(static_cast<char>(state.type));
  out.append(state.value);
  return out;
}

Result<KeyState> DecodeKeyState(std::string_view bytes) {
  auto view = DecodeKeyStateView(bytes);
  if (!view.ok()) return view.status();
  return view->ToState();
}

Result<KeyStateView> DecodeKeyStateView(std::string_view bytes) {
  if (bytes.size() < kStateHeader) {
    return Status::Corruption("key state: " + std::to_string(bytes.size()) +
                              " bytes, shorter than the 11-byte header");
  }
  if (static_cast<uint8_t>(bytes[0]) != kStateFormat) {
    return Status::Corruption("key state: unknown format " +
                              std::to_string(static_cast<uint8_t>(bytes[0])));
  }
  const uint8_t flags = static_cast<uint8_t>(bytes[1]);
  if ((flags & ~kFlagTombstone) != 0) {
    return Status::Corruption("key state: unknown flags " + std::to_string(flags));
  }
  KeyStateView state;
  state.tombstone = (flags & kFlagTombstone) != 0;
  state.expire_at_ms = static_cast<int64_t>(DecodeFixed64(bytes.data() + 2));
  state.type = static_cast<uint8_t>(bytes[10]);
  state.value = bytes.substr(kStateHeader);
  return state;
}

// The value bytes of a well-formed encoded state, without copying.
std::string_view ValueOf(std::string_view encoded) {
  return encoded.size() >= kStateHeader ? encoded.substr(kStateHeader) : std::string_view();
}

bool IsTombstone(std::string_view encoded) {
  return encoded.size() >= kStateHeader && (static_cast<uint8_t>(encoded[1]) & kFlagTombstone);
}

int64_t ExpireAtOf(std::string_view encoded) {
  if (encoded.size() < kStateHeader) return 0;
  return static_cast<int64_t>(DecodeFixed64(encoded.data() + 2));
}

std::string BatchKey(int db, std::string_view key) {
  TIDEKV_CHECK(db >= 0 && db <= 0xFFFF);
  std::string out;
  out.reserve(kDbBytes + key.size());
  out.push_back(static_cast<char>((db >> 8) & 0xFF));
  out.push_back(static_cast<char>(db & 0xFF));
  out.append(key);
  return out;
}

std::pair<int, std::string_view> SplitBatchKey(std::string_view batch_key) {
  if (batch_key.size() < kDbBytes) return {-1, {}};
  const int db = (static_cast<uint8_t>(batch_key[0]) << 8) | static_cast<uint8_t>(batch_key[1]);
  return {db, batch_key.substr(kDbBytes)};
}

// ---- element rows -------------------------------------------------------------------------

std::string EncodeElementHeader(const ElementHeader& header) {
  std::string out(1, static_cast<char>(kElementHeaderMarker));
  PutVarint64(&out, header.generation);
  PutVarint64(&out, header.count);
  return out;
}

std::optional<ElementHeader> DecodeElementHeader(std::string_view value) {
  if (value.empty() || static_cast<uint8_t>(value[0]) != kElementHeaderMarker) return std::nullopt;
  value.remove_prefix(1);
  ElementHeader h;
  if (!GetVarint64(&value, &h.generation) || !GetVarint64(&value, &h.count) || !value.empty() ||
      h.generation == 0) {
    return std::nullopt;
  }
  return h;
}

std::string ElementRowKey(int db, std::string_view key, std::string_view element) {
  TIDEKV_CHECK(db >= 0 && db <= kMaxElementRowDb);
  std::string out;
  out.reserve(kDbBytes + 5 + key.size() + element.size());
  out.push_back(static_cast<char>(0x80 | ((db >> 8) & 0x7F)));
  out.push_back(static_cast<char>(db & 0xFF));
  PutVarint64(&out, key.size());
  out.append(key);
  out.append(element);
  return out;
}

bool IsElementRowKey(std::string_view batch_key) {
  return !batch_key.empty() && (static_cast<uint8_t>(batch_key[0]) & 0x80) != 0;
}

std::optional<ElementRowKeyParts> SplitElementRowKey(std::string_view batch_key) {
  if (batch_key.size() < kDbBytes || !IsElementRowKey(batch_key)) return std::nullopt;
  ElementRowKeyParts parts;
  parts.db =
      ((static_cast<uint8_t>(batch_key[0]) & 0x7F) << 8) | static_cast<uint8_t>(batch_key[1]);
  std::string_view rest = batch_key.substr(kDbBytes);
  uint64_t key_size = 0;
  if (!GetVarint64(&rest, &key_size) || key_size > rest.size()) return std::nullopt;
  parts.key = rest.substr(0, key_size);
  parts.element = rest.substr(key_size);
  return parts;
}

std::string EncodeElementValue(uint64_t generation, std::string_view payload) {
  std::string out;
  PutVarint64(&out, generation);
  out.append(payload);
  return out;
}

std::optional<ElementValue> DecodeElementValue(std::string_view value) {
  ElementValue v;
  if (!GetVarint64(&value, &v.generation) || v.generation == 0) return std::nullopt;
  v.payload = value;
  return v;
}

uint32_t ContentCrc(uint32_t crc, std::string_view batch_key, std::string_view encoded_state) {
  // Lengths first, so that moving bytes between a key and its state changes the sum.
  char lengths[8];
  const auto k = static_cast<uint32_t>(batch_key.size());
  const auto v = static_cast<uint32_t>(encoded_state.size());
  for (int i = 0; i < 4; i++) {
    lengths[i] = static_cast<char>((k >> (8 * i)) & 0xFF);
    lengths[4 + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  crc = Crc32c(std::string_view(lengths, sizeof lengths), crc);
  crc = Crc32c(batch_key, crc);
  return Crc32c(encoded_state, crc);
}

std::string BatchMeta::FileName() const {
  char name[64];
  std::snprintf(name, sizeof(name), "batch-%020" PRIu64 ".sst", id);
  return name;
}

// ---- BatchWriter ------------------------------------------------------------------------

struct BatchWriter::Impl {
  std::string path;
  rocksdb::Options options;
  std::unique_ptr<rocksdb::SstFileWriter> writer;
  std::string last_key;
  bool finished = false;
};

Result<std::unique_ptr<BatchWriter>> BatchWriter::Create(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = BatchOptions();
  impl->writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), impl->options);
  rocksdb::Status s = impl->writer->Open(path);
  if (!s.ok()) return FromRocks(s, "create batch", path);
  std::unique_ptr<BatchWriter> writer(new BatchWriter());
  writer->impl_ = std::move(impl);
  return writer;
}

BatchWriter::~BatchWriter() {
  if (impl_ == nullptr || impl_->finished) return;
  // An unfinished batch is garbage: close it and remove it so that no half-written file
  // is left behind for a later start-up to trip over.
  impl_->writer.reset();
  std::error_code ignored;
  std::filesystem::remove(impl_->path, ignored);
}

Status BatchWriter::Add(std::string_view batch_key, std::string_view encoded_state) {
  if (impl_->finished) {
    return Status::InvalidArgument("batch " + impl_->path + ": Add after Finish");
  }
  if (batch_key.size() < kDbBytes) {
    return Status::InvalidArgument("batch " + impl_->path + ": key shorter than 2 bytes");
  }
  if (!WellFormedState(encoded_state)) {
    return Status::InvalidArgument("batch " + impl_->path + ": malformed key state");
  }
  // Checked here rather than left to SstFileWriter so the message is ours and the writer
  // stays usable after a rejected key.
  if (entries_ > 0 && batch_key <= std::string_view(impl_->last_key)) {
    return Status::InvalidArgument("batch " + impl_->path +
                                   ": keys must be added in strictly increasing order");
  }
  rocksdb::Status s = impl_->writer->Put(ToSlice(batch_key), ToSlice(encoded_state));
  if (!s.ok()) return FromRocks(s, "write batch", impl_->path);
  impl_->last_key.assign(batch_key);
  entries_++;
  content_crc_ = ContentCrc(content_crc_, batch_key, encoded_state);
  return Status::Ok();
}

Result<uint64_t> BatchWriter::Finish() {
  if (impl_->finished) {
    return Status::InvalidArgument("batch " + impl_->path + ": Finish called twice");
  }
  if (entries_ == 0) {
    rocksdb::Status s =
        impl_->writer->DeleteRange(ToSlice(kEmptyMarkerBegin), ToSlice(kEmptyMarkerEnd));
    if (!s.ok()) return FromRocks(s, "write empty batch", impl_->path);
  }
  // SstFileWriter::Finish fsyncs the file before closing it.
  rocksdb::Status s = impl_->writer->Finish();
  if (!s.ok()) return FromRocks(s, "finish batch", impl_->path);
  impl_->finished = true;
  impl_->writer.reset();
  Status synced = SyncParentDir(impl_->path);
  if (!synced.ok()) return synced;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(impl_->path, ec);
  if (ec) return FromErrno(ec.value(), "stat batch", impl_->path);
  return size;
}

// ---- BatchReader ------------------------------------------------------------------------

struct BatchReader::Impl {
  std::string path;
  rocksdb::Options options;
  std::unique_ptr<rocksdb::SstFileReader> reader;
  // Declared after the reader so it is destroyed first.
  std::unique_ptr<rocksdb::Iterator> iter;
  Status bad_entry;  // a malformed key or state met while iterating
  uint64_t entries = 0;

  // Stops iteration at an entry that is not a batch entry, so callers only ever see
  // well-formed keys and states.
  void CheckEntry() {
    if (!iter->Valid()) return;
    if (iter->key().size() < kDbBytes) {
      bad_entry = Status::Corruption("batch " + path + ": key shorter than 2 bytes");
    } else if (!WellFormedState(ToView(iter->value()))) {
      bad_entry = Status::Corruption("batch " + path + ": malformed key state");
    }
  }
};

Result<std::unique_ptr<BatchReader>> BatchReader::Open(const std::string& path, bool verify) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = BatchOptions();
  impl->reader = std::make_unique<rocksdb::SstFileReader>(impl->options);
  rocksdb::Status s = impl->reader->Open(path);
  if (!s.ok()) return FromRocks(s, "open batch", path);
  if (verify) {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    s = impl->reader->VerifyChecksum(ro);
    if (!s.ok()) return FromRocks(s, "verify batch", path);
  }
  // num_entries counts range tombstones too; an empty batch has exactly one (its marker).
  if (auto props = impl->reader->GetTableProperties()) {
    impl->entries = props->num_entries - std::min(props->num_entries, props->num_range_deletions);
  }
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  impl->iter.reset(impl->reader->NewIterator(ro));
  std::unique_ptr<BatchReader> reader(new BatchReader());
  reader->impl_ = std::move(impl);
  return reader;
}

BatchReader::~BatchReader() = default;

void BatchReader::SeekToFirst() {
  impl_->bad_entry = Status::Ok();
  impl_->iter->SeekToFirst();
  impl_->CheckEntry();
}

void BatchReader::SeekToLast() {
  impl_->bad_entry = Status::Ok();
  impl_->iter->SeekToLast();
  impl_->CheckEntry();
}

bool BatchReader::Valid() const { return impl_->bad_entry.ok() && impl_->iter->Valid(); }

void BatchReader::Next() {
  impl_->iter->Next();
  impl_->CheckEntry();
}

std::string_view BatchReader::key() const { return ToView(impl_->iter->key()); }

std::string_view BatchReader::value() const { return ToView(impl_->iter->value()); }

Status BatchReader::status() const {
  if (!impl_->bad_entry.ok()) return impl_->bad_entry;
  rocksdb::Status s = impl_->iter->status();
  if (!s.ok()) return FromRocks(s, "read batch", impl_->path);
  return Status::Ok();
}

uint64_t BatchReader::entries() const { return impl_->entries; }

const std::string& BatchReader::path() const { return impl_->path; }

// ---- MergeBatches -----------------------------------------------------------------------

Result<BatchMeta> MergeBatches(const std::string& older_path, const std::string& newer_path,
                               const std::string& out_path, const BatchMeta& result_template,
                               bool into_oldest) {
  // No up-front VerifyChecksum: the merge reads every block once with checksums verified,
  // so a corrupt input fails the merge without reading the files twice.
  auto older = BatchReader::Open(older_path, /*verify=*/false);
  if (!older.ok()) return older.status();
  auto newer = BatchReader::Open(newer_path, /*verify=*/false);
  if (!newer.ok()) return newer.status();
  auto out = BatchWriter::Create(out_path);
  if (!out.ok()) return out.status();

  BatchReader& a = **older;
  BatchReader& b = **newer;
  BatchWriter& w = **out;
  // Only a merge into the oldest batch may forget a key, and only a deleted one: elsewhere a
  // tombstone still shadows an older value of the key. An expired state stays: recovery
  // replays the log over the batches as of the time the frames ran, when a later logged
  // write (EXPIRE, INCR) may still have found the key alive; the server's own deletion of
  // it (a DEL, i.e. a tombstone in a later batch) is what removes it.
  auto keep = [&](std::string_view state) { return !into_oldest || !IsTombstone(state); };
  // Key rows sort before element rows: by the time an element row comes, its key's merged
  // state is known. Memory: one entry per large collection in the inputs.
  std::unordered_map<std::string, uint64_t> generations;
  auto current = [&](std::string_view key, std::string_view state) {
    if (IsElementRowKey(key)) {
      auto parts = SplitElementRowKey(key);
      auto value = DecodeElementValue(ValueOf(state));
      if (!parts || !value) return false;
      auto it = generations.find(BatchKey(parts->db, parts->key));
      return it != generations.end() && it->second == value->generation;
    }
    if (!IsTombstone(state)) {
      if (auto header = DecodeElementHeader(ValueOf(state))) {
        generations[std::string(key)] = header->generation;
      }
    }
    return true;
  };
  auto emit = [&](std::string_view key, std::string_view state) {
    return keep(state) && current(key, state) ? w.Add(key, state) : Status::Ok();
  };

  a.SeekToFirst();
  b.SeekToFirst();
  while (a.Valid() || b.Valid()) {
    Status s;
    if (!b.Valid() || (a.Valid() && a.key() < b.key())) {
      s = emit(a.key(), a.value());
      a.Next();
    } else if (!a.Valid() || b.key() < a.key()) {
      s = emit(b.key(), b.value());
      b.Next();
    } else {
      s = emit(b.key(), b.value());  // the newer state wins
      a.Next();
      b.Next();
    }
    if (!s.ok()) return s;  // the writer's destructor removes the partial output
  }
  if (Status s = a.status(); !s.ok()) return s;
  if (Status s = b.status(); !s.ok()) return s;

  const uint64_t entries = w.entries();
  auto bytes = w.Finish();
  if (!bytes.ok()) {
    std::error_code ignored;
    std::filesystem::remove(out_path, ignored);
    return bytes.status();
  }
  BatchMeta merged = result_template;
  merged.bytes = *bytes;
  merged.entries = entries;
  merged.content_crc = w.content_crc();
  return merged;
}

}  // namespace tidekv::compaction
