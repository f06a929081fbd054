// Batches: immutable sorted files holding, for every key changed in an offset range
// [lower, upper), that key's state at upper (DESIGN.md §6). Written with
// rocksdb::SstFileWriter and read with rocksdb::SstFileReader: checksummed, compressed,
// indexed; no hand-written file format.
//
// This module moves bytes: a key is (database, key bytes) and a state is a value the server
// encoded (type tag + opaque bytes) or a tombstone, plus an absolute expiry. Only the server
// knows what a string or a hash is. No Asio; file I/O only, meant to run on the compaction
// pool, never on the loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace tidekv::compaction {

// The state of one key at a batch's upper offset.
struct KeyState {
  bool tombstone = false;    // deleted (or expired) by upper
  int64_t expire_at_ms = 0;  // absolute Unix ms; 0 = no expiry
  uint8_t type = 0;          // the server's value type tag
  std::string value;         // the server's encoding of the value (opaque here)
  bool operator==(const KeyState&) const = default;
};

// [u8 format=1][u8 flags: bit0 tombstone][i64 little-endian expire][u8 type][value bytes]
std::string EncodeKeyState(const KeyState& state);
Result<KeyState> DecodeKeyState(std::string_view bytes);
// The same checks, the value left in place (it points into bytes): loading at start-up.
struct KeyStateView {
  bool tombstone = false;
  int64_t expire_at_ms = 0;
  uint8_t type = 0;
  std::string_view value;
  KeyState ToState() const { return {tombstone, expire_at_ms, type, std::string(value)}; }
};
Result<KeyStateView> DecodeKeyStateView(std::string_view bytes);
// DecodeKeyState rejects (Corruption) a short header, another format or unknown flag bits.
// The expiry and tombstone flag without copying the value (merges use these). They expect a
// well-formed state (BatchReader only yields those); a short one reads as live, no expiry.
bool IsTombstone(std::string_view encoded);
std::string_view ValueOf(std::string_view encoded);
int64_t ExpireAtOf(std::string_view encoded);

// Batch keys sort by database, then key bytes: 2-byte big-endian db, then the key.
// db must be in [0, 65535] (checked).
std::string BatchKey(int db, std::string_view key);
// {db, key}; {-1, ""} for bytes shorter than 2 (never produced by BatchKey or a reader).
std::pair<int, std::string_view> SplitBatchKey(std::string_view batch_key);

// ---- Element rows (DESIGN.md §6, "Collections in batches") ----
// A large collection's state in a batch is a header row under its BatchKey, whose state
// value is an element header (generation, element count at upper), plus one row per element
// changed in the batch's range (all of them the first time, under a new generation). An
// element row's key puts the high bit on the database and length-prefixes the key, so every
// element row sorts after every key row and no two keys' rows can collide; its state is a
// KeyState (tombstone: the element was removed) whose value starts with the generation.
// Rows of another generation than their key's header are stale: merges and loads drop them.
inline constexpr uint8_t kElementHeaderMarker = 0x10;  // no value codec version uses it
inline constexpr int kMaxElementRowDb = 0x7FFF;

// Metadata rows: what is stored with the data but is not a key of any database (the
// FUNCTION libraries, under the key "functions"). They use database number kMetaDb, which
// no keyspace has (databases are far fewer), so they sort after every key row and before
// every element row, and merge like key rows (the newest state wins).
inline constexpr int kMetaDb = kMaxElementRowDb;
inline constexpr uint8_t kMetaType = 0xF0;  // a KeyState type no value type uses

struct ElementHeader {
  uint64_t generation = 0;
  uint64_t count = 0;
};
std::string EncodeElementHeader(const ElementHeader& header);
// nullopt when `value` (a KeyState's value) is not an element header.
std::optional<ElementHeader> DecodeElementHeader(std::string_view value);

std::string ElementRowKey(int db, std::string_view key, std::string_view element);
bool IsElementRowKey(std::string_view batch_key);
struct ElementRowKeyParts {
  int db = -1;
  std::string_view key;
  std::string_view element;
};
// nullopt for a key that is not a well-formed element row key.
std::optional<ElementRowKeyParts> SplitElementRowKey(std::string_view batch_key);

