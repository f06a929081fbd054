#include "types/redis_payload.h"

#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/strings.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/zset.h"

namespace tidekv::types {
namespace {

// RDB object types (Redis's rdb.h numbering).
enum RdbType : uint8_t {
  kRdbString = 0,
  kRdbSet = 2,
  kRdbZSet = 3,
  kRdbHash = 4,
  kRdbZSet2 = 5,
  kRdbSetIntset = 11,
  kRdbHashListpack = 16,
  kRdbZSetListpack = 17,
  kRdbListQuicklist2 = 18,
  kRdbSetListpack = 20,
};
constexpr uint16_t kMaxRdbVersion = 11;  // Redis 7.2
constexpr size_t kTrailer = 2 + 8;

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

uint64_t LoadLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

// LZF (Redis's lzf_d): literal runs and back references into the output.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->clear();
  out->reserve(out_len);
  size_t i = 0;
  while (i < in.size()) {
    const auto ctrl = static_cast<uint8_t>(in[i++]);
    if (ctrl < 32) {
      const size_t run = ctrl + 1;
      if (i + run > in.size() || out->size() + run > out_len) return false;
      out->append(in.substr(i, run));
      i += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += static_cast<uint8_t>(in[i++]);
    }
    len += 2;
    if (i >= in.size()) return false;
    const size_t back = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[i++]) + 1;
    if (back > out->size() || out->size() + len > out_len) return false;
    // Byte by byte: a reference may overlap what it produces.
    for (size_t k = 0; k < len; k++) out->push_back((*out)[out->size() - back]);
  }
  return out->size() == out_len;
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
      case 0: return *b & 0x3f;
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
    // LZF expands at most 132-fold (a 3-byte back reference makes 264 bytes): a larger
    // claim is refused before anything is reserved.
    if (!ulen || *clen > left() || *ulen > *clen * 132) return false;
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
};

// Redis's listpack: u32 total bytes, u16 count, entries each followed by a back-length,
// 0xFF. Calls fn(element) for each; false when anything is off.
template <typename Fn>
bool EachListpackEntry(std::string_view lp, Fn&& fn) {
  if (lp.size() < 7 || LoadLe(lp.data(), 4) != lp.size() || lp.back() != '\xff') return false;
  size_t pos = 6;
  const size_t end = lp.size() - 1;
  std::string number;
  while (pos < end) {
    const auto b = static_cast<uint8_t>(lp[pos]);
    size_t head = 1;
    uint64_t str_len = 0;
    bool is_str = false;
    int64_t value = 0;
    if (b < 0x80) {
      value = b;
    } else if ((b & 0xc0) == 0x80) {
      is_str = true;
      str_len = b & 0x3f;
    } else if ((b & 0xe0) == 0xc0) {
      head = 2;
      if (pos + 2 > end) return false;
      value = SignExtend(((b & 0x1fu) << 8) | static_cast<uint8_t>(lp[pos + 1]), 13);
    } else if ((b & 0xf0) == 0xe0) {
      head = 2;
      if (pos + 2 > end) return false;
      is_str = true;
      str_len = ((b & 0x0fu) << 8) | static_cast<uint8_t>(lp[pos + 1]);
    } else if (b == 0xf0) {
      head = 5;
      if (pos + 5 > end) return false;
      is_str = true;
      str_len = LoadLe(lp.data() + pos + 1, 4);
    } else if (b >= 0xf1 && b <= 0xf4) {
      static constexpr int kBytes[] = {2, 3, 4, 8};
      const int bytes = kBytes[b - 0xf1];
      head = 1 + bytes;
      if (pos + head > end) return false;
      value = SignExtend(LoadLe(lp.data() + pos + 1, bytes), 8 * bytes);
    } else {
      return false;
    }
    const size_t entry = head + (is_str ? str_len : 0);
    if (str_len > end || pos + entry > end) return false;
    const size_t backlen =
        entry < 128 ? 1 : entry < 16384 ? 2 : entry < 2097152 ? 3 : entry < 268435456 ? 4 : 5;
    if (pos + entry + backlen > end) return false;
    if (is_str) {
      fn(lp.substr(pos + head, str_len));
    } else {
      number = std::to_string(value);
      fn(std::string_view(number));
    }
    pos += entry + backlen;
  }
  return pos == end;
}

// Redis's intset: u32 width (2, 4 or 8), u32 count, the values little-endian.
template <typename Fn>
bool EachIntsetMember(std::string_view is, Fn&& fn) {
  if (is.size() < 8) return false;
  const uint64_t width = LoadLe(is.data(), 4);
  const uint64_t count = LoadLe(is.data() + 4, 4);
  if ((width != 2 && width != 4 && width != 8) || is.size() != 8 + width * count) return false;
  for (uint64_t i = 0; i < count; i++) {
    fn(std::to_string(
        SignExtend(LoadLe(is.data() + 8 + i * width, static_cast<int>(width)), 8 * width)));
  }
  return true;
}

