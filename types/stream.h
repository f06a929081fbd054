// StreamValue: a Redis stream — entries ordered by ID, each a list of field/value pairs,
// plus the stream's bookkeeping (last generated ID, entries ever added, the largest deleted
// ID) and its consumer groups (last delivered ID, read counter, pending entries list,
// consumers). OBJECT ENCODING "stream".
//
// Entries sit in an ordered map from ID to their fields, encoded in one string (a varint
// count, then length-prefixed field and value). Redis keeps entries in listpack nodes of at
// most stream-node-max-entries entries / stream-node-max-bytes bytes, and approximate
// trimming ("~") removes whole nodes only; so this class keeps the same node boundaries as
// a side index (first ID, slots used, live entries, bytes), which decides what "~" may
// remove exactly as Redis would. Node boundaries are not persisted: a decoded stream rebuilds
// them by appending its live entries in order.
//
// In batches a long stream is element rows: one per entry (the element is the ID's 16
// big-endian bytes, the payload the encoded fields) and one meta row (the empty element:
// last ID, counters and the consumer groups). Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "types/value.h"

namespace tidekv::types {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static constexpr StreamID Max() { return {UINT64_MAX, UINT64_MAX}; }
  bool zero() const { return ms == 0 && seq == 0; }
  bool max() const { return ms == UINT64_MAX && seq == UINT64_MAX; }
  // The next / previous ID; false at the end of the ID space (the ID is unchanged).
  bool Incr();
  bool Decr();
  std::string ToString() const;
  // 16 big-endian bytes (element rows sort in ID order).
  std::string Key() const;
  static std::optional<StreamID> FromKey(std::string_view key);
  auto operator<=>(const StreamID&) const = default;
};

// A delivered, not yet acknowledged entry of a group (its PEL).
struct StreamPending {
  int64_t delivery_time = 0;  // ms
  uint64_t delivery_count = 0;
  std::string consumer;
};

struct StreamConsumer {
  int64_t seen_time = 0;       // ms of its last XREADGROUP / XCLAIM
  std::set<StreamID> pending;  // its entries in the group's PEL
};

struct StreamGroup {
  static constexpr int64_t kInvalidRead = -1;
  StreamID last_id;
  int64_t entries_read = kInvalidRead;
  std::map<StreamID, StreamPending> pel;
  std::map<std::string, StreamConsumer, std::less<>> consumers;
};

// Stream limits (stream-node-max-entries, stream-node-max-bytes: 0 means unlimited).
struct StreamNodeLimits {
  int64_t max_entries = 100;
  int64_t max_bytes = 4096;
};
StreamNodeLimits& StreamLimits();

class StreamValue : public Value {
 public:
  static constexpr ValueType kType = ValueType::kStream;
  static const TypeOps& Ops();
  using Entries = std::map<StreamID, std::string>;
  using Groups = std::map<std::string, StreamGroup, std::less<>>;

  StreamValue() = default;
  StreamValue(const StreamValue&) = delete;
  StreamValue& operator=(const StreamValue&) = delete;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const Entries& entries() const { return entries_; }
  StreamID last_id() const { return last_id_; }
  StreamID max_deleted_id() const { return max_deleted_; }
  uint64_t entries_added() const { return entries_added_; }
  // The first live entry's ID (0-0 when empty).
  StreamID first_id() const { return empty() ? StreamID{} : entries_.begin()->first; }
  size_t nodes() const { return nodes_.size(); }

  // Appends an entry whose ID is above last_id(); fields alternate field, value.
  void Append(StreamID id, std::span<const std::string_view> fields);
  bool Delete(StreamID id);
  // Trims from the head (XADD/XTRIM): MAXLEN keeps at most maxlen entries, MINID drops the
  // entries below minid. approx removes whole nodes only; limit (0: none) caps the entries
  // removed. Returns how many went.
  size_t TrimMaxLen(uint64_t maxlen, bool approx, int64_t limit);
  size_t TrimMinId(StreamID minid, bool approx, int64_t limit);
  void SetLastId(StreamID id) {
    last_id_ = id;
    NoteMeta();
  }
  void SetEntriesAdded(uint64_t n) {
    entries_added_ = n;
    NoteMeta();
  }
  void SetMaxDeletedId(StreamID id) {
    max_deleted_ = id;
    NoteMeta();
  }

