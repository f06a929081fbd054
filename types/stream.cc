#include "types/stream.h"

#include <algorithm>

#include "types/codec_util.h"

namespace tidekv::types {

StreamNodeLimits& StreamLimits() {
  static StreamNodeLimits limits;
  return limits;
}

// ---- IDs ------------------------------------------------------------------------------

bool StreamID::Incr() {
  if (seq < UINT64_MAX) {
    seq++;
    return true;
  }
  if (ms == UINT64_MAX) return false;
  ms++;
  seq = 0;
  return true;
}

bool StreamID::Decr() {
  if (seq > 0) {
    seq--;
    return true;
  }
  if (ms == 0) return false;
  ms--;
  seq = UINT64_MAX;
  return true;
}

std::string StreamID::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

std::string StreamID::Key() const {
  std::string out(16, '\0');
  for (int i = 0; i < 8; i++) {
    out[i] = static_cast<char>(ms >> (56 - 8 * i));
    out[8 + i] = static_cast<char>(seq >> (56 - 8 * i));
  }
  return out;
}

std::optional<StreamID> StreamID::FromKey(std::string_view key) {
  if (key.size() != 16) return std::nullopt;
  StreamID id;
  for (int i = 0; i < 8; i++) {
    id.ms = (id.ms << 8) | static_cast<uint8_t>(key[i]);
    id.seq = (id.seq << 8) | static_cast<uint8_t>(key[8 + i]);
  }
  return id;
}

// ---- entries --------------------------------------------------------------------------

namespace {

constexpr uint64_t kMaxNodeBytes = 1ull << 30;  // Redis's STREAM_LISTPACK_MAX_SIZE

// What an entry adds to a Redis node's listpack, roughly: flags, ID deltas, field count and
// lp-count, then each element with its header and back-length.
uint64_t EntryBytes(std::string_view encoded) {
  uint64_t bytes = 6;
  StreamValue::ForFields(
      encoded, [&](std::string_view f, std::string_view v) { bytes += f.size() + v.size() + 4; });
  return bytes;
}

// The field and value bytes of an entry (Redis's "totelelen").
uint64_t ElementBytes(std::string_view encoded) {
  uint64_t bytes = 0;
  StreamValue::ForFields(
      encoded, [&](std::string_view f, std::string_view v) { bytes += f.size() + v.size(); });
  return bytes;
}

}  // namespace

std::string StreamValue::EncodeFields(std::span<const std::string_view> fields) {
  std::string out;
  size_t total = 0;
  for (std::string_view f : fields) total += f.size() + 2;
  out.reserve(total + 4);
  PutVarint64(&out, fields.size() / 2);
  for (std::string_view f : fields) PutLengthPrefixed(&out, f);
  return out;
}

size_t StreamValue::FieldCount(std::string_view encoded) {
  uint64_t n = 0;
  GetVarint64(&encoded, &n);
  return n;
}

bool StreamValue::FieldsWellFormed(std::string_view encoded) {
  uint64_t n = 0;
  if (!GetVarint64(&encoded, &n) || n == 0 || n > encoded.size()) return false;
  for (uint64_t i = 0; i < 2 * n; i++) {
    std::string_view part;
    if (!GetLengthPrefixed(&encoded, &part)) return false;
  }
  return encoded.empty();
}

void StreamValue::PlaceInNode(StreamID id, size_t bytes) {
  const StreamNodeLimits& lim = StreamLimits();
  uint64_t max_bytes = static_cast<uint64_t>(std::max<int64_t>(lim.max_bytes, 0));
  if (max_bytes == 0 || max_bytes > kMaxNodeBytes) max_bytes = kMaxNodeBytes;
  bool fresh = nodes_.empty();
  if (!fresh) {
    const Node& tail = nodes_.back();
    fresh = tail.bytes + bytes >= max_bytes ||
            (lim.max_entries > 0 && tail.slots >= static_cast<uint64_t>(lim.max_entries));
  }
  if (fresh) {
    nodes_.push_back({.first = id, .last = id, .slots = 1, .live = 1, .bytes = 16 + bytes});
    return;
  }
  Node& tail = nodes_.back();
  tail.last = id;
  tail.slots++;
  tail.live++;
  tail.bytes += bytes;
}

void StreamValue::EnsureNodes() {
  if (!nodes_stale_) return;
  nodes_stale_ = false;
  nodes_.clear();
  for (const auto& [id, encoded] : entries_) PlaceInNode(id, EntryBytes(encoded));
}

std::deque<StreamValue::Node>::iterator StreamValue::NodeOf(StreamID id) {
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), id,
                             [](StreamID v, const Node& n) { return v < n.first; });
  return it == nodes_.begin() ? it : std::prev(it);
}