// Owns a value being built until it is handed over.
struct Building {
  ValueType type;
  Value* v;
  ~Building() {
    if (v != nullptr) OpsFor(type)->destroy(v);
  }
  Value* Release() { return std::exchange(v, nullptr); }
};

Status Bad() { return Status::InvalidArgument("ERR Bad data format"); }

std::optional<double> ParseScore(std::string_view s) {
  std::optional<double> d = ParseDouble(s);
  if (!d || std::isnan(*d)) return std::nullopt;
  return d;
}

bool ReadList(Reader& r, ListValue* list) {
  auto nodes = r.Count(2);
  if (!nodes) return false;
  std::string blob;
  for (uint64_t i = 0; i < *nodes; i++) {
    auto container = r.Length();
    if (!container || !r.String(&blob)) return false;
    if (*container == 1) {  // a plain node: one large element
      list->Push(false, blob);
    } else if (*container == 2) {
      size_t n = 0;
      if (!EachListpackEntry(blob, [&](std::string_view e) {
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

// A listpack of pairs (a sorted set's member and score, a hash's field and value): fn(a, b)
// returns false to refuse; an odd count or an empty listpack is refused too.
template <typename Fn>
bool EachListpackPair(std::string_view blob, Fn&& fn) {
  std::optional<std::string> first;
  bool ok = true;
  size_t pairs = 0;
  if (!EachListpackEntry(blob, [&](std::string_view e) {
        if (!first) {
          first = std::string(e);
          return;
        }
        ok = ok && fn(std::string_view(*first), e);
        first.reset();
        pairs++;
      })) {
    return false;
  }
  return ok && !first && pairs > 0;
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
  if (!IsRedisPayload(payload)) return Bad();
  Reader r(payload.substr(1, payload.size() - 1 - kTrailer));
  RedisObject out;
  std::string a, b;
  switch (static_cast<uint8_t>(payload[0])) {
    case kRdbString:
      if (!r.String(&out.str)) return Bad();
      break;
    case kRdbListQuicklist2: {
      Building v{ValueType::kList, new ListValue()};
      if (!ReadList(r, static_cast<ListValue*>(v.v))) return Bad();
      out.type = ValueType::kList;
      out.object = v.Release();
      break;
    }
    case kRdbSet:
    case kRdbSetIntset:
    case kRdbSetListpack: {
      Building v{ValueType::kSet, nullptr};
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
      out.type = ValueType::kSet;
      out.object = v.Release();
      break;
    }
    case kRdbZSet:
    case kRdbZSet2:
    case kRdbZSetListpack: {
      if (payload[0] == kRdbZSetListpack) {
        if (!r.String(&a)) return Bad();
        Building v{ValueType::kZSet, new ZSetValue(1, 0)};
        auto* z = static_cast<ZSetValue*>(v.v);
        // A repeated member is damage.
        if (!EachListpackPair(a, [&](std::string_view member, std::string_view text) {
              std::optional<double> score = ParseScore(text);
              return score && z->Set(member, *score);
            })) {
          return Bad();
        }
        out.type = ValueType::kZSet;
        out.object = v.Release();
        break;
      }
      auto n = r.Count(2);
      if (!n || *n == 0) return Bad();
      Building v{ValueType::kZSet, new ZSetValue(*n, 0)};
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
      out.type = ValueType::kZSet;
      out.object = v.Release();
      break;
    }
    case kRdbHash:
    case kRdbHashListpack: {
      Building v{ValueType::kHash, new HashValue()};
      auto* h = static_cast<HashValue*>(v.v);
      if (payload[0] == kRdbHashListpack) {
        if (!r.String(&a) ||
            !EachListpackPair(a, [&](std::string_view f, std::string_view v) {
              return h->Set(f, v);
            })) {
          return Bad();
        }
      } else {
        auto n = r.Count(2);
        if (!n || *n == 0) return Bad();
        for (uint64_t i = 0; i < *n; i++) {
          if (!r.String(&a) || !r.String(&b) || !h->Set(a, b)) return Bad();
        }
      }
      out.type = ValueType::kHash;
      out.object = v.Release();
      break;
    }
    default:
      return Bad();
  }
  if (!r.done()) {
    if (out.object != nullptr) OpsFor(out.type)->destroy(out.object);
    return Bad();
  }
  return out;
}

}  // namespace tidekv::types