// An element row's KeyState value: varint generation, then the type's payload.
std::string EncodeElementValue(uint64_t generation, std::string_view payload);
struct ElementValue {
  uint64_t generation = 0;
  std::string_view payload;
};
std::optional<ElementValue> DecodeElementValue(std::string_view value);

// What the spine and the manifest know about one batch file.
struct BatchMeta {
  uint64_t id = 0;     // unique, increasing; names the file
  uint64_t lower = 0;  // covers offsets [lower, upper)
  uint64_t upper = 0;
  uint32_t level = 0;  // sealed batches start at 0; merges may raise it
  uint64_t bytes = 0;  // file size
  uint64_t entries = 0;
  // ContentCrc of every entry, in order (nullopt: not recorded, in manifests written before
  // format 2). Ties the file to the manifest that names it: a valid batch of another
  // directory with the same name, size and count is still told apart.
  std::optional<uint32_t> content_crc;
  std::string FileName() const;  // "batch-<id, 20 digits>.sst"
  bool operator==(const BatchMeta&) const = default;
};

// The running checksum of a batch's entries: fed each (key, encoded state) in file order.
uint32_t ContentCrc(uint32_t crc, std::string_view batch_key, std::string_view encoded_state);

class BatchWriter {
 public:
  static Result<std::unique_ptr<BatchWriter>> Create(const std::string& path);
  ~BatchWriter();
  // Keys must be added in strictly increasing byte order (InvalidArgument otherwise; the
  // writer stays usable). encoded_state must be a well-formed EncodeKeyState output.
  Status Add(std::string_view batch_key, std::string_view encoded_state);
  // Finishes the file (the file and its directory fsynced) and returns its size in bytes, as
  // the filesystem reports it. An empty batch is allowed (README.md, "Empty batches").
  // A writer destroyed before a successful Finish removes its partial file.
  Result<uint64_t> Finish();
  uint64_t entries() const { return entries_; }
  uint32_t content_crc() const { return content_crc_; }  // of the entries added so far

 private:
  BatchWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t entries_ = 0;
  uint32_t content_crc_ = 0;
};

class BatchReader {
 public:
  // Opens a batch; with verify, checks every block's checksum first so a corrupt file is
  // reported (Corruption naming the path) before anything from it is used.
  static Result<std::unique_ptr<BatchReader>> Open(const std::string& path, bool verify = true);
  ~BatchReader();
  // Iteration in key order.
  void SeekToFirst();
  void SeekToLast();
  bool Valid() const;
  void Next();
  std::string_view key() const;
  std::string_view value() const;
  // Corruption or I/O errors met while iterating; iteration also stops (Corruption) at an
  // entry that is not a batch entry (key under 2 bytes, malformed state), so every key()
  // and value() a caller sees is well-formed. Check it after Valid() turns false.
  Status status() const;
  // Number of entries, from the file's properties (0 for an empty batch).
  uint64_t entries() const;
  const std::string& path() const;

 private:
  BatchReader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Merges two adjacent batches into one file at out_path: for a key in both, the newer
// state wins; element rows whose key's merged state is not an element header of their
// generation are dropped. With into_oldest (older is the spine's oldest batch, so nothing older can
// be shadowed), tombstones are dropped; expired states are kept (the log replayed over the batches
// may still refer to them; the DEL that removes them drops them later). Streams through both
// inputs: memory is bounded by the readers' block buffers, not by the batch sizes. Returns the
// merged batch's meta: result_template (id, level, [older.lower, newer.upper)) with bytes, entries
// and content_crc filled in; the caller then sets the level with Spine::MergedLevel. On error,
// out_path is removed and the inputs are untouched.
Result<BatchMeta> MergeBatches(const std::string& older_path, const std::string& newer_path,
                               const std::string& out_path, const BatchMeta& result_template,
                               bool into_oldest);

}  // namespace tidekv::compaction
