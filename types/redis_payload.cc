#include "types/redis_payload.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/strings.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/redis_packed.h"
#include "types/set.h"
#include "types/stream.h"
#include "types/zset.h"

namespace tidekv::types {
namespace {

using namespace redis_packed;  // NOLINT: the walkers this reader is made of

// RDB object types (Redis's rdb.h numbering).
enum RdbType : uint8_t {
  kRdbString = 0,
  kRdbList = 1,
  kRdbSet = 2,
  kRdbZSet = 3,
  kRdbHash = 4,
  kRdbZSet2 = 5,
  kRdbHashZipmap = 9,
  kRdbListZiplist = 10,
  kRdbSetIntset = 11,
  kRdbZSetZiplist = 12,
  kRdbHashZiplist = 13,
  kRdbListQuicklist = 14,
  kRdbHashListpack = 16,
  kRdbZSetListpack = 17,
  kRdbListQuicklist2 = 18,
  kRdbStreamListpacks = 15,
  kRdbStreamListpacks2 = 19,
  kRdbSetListpack = 20,
  kRdbStreamListpacks3 = 21,
};
constexpr uint16_t kMaxRdbVersion = 11;  // Redis 7.2
constexpr size_t kTrailer = 2 + 8;
constexpr uint64_t kMaxString = uint64_t{512} << 20;  // Redis's proto-max-bulk-len default
constexpr uint64_t kMaxInflated = uint64_t{2} << 30;  // all LZF strings of one payload

const std::array<uint64_t, 256>& CrcTable() {
  static const std::array<uint64_t, 256> table = [] {
    constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9 reversed
    std::array<uint64_t, 256> t{};
    for (uint64_t i = 0; i < 256; i++) {
      uint64_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ kReflectedPoly : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// A cursor over the object's bytes; every read checks the bounds.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  size_t left() const { return in_.size() - pos_; }

  std::optional<uint8_t> Byte() {
    if (pos_ >= in_.size()) return std::nullopt;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  std::optional<std::string_view> Bytes(uint64_t n) {
    if (n > left()) return std::nullopt;
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  // RDB length: 6, 14, 32 or 64 bits; *special is set for the string encodings (11xxxxxx).
  std::optional<uint64_t> Length(int* special = nullptr) {
    auto b = Byte();
    if (!b) return std::nullopt;
    switch (*b >> 6) {
      case 0:
        return *b & 0x3f;
      case 1: {
        auto b2 = Byte();
        if (!b2) return std::nullopt;
        return ((*b & 0x3f) << 8) | *b2;
      }
      case 2: {
        const int bytes = *b == 0x80 ? 4 : *b == 0x81 ? 8 : 0;
        if (bytes == 0) return std::nullopt;
        auto raw = Bytes(bytes);
        if (!raw) return std::nullopt;
        uint64_t v = 0;
        for (char c : *raw) v = (v << 8) | static_cast<uint8_t>(c);  // big-endian
        return v;
      }
      default:
        if (special == nullptr) return std::nullopt;
        *special = *b & 0x3f;
        return 0;
    }
  }

  // An RDB string: raw bytes, an integer (8, 16 or 32 bits, rendered as decimal), or LZF.
  bool String(std::string* out) {
    int special = -1;
    auto len = Length(&special);
    if (!len) return false;
    if (special < 0) {
      auto raw = Bytes(*len);
      if (!raw) return false;
      out->assign(*raw);
      return true;
    }
    if (special <= 2) {
      const int bytes = 1 << special;
      auto raw = Bytes(bytes);
      if (!raw) return false;
      *out = std::to_string(SignExtend(LoadLe(raw->data(), bytes), 8 * bytes));
      return true;
    }
    if (special != 3) return false;
    auto clen = Length();
    auto ulen = clen ? Length() : std::nullopt;
    // LZF expands at most 132-fold (a 3-byte back reference makes 264 bytes); no string is
    // larger than Redis's 512 MiB, and the whole payload inflates to at most kMaxInflated: a
    // larger claim is refused before anything is reserved.
    if (!ulen || *clen > left() || *ulen > *clen * 132 || *ulen > kMaxString ||
        *ulen > kMaxInflated - inflated_) {
      return false;
    }
    inflated_ += *ulen;
    auto compressed = Bytes(*clen);
    return compressed && LzfDecompress(*compressed, *ulen, out);
  }

  // An element count, refused when the remaining bytes could not hold that many.
  std::optional<uint64_t> Count(uint64_t min_bytes_each) {
    auto n = Length();
    if (!n || *n > left() / min_bytes_each) return std::nullopt;
    return n;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  uint64_t inflated_ = 0;  // bytes LZF strings decompressed to so far
};

// Owns a value being built until it is handed over.
struct Building {
  ValueType type = ValueType::kString;
  Value* v = nullptr;
  Building() = default;
  Building(const Building&) = delete;
  Building& operator=(const Building&) = delete;
  ~Building() {
    if (v != nullptr) OpsFor(type)->destroy(v);
  }
  void Start(ValueType t, Value* value) {
    type = t;
    v = value;
  }
  Value* Release() { return std::exchange(v, nullptr); }
};

Status Bad() { return Status::InvalidArgument("ERR Bad data format"); }

std::optional<double> ParseScore(std::string_view s) {
  std::optional<double> d = ParseDouble(s);
  if (!d || std::isnan(*d)) return std::nullopt;
  return d;
}

// A list: quicklist 2 (Redis 7: nodes flagged plain or packed, packed ones listpacks),
// quicklist (Redis 3.2 to 6: nodes that are ziplists), one ziplist or plain elements (before
// Redis 3.2).
bool ReadList(Reader& r, uint8_t type, ListValue* list) {
  std::string blob;
  if (type == kRdbList) {
    auto n = r.Count(1);
    if (!n) return false;
    for (uint64_t i = 0; i < *n; i++) {
      if (!r.String(&blob)) return false;
      list->Push(false, blob);
    }
    return !list->empty();
  }
  std::optional<uint64_t> nodes = 1;
  if (type != kRdbListZiplist) nodes = r.Count(2);
  if (!nodes) return false;
  for (uint64_t i = 0; i < *nodes; i++) {
    std::optional<uint64_t> container = 2;  // packed
    if (type == kRdbListQuicklist2) container = r.Length();
    if (!container || !r.String(&blob)) return false;
    if (*container == 1) {  // a plain node: one large element
      list->Push(false, blob);
    } else if (*container == 2) {
      size_t n = 0;
      if (!EachPacked(type != kRdbListQuicklist2, blob,
                      [&](std::string_view e) {
                        list->Push(false, e);
                        n++;
                      }) ||
          n == 0) {
        return false;
      }
    } else {
      return false;
    }
  }
  return !list->empty();
}

// ---- streams ----------------------------------------------------------------------------

std::optional<int64_t> LoadMillis(Reader& r) {
  auto raw = r.Bytes(8);
  if (!raw) return std::nullopt;
  return static_cast<int64_t>(LoadLe(raw->data(), 8));
}

std::optional<StreamID> LoadLenId(Reader& r) {
  auto ms = r.Length();
  auto seq = ms ? r.Length() : std::nullopt;
  if (!seq) return std::nullopt;
  return StreamID{*ms, *seq};
}

// One node of a Redis stream: its master ID (the key), then a listpack: the master entry
// (count, deleted, the master fields, 0), then each entry: flags, ID deltas, its fields (the
// master fields' values when flagged SAMEFIELDS, else a count and field/value pairs), and
// its element count. Deleted entries are skipped. Appends the live ones, in increasing ID
// order after *last; false when anything is off.
bool ReadStreamNode(StreamID master, std::string_view lp, StreamValue* stream, StreamID* last,
                    bool* any) {
  // Views into the listpack; integer entries are rendered into `numbers` (stable addresses).
  std::vector<std::string_view> items;
  std::deque<std::string> numbers;
  if (!EachListpackEntry(lp, [&](std::string_view e) {
        if (e.data() >= lp.data() && e.data() < lp.data() + lp.size()) {
          items.push_back(e);
        } else {
          items.push_back(numbers.emplace_back(e));
        }
      })) {
    return false;
  }
  size_t i = 0;
  const auto next_int = [&]() -> std::optional<int64_t> {
    if (i >= items.size()) return std::nullopt;
    int64_t v = 0;
    const std::string_view s = items[i++];
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  const auto next_count = [&]() -> std::optional<uint64_t> {
    std::optional<int64_t> v = next_int();
    if (!v || *v < 0) return std::nullopt;
    return static_cast<uint64_t>(*v);
  };
  auto count = next_count();
  auto deleted = next_count();
  auto master_fields = next_count();
  if (!master_fields || *master_fields == 0 || *master_fields > items.size()) return false;
  const size_t master_at = i;
  i += *master_fields;
  if (next_count() != uint64_t{0}) return false;
  constexpr uint64_t kDeleted = 1, kSameFields = 2;
  uint64_t live = 0, dead = 0;
  std::vector<std::string_view> fields;
  while (i < items.size()) {
    auto flags = next_count();
    // Each ID is stored as signed differences from the node's first ID: within a node the
    // sequence may fall when the millisecond rises (1000-5, then 1001-0).
    auto ms_diff = next_int();
    auto seq_diff = next_int();
    if (!flags || !ms_diff || !seq_diff || *flags > 3) return false;
    const StreamID id{master.ms + static_cast<uint64_t>(*ms_diff),
                      master.seq + static_cast<uint64_t>(*seq_diff)};
    // Below the node's first ID (or wrapped around), or 0-0, which no stream entry has.
    if (id < master || id.zero()) return false;
    uint64_t n = *master_fields;
    fields.clear();
    if ((*flags & kSameFields) != 0) {
      if (items.size() - i < n) return false;
      for (uint64_t k = 0; k < n; k++) {
        fields.push_back(items[master_at + k]);
        fields.push_back(items[i++]);
      }
    } else {
      auto own = next_count();
      if (!own || *own == 0 || (items.size() - i) / 2 < *own) return false;
      n = *own;
      for (uint64_t k = 0; k < 2 * n; k++) fields.push_back(items[i++]);
    }
    auto elements = next_count();  // the entry's listpack elements, for walking backwards
    if (!elements) return false;
    if ((*flags & kDeleted) != 0) {
      dead++;
      continue;
    }
    if (*any && id <= *last) return false;
    stream->Append(id, fields);
    *last = id;
    *any = true;
    live++;
  }
  return count == live && deleted == dead;
}

// A stream: its nodes, length and last ID; from RDB type 19 (Redis 7.0) the first ID, the
// largest deleted ID and the count of entries ever added; then its consumer groups, each with
// its last ID (and from type 19 its read counter), its PEL (16-byte big-endian IDs with
// delivery time and count) and its consumers (name, seen time, from type 21 active time, and
// the IDs of the PEL they own).
bool ReadStream(Reader& r, uint8_t type, StreamValue* stream) {
  auto nodes = r.Count(2);
  if (!nodes) return false;
  std::string key, lp;
  StreamID last;
  bool any = false;
  for (uint64_t n = 0; n < *nodes; n++) {
    if (!r.String(&key) || !r.String(&lp)) return false;
    std::optional<StreamID> master = StreamID::FromKey(key);
    if (!master || !ReadStreamNode(*master, lp, stream, &last, &any)) return false;
  }
  auto length = r.Length();
  auto last_id = length ? LoadLenId(r) : std::nullopt;
  // The stream's last ID is at least its last entry's.
  if (!last_id || *length != stream->size() || (any && *last_id < last)) return false;
  stream->SetLastId(*last_id);
  if (type >= kRdbStreamListpacks2) {
    auto first_id = LoadLenId(r);  // derived from the entries here
    auto max_deleted = first_id ? LoadLenId(r) : std::nullopt;
    auto added = max_deleted ? r.Length() : std::nullopt;
    if (!added || *added < stream->size()) return false;
    stream->SetMaxDeletedId(*max_deleted);
    stream->SetEntriesAdded(*added);
  } else {
    // Redis 6 kept neither: as Redis does, the entries so far count as all ever added.
    stream->SetMaxDeletedId(StreamID{});
    stream->SetEntriesAdded(stream->size());
  }
  auto groups = r.Count(3);
  if (!groups) return false;
  std::string name;
  for (uint64_t g = 0; g < *groups; g++) {
    if (!r.String(&name)) return false;
    auto group_last = LoadLenId(r);
    if (!group_last) return false;
    int64_t entries_read = 0;
    if (type >= kRdbStreamListpacks2) {
      auto read = r.Length();
      if (!read) return false;
      entries_read = static_cast<int64_t>(*read);
    } else {
      entries_read = stream->EstimateDistanceFromFirstEverEntry(*group_last);
    }
    StreamGroup* group = stream->CreateGroup(name, *group_last, entries_read);
    if (group == nullptr) return false;  // a repeated group name
    auto pending = r.Count(25);
    if (!pending) return false;
    for (uint64_t p = 0; p < *pending; p++) {
      auto raw = r.Bytes(16);
      auto time = raw ? LoadMillis(r) : std::nullopt;
      auto deliveries = time ? r.Length() : std::nullopt;
      if (!deliveries) return false;
      auto [it, added] = group->pel.try_emplace(*StreamID::FromKey(*raw));
      if (!added) return false;
      it->second.delivery_time = *time;
      it->second.delivery_count = *deliveries;
    }
    auto consumers = r.Count(10);
    if (!consumers) return false;
    std::set<StreamID> owned;
    for (uint64_t c = 0; c < *consumers; c++) {
      if (!r.String(&name)) return false;
      auto seen = LoadMillis(r);
      if (!seen || (type >= kRdbStreamListpacks3 && !LoadMillis(r))) return false;  // active time
      auto [consumer, added] = group->consumers.try_emplace(name);
      if (!added) return false;
      consumer->second.seen_time = *seen;
      auto own = r.Count(16);
      if (!own) return false;
      for (uint64_t p = 0; p < *own; p++) {
        auto raw = r.Bytes(16);
        if (!raw) return false;
        const StreamID id = *StreamID::FromKey(*raw);
        auto entry = group->pel.find(id);
        // Every consumer entry is one of the group's, owned by one consumer (a name may be
        // empty, so ownership is counted here, not read from the entry).
        if (entry == group->pel.end() || !owned.insert(id).second) return false;
        entry->second.consumer = consumer->first;
        consumer->second.pending.insert(id);
      }
    }
    if (owned.size() != group->pel.size()) return false;
  }
  stream->NoteMeta();
  return true;
}

}  // namespace

uint64_t RedisCrc64(std::string_view bytes, uint64_t crc) {
  const std::array<uint64_t, 256>& table = CrcTable();
  for (char c : bytes) crc = table[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
  return crc;
}

bool IsRedisPayload(std::string_view payload) {
  if (payload.size() < 1 + kTrailer) return false;
  const size_t crc_at = payload.size() - 8;
  const uint64_t version = LoadLe(payload.data() + crc_at - 2, 2);
  return version <= kMaxRdbVersion &&
         LoadLe(payload.data() + crc_at, 8) == RedisCrc64(payload.substr(0, crc_at));
}

Result<RedisObject> DecodeRedisPayload(std::string_view payload) {
  // The trailer was checked by IsRedisPayload (not again here: the CRC reads every byte).
  if (payload.size() < 1 + kTrailer) return Bad();
  Reader r(payload.substr(1, payload.size() - 1 - kTrailer));
  RedisObject out;
  // The value being built, freed on every refusal (Building's destructor).
  Building v;
  std::string a, b;
  switch (static_cast<uint8_t>(payload[0])) {
    case kRdbString:
      if (!r.String(&out.str)) return Bad();
      break;
    case kRdbList:
    case kRdbListZiplist:
    case kRdbListQuicklist:
    case kRdbListQuicklist2: {
      v.Start(ValueType::kList, new ListValue());
      if (!ReadList(r, static_cast<uint8_t>(payload[0]), static_cast<ListValue*>(v.v))) {
        return Bad();
      }
      break;
    }
    case kRdbSet:
    case kRdbSetIntset:
    case kRdbSetListpack: {
      v.type = ValueType::kSet;
      bool ok = true;
      auto add = [&](std::string_view m) {
        // The constructor picks the encoding for its first member; Add inserts it.
        if (v.v == nullptr) v.v = new SetValue(m);
        if (!static_cast<SetValue*>(v.v)->Add(m)) {
          ok = false;  // a repeated member is damage
        }
      };
      if (payload[0] == kRdbSet) {
        auto n = r.Count(1);
        if (!n) return Bad();
        for (uint64_t i = 0; i < *n && ok; i++) {
          if (!r.String(&a)) return Bad();
          add(a);
        }
      } else {
        if (!r.String(&a)) return Bad();
        if (!(payload[0] == kRdbSetIntset ? EachIntsetMember(a, add) : EachListpackEntry(a, add)))
          return Bad();
      }
      if (!ok || v.v == nullptr) return Bad();
      break;
    }
    case kRdbZSet:
    case kRdbZSet2:
    case kRdbZSetZiplist:
    case kRdbZSetListpack: {
      if (payload[0] == kRdbZSetListpack || payload[0] == kRdbZSetZiplist) {
        if (!r.String(&a)) return Bad();
        v.Start(ValueType::kZSet, new ZSetValue(1, 0));
        auto* z = static_cast<ZSetValue*>(v.v);
        // A repeated member is damage.
        if (!EachPackedPair(payload[0] == kRdbZSetZiplist, a,
                            [&](std::string_view member, std::string_view text) {
                              std::optional<double> score = ParseScore(text);
                              return score && z->Set(member, *score);
                            })) {
          return Bad();
        }
        break;
      }
      auto n = r.Count(2);
      if (!n || *n == 0) return Bad();
      v.Start(ValueType::kZSet, new ZSetValue(*n, 0));
      auto* z = static_cast<ZSetValue*>(v.v);
      for (uint64_t i = 0; i < *n; i++) {
        if (!r.String(&a)) return Bad();
        std::optional<double> score;
        if (payload[0] == kRdbZSet2) {
          auto raw = r.Bytes(8);
          if (!raw) return Bad();
          const uint64_t bits = LoadLe(raw->data(), 8);
          double d = 0;
          std::memcpy(&d, &bits, sizeof(d));
          if (!std::isnan(d)) score = d;
        } else {
          // One length byte, then the score as text (253 NaN, 254 +inf, 255 -inf).
          auto len = r.Byte();
          if (!len || *len == 253) return Bad();
          if (*len >= 254) {
            score = *len == 254 ? HUGE_VAL : -HUGE_VAL;
          } else if (auto text = r.Bytes(*len)) {
            score = ParseScore(*text);
          }
        }
        if (!score || !z->Set(a, *score)) return Bad();
      }
      break;
    }
    case kRdbHash:
    case kRdbHashZipmap:
    case kRdbHashZiplist:
    case kRdbHashListpack: {
      v.Start(ValueType::kHash, new HashValue());
      auto* h = static_cast<HashValue*>(v.v);
      // A repeated field is damage.
      const auto set = [&](std::string_view f, std::string_view value) { return h->Set(f, value); };
      if (payload[0] == kRdbHashZipmap) {
        if (!r.String(&a) || !EachZipmapPair(a, set)) return Bad();
      } else if (payload[0] != kRdbHash) {
        if (!r.String(&a) || !EachPackedPair(payload[0] == kRdbHashZiplist, a, set)) return Bad();
      } else {
        auto n = r.Count(2);
        if (!n || *n == 0) return Bad();
        for (uint64_t i = 0; i < *n; i++) {
          if (!r.String(&a) || !r.String(&b) || !h->Set(a, b)) return Bad();
        }
      }
      break;
    }
    case kRdbStreamListpacks:
    case kRdbStreamListpacks2:
    case kRdbStreamListpacks3: {
      v.Start(ValueType::kStream, new StreamValue());
      if (!ReadStream(r, static_cast<uint8_t>(payload[0]), static_cast<StreamValue*>(v.v))) {
        return Bad();
      }
      break;
    }
    default:
      return Bad();
  }
  if (!r.done()) return Bad();
  out.type = v.type;
  out.object = v.Release();
  return out;
}

}  // namespace tidekv::types