void StreamValue::Append(StreamID id, std::span<const std::string_view> fields) {
  EnsureNodes();
  std::string encoded = EncodeFields(fields);
  const uint64_t bytes = EntryBytes(encoded);
  // Redis opens a new node when the tail's bytes plus the new elements reach the limit.
  const StreamNodeLimits& lim = StreamLimits();
  if (!nodes_.empty() && lim.max_bytes > 0 &&
      nodes_.back().bytes + ElementBytes(encoded) >= static_cast<uint64_t>(lim.max_bytes)) {
    nodes_.push_back({.first = id, .last = id, .slots = 1, .live = 1, .bytes = 16 + bytes});
  } else {
    PlaceInNode(id, bytes);
  }
  entries_.emplace_hint(entries_.end(), id, std::move(encoded));
  last_id_ = id;
  entries_added_++;
  NoteEntry(id);
  NoteMeta();
}

void StreamValue::LoadEntry(StreamID id, std::string encoded) {
  entries_[id] = std::move(encoded);
  nodes_stale_ = true;
}

bool StreamValue::Delete(StreamID id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  NoteEntry(id);
  if (!nodes_stale_ && !nodes_.empty()) {
    auto node = NodeOf(id);
    if (node->live > 0) node->live--;
    if (node->live == 0) nodes_.erase(node);
  }
  return true;
}

bool StreamValue::Unload(StreamID id) {
  nodes_stale_ = true;
  return entries_.erase(id) > 0;
}

size_t StreamValue::TrimGeneric(bool maxlen_mode, uint64_t maxlen, StreamID minid, bool approx,
                                int64_t limit) {
  EnsureNodes();
  size_t deleted = 0;
  while (!nodes_.empty()) {
    if (maxlen_mode && size() <= maxlen) break;
    Node& n = nodes_.front();
    if (limit > 0 && deleted + n.live > static_cast<uint64_t>(limit)) break;
    const bool whole = maxlen_mode ? size() - n.live >= maxlen : n.last < minid;
    if (whole) {
      auto end = entries_.upper_bound(n.last);
      for (auto it = entries_.begin(); it != end;) {
        NoteEntry(it->first);
        it = entries_.erase(it);
      }
      deleted += n.live;
      nodes_.pop_front();
      continue;
    }
    if (approx) break;
    while (!entries_.empty()) {
      auto it = entries_.begin();
      if (maxlen_mode ? size() <= maxlen : !(it->first < minid)) break;
      NoteEntry(it->first);
      entries_.erase(it);
      deleted++;
      n.live--;
    }
    break;
  }
  return deleted;
}

size_t StreamValue::TrimMaxLen(uint64_t maxlen, bool approx, int64_t limit) {
  return TrimGeneric(true, maxlen, {}, approx, limit);
}

size_t StreamValue::TrimMinId(StreamID minid, bool approx, int64_t limit) {
  return TrimGeneric(false, 0, minid, approx, limit);
}

// ---- consumer group counters (Redis 7.0's definitions) ---------------------------------

bool StreamValue::RangeHasTombstones(StreamID start, const StreamID* end) const {
  if (empty() || max_deleted_.zero()) return false;
  if (first_id() > max_deleted_) return false;
  const StreamID stop = end != nullptr ? *end : StreamID::Max();
  return start <= max_deleted_ && max_deleted_ <= stop;
}

int64_t StreamValue::EstimateDistanceFromFirstEverEntry(StreamID id) const {
  if (entries_added_ == 0) return 0;
  const auto added = static_cast<int64_t>(entries_added_);
  if (empty() && id <= last_id_) return added;
  if (id == last_id_) return added;
  if (id > last_id_) return StreamGroup::kInvalidRead;
  if (max_deleted_.zero() || max_deleted_ < first_id()) {
    if (id < first_id()) return added - static_cast<int64_t>(size());
    if (id == first_id()) return added - static_cast<int64_t>(size()) + 1;
  }
  return StreamGroup::kInvalidRead;
}