  // Whether [start, end] (end: +inf when null) holds the largest deleted ID among entries.
  bool RangeHasTombstones(StreamID start, const StreamID* end = nullptr) const;
  // The group read counter of an ID (Redis's estimate), or kInvalidRead.
  int64_t EstimateDistanceFromFirstEverEntry(StreamID id) const;
  // A group's lag, or nullopt when unknown.
  std::optional<int64_t> GroupLag(const StreamGroup& g) const;

  // Consumer groups (in name order). Changes through group() must be followed by NoteMeta().
  const Groups& groups() const { return groups_; }
  StreamGroup* FindGroup(std::string_view name);
  StreamGroup* CreateGroup(std::string_view name, StreamID last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);
  // Advances a group past a delivered entry `id` (above its last ID), keeping its read counter.
  void AdvanceGroup(StreamGroup& g, StreamID id);
  void NoteMeta() { Note(std::string()); }

  // fn(field, value) for each pair of an encoded entry; the count of pairs.
  template <typename Fn>
  static void ForFields(std::string_view encoded, Fn&& fn);
  static size_t FieldCount(std::string_view encoded);
  static std::string EncodeFields(std::span<const std::string_view> fields);
  // Validates an encoded entry.
  static bool FieldsWellFormed(std::string_view encoded);

  // The meta element: last ID, counters and groups (see the codec in stream.cc).
  void EncodeMeta(std::string* out) const;
  Status DecodeMeta(std::string_view in);
  // Puts / removes an entry as loaded (codec, element rows): no counters change, nothing
  // is noted.
  void LoadEntry(StreamID id, std::string encoded);
  bool Unload(StreamID id);

  size_t MemoryBytes() const;
  StreamValue* Clone() const;
  ElementLog* element_log() const { return log_.get(); }
  std::unique_ptr<ElementLog> SwapElementLog(std::unique_ptr<ElementLog> log) {
    log_.swap(log);
    return log;
  }

 private:
  // Redis's listpack nodes: first and last slot IDs, slots used (live and deleted), live
  // entries, bytes.
  struct Node {
    StreamID first;
    StreamID last;
    uint64_t slots = 0;
    uint64_t live = 0;
    uint64_t bytes = 0;
  };
  void Note(const std::string& element) {
    if (log_ != nullptr) log_->changed.insert(element);
  }
  void NoteEntry(StreamID id) {
    if (log_ != nullptr) log_->changed.insert(id.Key());
  }
  void PlaceInNode(StreamID id, size_t bytes);
  // The node holding id (nodes_ not empty, id not below the first node).
  std::deque<Node>::iterator NodeOf(StreamID id);
  // Rebuilds the node index after loads (which place entries in any order).
  void EnsureNodes();
  size_t TrimGeneric(bool maxlen_mode, uint64_t maxlen, StreamID minid, bool approx, int64_t limit);

  Entries entries_;
  std::deque<Node> nodes_;
  bool nodes_stale_ = false;
  StreamID last_id_;
  StreamID max_deleted_;
  uint64_t entries_added_ = 0;
  Groups groups_;
  std::unique_ptr<ElementLog> log_;
};

template <typename Fn>
void StreamValue::ForFields(std::string_view encoded, Fn&& fn) {
  uint64_t n = 0;
  GetVarint64(&encoded, &n);
  for (uint64_t i = 0; i < n; i++) {
    std::string_view f, v;
    GetLengthPrefixed(&encoded, &f);
    GetLengthPrefixed(&encoded, &v);
    fn(f, v);
  }
}

}  // namespace tidekv::types
