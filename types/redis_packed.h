// Redis's packed encodings, read-only and bounds-checked, for types/redis_payload.cc: the
// listpack (Redis 7), the ziplist and zipmap (Redis 6 and before), the intset, and LZF
// compression. Each walker calls fn for every element (or pair) and returns false when
// anything is off; integer elements are rendered as decimal text into a buffer that the next
// element reuses, so fn copies what it keeps. Internal to types/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tidekv::types::redis_packed {

inline uint64_t LoadLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

// LZF (Redis's lzf_d): literal runs and back references into the output.
inline bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
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
    // Redis's lpEncodeBacklen: 7 bits per byte, with its boundaries.
    const size_t backlen = entry <= 127        ? 1
                           : entry < 16383     ? 2
                           : entry < 2097151   ? 3
                           : entry < 268435455 ? 4
                                               : 5;
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

// Redis's ziplist (RDB version 9 and before): u32 total bytes, u32 offset of the last entry,
// u16 count, entries, 0xFF. Each entry: the previous entry's length (1 byte, or 0xFE and 4
// bytes), an encoding (a string of 6, 14 or 32 bits of length, an integer of 8, 16, 24, 32
// or 64 bits, or 0..12 in the encoding byte itself), its data. Calls fn(element) for each;
// false when anything is off, a wrong previous length included.
template <typename Fn>
bool EachZiplistEntry(std::string_view zl, Fn&& fn) {
  if (zl.size() < 11 || LoadLe(zl.data(), 4) != zl.size() || zl.back() != '\xff') return false;
  size_t pos = 10;
  const size_t end = zl.size() - 1;
  uint64_t prev_len = 0;
  std::string number;
  while (pos < end) {
    const size_t start = pos;
    uint64_t prev = static_cast<uint8_t>(zl[pos++]);
    if (prev == 0xfe) {
      if (pos + 4 > end) return false;
      prev = LoadLe(zl.data() + pos, 4);
      pos += 4;
    } else if (prev == 0xff) {
      return false;
    }
    if (prev != prev_len || pos >= end) return false;
    const auto enc = static_cast<uint8_t>(zl[pos++]);
    uint64_t str_len = 0;
    int int_bytes = 0;
    int64_t value = 0;
    bool is_str = true;
    switch (enc >> 6) {
      case 0:
        str_len = enc & 0x3f;
        break;
      case 1:
        if (pos >= end) return false;
        str_len = ((enc & 0x3fu) << 8) | static_cast<uint8_t>(zl[pos++]);
        break;
      case 2:
        if (enc != 0x80 || pos + 4 > end) return false;
        for (int i = 0; i < 4; i++) str_len = (str_len << 8) | static_cast<uint8_t>(zl[pos++]);
        break;
      default:
        is_str = false;
        switch (enc) {
          case 0xc0:
            int_bytes = 2;
            break;
          case 0xd0:
            int_bytes = 4;
            break;
          case 0xe0:
            int_bytes = 8;
            break;
          case 0xf0:
            int_bytes = 3;
            break;
          case 0xfe:
            int_bytes = 1;
            break;
          default:
            if (enc < 0xf1 || enc > 0xfd) return false;
            value = (enc & 0x0f) - 1;
        }
    }
    if (is_str) {
      if (str_len > end - pos) return false;
      fn(zl.substr(pos, str_len));
      pos += str_len;
    } else {
      if (static_cast<size_t>(int_bytes) > end - pos) return false;
      if (int_bytes > 0) value = SignExtend(LoadLe(zl.data() + pos, int_bytes), 8 * int_bytes);
      pos += int_bytes;
      number = std::to_string(value);
      fn(std::string_view(number));
    }
    prev_len = pos - start;
  }
  return pos == end;
}

// Redis's zipmap (hashes in RDB files before Redis 2.6): u8 count, then field and value,
// each with a length (1 byte, or 0xFE and 4 bytes), the value also with a count of free
// bytes after it, then 0xFF. fn(field, value) returns false to refuse.
template <typename Fn>
bool EachZipmapPair(std::string_view zm, Fn&& fn) {
  size_t pos = 1;
  const auto length = [&]() -> std::optional<uint64_t> {
    if (pos >= zm.size()) return std::nullopt;
    uint64_t n = static_cast<uint8_t>(zm[pos++]);
    if (n == 0xfe) {
      if (pos + 4 > zm.size()) return std::nullopt;
      n = LoadLe(zm.data() + pos, 4);
      pos += 4;
    } else if (n == 0xff) {
      return std::nullopt;
    }
    return n;
  };
  size_t pairs = 0;
  while (pos < zm.size() && zm[pos] != '\xff') {
    auto field_len = length();
    if (!field_len || *field_len > zm.size() - pos) return false;
    const std::string_view field = zm.substr(pos, *field_len);
    pos += *field_len;
    auto value_len = length();
    if (!value_len || pos >= zm.size()) return false;
    const uint64_t free = static_cast<uint8_t>(zm[pos++]);
    if (*value_len > zm.size() - pos || free > zm.size() - pos - *value_len) return false;
    if (!fn(field, zm.substr(pos, *value_len))) return false;
    pos += *value_len + free;
    pairs++;
  }
  return pos + 1 == zm.size() && pairs > 0;
}

// A listpack, or a ziplist when `ziplist`.
template <typename Fn>
bool EachPacked(bool ziplist, std::string_view blob, Fn&& fn) {
  return ziplist ? EachZiplistEntry(blob, fn) : EachListpackEntry(blob, fn);
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

// A listpack (or ziplist) of pairs (a sorted set's member and score, a hash's field and
// value): fn(a, b) returns false to refuse; an odd count or an empty one is refused too.
template <typename Fn>
bool EachPackedPair(bool ziplist, std::string_view blob, Fn&& fn) {
  std::optional<std::string> first;
  bool ok = true;
  size_t pairs = 0;
  if (!EachPacked(ziplist, blob, [&](std::string_view e) {
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

}  // namespace tidekv::types::redis_packed