std::optional<int64_t> StreamValue::GroupLag(const StreamGroup& g) const {
  if (entries_added_ == 0) return 0;
  const auto added = static_cast<int64_t>(entries_added_);
  if (g.entries_read != StreamGroup::kInvalidRead && !RangeHasTombstones(g.last_id)) {
    return added - g.entries_read;
  }
  const int64_t read = EstimateDistanceFromFirstEverEntry(g.last_id);
  if (read == StreamGroup::kInvalidRead) return std::nullopt;
  return added - read;
}

StreamGroup* StreamValue::FindGroup(std::string_view name) {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

StreamGroup* StreamValue::CreateGroup(std::string_view name, StreamID last_id,
                                      int64_t entries_read) {
  auto [it, added] = groups_.try_emplace(std::string(name));
  if (!added) return nullptr;
  it->second.last_id = last_id;
  it->second.entries_read = entries_read;
  NoteMeta();
  return &it->second;
}

bool StreamValue::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  NoteMeta();
  return true;
}

void StreamValue::AdvanceGroup(StreamGroup& g, StreamID id) {
  if (g.entries_read != StreamGroup::kInvalidRead && !RangeHasTombstones(id)) {
    // One per entry passed (XREADGROUP passes one at a time; a replica applying its
    // XCLAIM ... LASTID does the same).
    for (auto it = entries_.upper_bound(g.last_id); it != entries_.end() && it->first <= id; ++it) {
      g.entries_read++;
    }
  } else if (entries_added_ != 0) {
    g.entries_read = EstimateDistanceFromFirstEverEntry(id);
  }
  g.last_id = id;
  NoteMeta();
}

// ---- meta codec -----------------------------------------------------------------------

namespace {

void PutId(std::string* out, StreamID id) {
  PutVarint64(out, id.ms);
  PutVarint64(out, id.seq);
}

bool GetId(std::string_view* in, StreamID* id) {
  return GetVarint64(in, &id->ms) && GetVarint64(in, &id->seq);
}

}  // namespace

// The meta element: last ID, max deleted ID, entries added, then the groups in name order:
// name, last ID, entries read + 1 (0: unknown), the PEL (ID, delivery time as 8 bytes,
// delivery count, consumer), the consumers (name, seen time as 8 bytes).
void StreamValue::EncodeMeta(std::string* out) const {
  PutId(out, last_id_);
  PutId(out, max_deleted_);
  PutVarint64(out, entries_added_);
  PutVarint64(out, groups_.size());
  for (const auto& [name, g] : groups_) {
    PutLengthPrefixed(out, name);
    PutId(out, g.last_id);
    PutVarint64(out, static_cast<uint64_t>(g.entries_read + 1));
    PutVarint64(out, g.pel.size());
    for (const auto& [id, p] : g.pel) {
      PutId(out, id);
      PutFixed64(out, static_cast<uint64_t>(p.delivery_time));
      PutVarint64(out, p.delivery_count);
      PutLengthPrefixed(out, p.consumer);
    }
    PutVarint64(out, g.consumers.size());
    for (const auto& [cname, c] : g.consumers) {
      PutLengthPrefixed(out, cname);
      PutFixed64(out, static_cast<uint64_t>(c.seen_time));
    }
  }
}

Status StreamValue::DecodeMeta(std::string_view in) {
  auto bad = [](std::string_view what) {
    return Status::Corruption("stream value: bad " + std::string(what));
  };
  StreamID last, max_deleted;
  uint64_t added = 0, ngroups = 0;
  if (!GetId(&in, &last) || !GetId(&in, &max_deleted) || !GetVarint64(&in, &added) ||
      !GetVarint64(&in, &ngroups) || ngroups > in.size()) {
    return bad("header");
  }
  Groups groups;
  for (uint64_t i = 0; i < ngroups; i++) {
    std::string_view name;
    StreamGroup g;
    uint64_t read = 0, npel = 0;
    if (!GetLengthPrefixed(&in, &name) || !GetId(&in, &g.last_id) || !GetVarint64(&in, &read) ||
        read > static_cast<uint64_t>(INT64_MAX) || !GetVarint64(&in, &npel) || npel > in.size()) {
      return bad("group");
    }
    g.entries_read = static_cast<int64_t>(read) - 1;
    for (uint64_t k = 0; k < npel; k++) {
      StreamID id;
      StreamPending p;
      uint64_t time = 0;
      std::string_view consumer;
      if (!GetId(&in, &id) || !GetFixed64(&in, &time) || !GetVarint64(&in, &p.delivery_count) ||
          !GetLengthPrefixed(&in, &consumer)) {
        return bad("pending entry");
      }
      p.delivery_time = static_cast<int64_t>(time);
      p.consumer = consumer;
      if (!g.pel.emplace(id, std::move(p)).second) return bad("pending entry (repeated)");
    }
    uint64_t nconsumers = 0;
    if (!GetVarint64(&in, &nconsumers) || nconsumers > in.size()) return bad("consumers");
    for (uint64_t k = 0; k < nconsumers; k++) {
      std::string_view cname;
      uint64_t seen = 0;
      if (!GetLengthPrefixed(&in, &cname) || !GetFixed64(&in, &seen)) return bad("consumer");
      StreamConsumer c;
      c.seen_time = static_cast<int64_t>(seen);
      if (!g.consumers.emplace(std::string(cname), std::move(c)).second) {
        return bad("consumer (repeated)");
      }
    }
    for (const auto& [id, p] : g.pel) {
      auto c = g.consumers.find(p.consumer);
      if (c == g.consumers.end()) return bad("pending entry (no such consumer)");
      c->second.pending.insert(id);
    }
    if (!groups.emplace(std::string(name), std::move(g)).second) return bad("group (repeated)");
  }
  if (!in.empty()) return bad("meta (trailing bytes)");
  last_id_ = last;
  max_deleted_ = max_deleted;
  entries_added_ = added;
  groups_ = std::move(groups);
  return Status::Ok();
}

size_t StreamValue::MemoryBytes() const {
  // A map node holds its links and colour (32 bytes) beside the key and the string.
  constexpr size_t kMapNode = 32 + sizeof(StreamID) + sizeof(std::string);
  size_t n = sizeof(StreamValue) + nodes_.size() * sizeof(Node);
  for (const auto& [id, encoded] : entries_) {
    n += kMapNode + (encoded.capacity() > 15 ? encoded.capacity() + 1 : 0);
  }
  for (const auto& [name, g] : groups_) {
    n += 64 + name.size() + sizeof(StreamGroup);
    n += g.pel.size() * (32 + sizeof(StreamID) + sizeof(StreamPending) + 40);
    for (const auto& [cname, c] : g.consumers) n += 64 + cname.size() + sizeof(StreamConsumer);
  }
  return n;
}

StreamValue* StreamValue::Clone() const {
  auto* copy = new StreamValue();
  copy->entries_ = entries_;
  copy->nodes_ = nodes_;
  copy->nodes_stale_ = nodes_stale_;
  copy->last_id_ = last_id_;
  copy->max_deleted_ = max_deleted_;
  copy->entries_added_ = entries_added_;
  copy->groups_ = groups_;
  return copy;
}

// ---- the TypeOps row ------------------------------------------------------------------

namespace {

const StreamValue& AsStream(const Value& v) { return static_cast<const StreamValue&>(v); }

// Version 1: the entry count, the meta element (length-prefixed), then each entry in ID
// order: its 16-byte ID and its encoded fields, length-prefixed.
void Encode(const Value& v, std::string* out) {
  const StreamValue& s = AsStream(v);
  out->push_back(static_cast<char>(kCodecVersion));
  PutVarint64(out, s.size());
  std::string meta;
  s.EncodeMeta(&meta);
  PutLengthPrefixed(out, meta);
  for (const auto& [id, encoded] : s.entries()) {
    out->append(id.Key());
    PutLengthPrefixed(out, encoded);
  }
}

Result<Value*> Decode(std::string_view in) {
  uint64_t count = 0;
  if (Status st = ReadCodecHeader(&in, "stream", &count); !st.ok()) return st;
  std::string_view meta;
  if (!GetLengthPrefixed(&in, &meta)) return Status::Corruption("stream value: truncated meta");
  auto s = std::make_unique<StreamValue>();
  if (Status st = s->DecodeMeta(meta); !st.ok()) return st;
  StreamID prev;
  for (uint64_t i = 0; i < count; i++) {
    std::string_view encoded;
    if (in.size() < 16) return Status::Corruption("stream value: truncated entry");
    const StreamID id = *StreamID::FromKey(in.substr(0, 16));
    in.remove_prefix(16);
    if (!GetLengthPrefixed(&in, &encoded) || !StreamValue::FieldsWellFormed(encoded)) {
      return Status::Corruption("stream value: bad entry " + std::to_string(i));
    }
    if ((i > 0 && !(prev < id)) || id > s->last_id()) {
      return Status::Corruption("stream value: entries out of order");
    }
    prev = id;
    s->LoadEntry(id, std::string(encoded));
  }
  if (!in.empty()) return Status::Corruption("stream value: trailing bytes");
  return static_cast<Value*>(s.release());
}

void Digest(const Value& v, Sha1& h) {
  const StreamValue& s = AsStream(v);
  auto part = [&h](std::string_view bytes) {
    h.Update(std::to_string(bytes.size()) + ":");
    h.Update(bytes);
  };
  for (const auto& [id, encoded] : s.entries()) {
    part(id.ToString());
    StreamValue::ForFields(encoded, [&](std::string_view f, std::string_view val) {
      part(f);
      part(val);
    });
  }
  part(s.last_id().ToString());
  part(s.max_deleted_id().ToString());
  part(std::to_string(s.entries_added()));
  // Groups without their clocks (delivery and seen times are each node's own).
  for (const auto& [name, g] : s.groups()) {
    part(name);
    part(g.last_id.ToString());
    part(std::to_string(g.entries_read));
    for (const auto& [id, p] : g.pel) {
      part(id.ToString());
      part(p.consumer);
      part(std::to_string(p.delivery_count));
    }
    for (const auto& [cname, c] : g.consumers) part(cname);
  }
}

Status ApplyElement(Value& v, std::string_view element, std::string_view payload, bool remove) {
  auto& s = static_cast<StreamValue&>(v);
  if (element.empty()) {
    if (remove) return Status::Ok();
    return s.DecodeMeta(payload);
  }
  const std::optional<StreamID> id = StreamID::FromKey(element);
  if (!id) return Status::Corruption("stream element row: bad ID");
  if (remove) {
    s.Unload(*id);
    return Status::Ok();
  }
  if (!StreamValue::FieldsWellFormed(payload)) {
    return Status::Corruption("stream element row: bad fields");
  }
  s.LoadEntry(*id, std::string(payload));
  return Status::Ok();
}

const TypeOps kOps = {
    .type = ValueType::kStream,
    .name = "stream",
    .encoding = [](const Value&) { return std::string_view("stream"); },
    .length = [](const Value& v) { return AsStream(v).size(); },
    .encode = Encode,
    .decode = Decode,
    .digest = Digest,
    .memory = [](const Value& v) { return AsStream(v).MemoryBytes(); },
    .clone = [](const Value& v) -> Value* { return AsStream(v).Clone(); },
    .destroy = [](Value* v) { delete static_cast<StreamValue*>(v); },
    .element_log = [](Value& v) { return static_cast<StreamValue&>(v).element_log(); },
    .swap_element_log =
        [](Value& v, std::unique_ptr<ElementLog> log) {
          return static_cast<StreamValue&>(v).SwapElementLog(std::move(log));
        },
    .each_element =
        [](const Value& v, const TypeOps::ElementFn& fn) {
          const StreamValue& s = AsStream(v);
          std::string meta;
          s.EncodeMeta(&meta);
          fn(std::string_view(), meta);
          for (const auto& [id, encoded] : s.entries()) fn(id.Key(), encoded);
        },
    .element =
        [](const Value& v, std::string_view element, std::string* payload) {
          const StreamValue& s = AsStream(v);
          if (element.empty()) {
            payload->clear();
            s.EncodeMeta(payload);
            return true;
          }
          const std::optional<StreamID> id = StreamID::FromKey(element);
          if (!id) return false;
          auto it = s.entries().find(*id);
          if (it == s.entries().end()) return false;
          *payload = it->second;
          return true;
        },
    .create = [](size_t) -> Value* { return new StreamValue(); },
    .apply_element = ApplyElement,
};

}  // namespace

const TypeOps& StreamValue::Ops() { return kOps; }

}  // namespace tidekv::types
