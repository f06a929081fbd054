#include "ds/listpack.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "common/alloc.h"
#include "common/check.h"

namespace tidekv::ds {
namespace {

static_assert(std::endian::native == std::endian::little, "the header is read with memcpy");

constexpr unsigned char kStr6 = 0x80;   // 10LLLLLL
constexpr unsigned char kInt13 = 0xC0;  // 110xxxxx xxxxxxxx
constexpr unsigned char kStr12 = 0xE0;  // 1110LLLL LLLLLLLL
constexpr unsigned char kIntN = 0xF0;   // 0xF0 + (n - 2): n = 2..8 payload bytes
constexpr unsigned char kStr32 = 0xF7;  // + u32 length

// The header's count when the listpack holds this many elements or more.
constexpr uint16_t kManyElements = 0xFFFF;

// Redis's string2ll rules: optional '-', then digits without a leading zero (only "0"
// itself), no '+', no spaces, no "-0", within int64.
bool ParseCanonicalInt(std::string_view s, int64_t* out) {
  const size_t n = s.size();
  if (n == 0 || n > 20) return false;
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == n) return false;
  if (s[i] == '0') {
    if (n != 1) return false;  // "00", "01", "-0"
    *out = 0;
    return true;
  }
  uint64_t v = 0;
  for (; i < n; i++) {
    const unsigned d = static_cast<unsigned char>(s[i]) - unsigned{'0'};
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > uint64_t{1} << 63) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// Decimal form of v into buf (at most 20 characters); returns the length.
size_t FormatInt(int64_t v, char* buf) {
  char digits[20];
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  while (n > 0) buf[len++] = digits[--n];
  return len;
}

// Bytes of the shortest two's-complement form holding v, 2..8.
unsigned IntPayloadBytes(int64_t v) {
  for (unsigned n = 2; n < 8; n++) {
    const int64_t limit = int64_t{1} << (8 * n - 1);
    if (v >= -limit && v < limit) return n;
  }
  return 8;
}

// A value in its element form: head (tag, length or the whole integer) then tail (the
// string's bytes, none for an integer).
struct Encoded {
  unsigned char head[9];
  size_t head_len;
  const char* tail;
  size_t tail_len;
  size_t total() const { return head_len + tail_len; }
};

Encoded Encode(std::string_view value) {
  Encoded e;
  e.tail = value.data();
  int64_t v;
  if (ParseCanonicalInt(value, &v)) {
    e.tail_len = 0;
    if (v >= 0 && v <= 127) {
      e.head[0] = static_cast<unsigned char>(v);
      e.head_len = 1;
    } else if (v >= -4096 && v <= 4095) {
      const unsigned u = static_cast<unsigned>(v) & 0x1FFF;
      e.head[0] = static_cast<unsigned char>(kInt13 | (u >> 8));
      e.head[1] = static_cast<unsigned char>(u & 0xFF);
      e.head_len = 2;
    } else {
      const unsigned n = IntPayloadBytes(v);
      const uint64_t u = static_cast<uint64_t>(v);
      e.head[0] = static_cast<unsigned char>(kIntN + (n - 2));
      for (unsigned k = 0; k < n; k++) e.head[1 + k] = static_cast<unsigned char>(u >> (8 * k));
      e.head_len = 1 + n;
    }
    return e;
  }
  const size_t len = value.size();
  e.tail_len = len;
  if (len < 64) {
    e.head[0] = static_cast<unsigned char>(kStr6 | len);
    e.head_len = 1;
  } else if (len < 4096) {
    e.head[0] = static_cast<unsigned char>(kStr12 | (len >> 8));
    e.head[1] = static_cast<unsigned char>(len & 0xFF);
    e.head_len = 2;
  } else {
    TIDEKV_CHECK(len < Listpack::kEnd);
    e.head[0] = kStr32;
    StoreUnaligned<uint32_t>(e.head + 1, static_cast<uint32_t>(len));
    e.head_len = 5;
  }
  return e;
}

// True when the bytes at p are exactly e's encoding.
bool SameBytes(const unsigned char* p, const Encoded& e) {
  return std::memcmp(p, e.head, e.head_len) == 0 &&
         (e.tail_len == 0 || std::memcmp(p + e.head_len, e.tail, e.tail_len) == 0);
}

void Write(unsigned char* p, const Encoded& e) {
  std::memcpy(p, e.head, e.head_len);
  if (e.tail_len != 0) std::memcpy(p + e.head_len, e.tail, e.tail_len);
}

struct Element {
  bool is_int;
  int64_t value;             // when is_int
  const unsigned char* str;  // when !is_int
  size_t len;
  size_t size;  // the whole element, head included
};

// Decodes the element at p, which has avail bytes after it; false when the tag is invalid
// or the element does not fit.
bool Decode(const unsigned char* p, size_t avail, Element* e) {
  if (avail == 0) return false;
  const unsigned b = p[0];
  size_t head;
  if (b < kStr6) {
    *e = {true, static_cast<int64_t>(b), nullptr, 0, 1};
    return true;
  }
  if (b < kInt13) {
    head = 1;
    e->len = b & 0x3F;
  } else if (b < kStr12) {
    if (avail < 2) return false;
    const int u = static_cast<int>(((b & 0x1F) << 8) | p[1]);
    *e = {true, static_cast<int64_t>((u ^ 0x1000) - 0x1000), nullptr, 0, 2};
    return true;
  } else if (b < kIntN) {
    if (avail < 2) return false;
    head = 2;
    e->len = ((b & 0x0F) << 8) | p[1];
  } else if (b < kStr32) {
    const unsigned n = b - kIntN + 2;
    if (avail < 1 + n) return false;
    uint64_t u = 0;
    for (unsigned k = 0; k < n; k++) u |= uint64_t{p[1 + k]} << (8 * k);
    const unsigned shift = 64 - 8 * n;  // sign-extend from n bytes
    *e = {true, static_cast<int64_t>(u << shift) >> shift, nullptr, 0, 1 + n};
    return true;
  } else if (b == kStr32) {
    if (avail < 5) return false;
    head = 5;
    e->len = LoadUnaligned<uint32_t>(p + 1);
  } else {
    return false;
  }
  if (avail - head < e->len) return false;
  e->is_int = false;
  e->value = 0;
  e->str = p + head;
  e->size = head + e->len;
  return true;
}

}  // namespace

Listpack::~Listpack() { FreeBytes(data_); }

Listpack::Listpack(const Listpack& other) {
  if (other.data_ != nullptr) {
    Reallocate(other.total());
    std::memcpy(data_, other.data_, other.total());
  }
}

Listpack& Listpack::operator=(const Listpack& other) {
  if (this != &other) {
    Listpack copy(other);
    std::swap(data_, copy.data_);
  }
  return *this;
}

Listpack& Listpack::operator=(Listpack&& other) noexcept {
  std::swap(data_, other.data_);
  return *this;
}

uint32_t Listpack::total() const { return LoadUnaligned<uint32_t>(data_); }

size_t Listpack::size() const {
  if (data_ == nullptr) return 0;
  const uint16_t count = LoadUnaligned<uint16_t>(data_ + 4);
  return count != kManyElements ? count : CountByWalking();
}

size_t Listpack::CountByWalking() const {
  size_t n = 0;
  for (uint32_t pos = First(); pos != kEnd; pos = Next(pos)) n++;
  return n;
}

size_t Listpack::bytes() const { return data_ == nullptr ? 0 : total(); }

void Listpack::SetHeader(uint32_t total, size_t count) {
  StoreUnaligned<uint32_t>(data_, total);
  StoreUnaligned<uint16_t>(data_ + 4,
                           count < kManyElements ? static_cast<uint16_t>(count) : kManyElements);
}

void Listpack::Reallocate(size_t new_total) {
  data_ = static_cast<unsigned char*>(ResizeBytes(data_, new_total));
}

namespace {

// The element at a position the caller got from this listpack.
Element ElementAt(const unsigned char* data, uint32_t pos) {
  TIDEKV_CHECK(data != nullptr);
  const uint32_t total = LoadUnaligned<uint32_t>(data);
  TIDEKV_CHECK(pos >= Listpack::kHeaderBytes && pos < total);
  Element e;
  TIDEKV_CHECK(Decode(data + pos, total - pos, &e));
  return e;
}

// Whether value's bytes lie inside [data, data + size): such a value must be copied before
// the buffer is reallocated.
bool Aliases(std::string_view value, const unsigned char* data, size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  return data != nullptr && !value.empty() && std::less_equal<>()(data, p) &&
         std::less<>()(p, data + size);
}

}  // namespace

uint32_t Listpack::Next(uint32_t pos) const {
  const uint32_t next = pos + static_cast<uint32_t>(ElementAt(data_, pos).size);
  return next == total() ? kEnd : next;
}

std::string_view Listpack::Get(uint32_t pos, char (&buf)[24]) const {
  const Element e = ElementAt(data_, pos);
  if (e.is_int) return {buf, FormatInt(e.value, buf)};
  return {reinterpret_cast<const char*>(e.str), e.len};
}

bool Listpack::GetInt(uint32_t pos, int64_t* out) const {
  const Element e = ElementAt(data_, pos);
  if (e.is_int) *out = e.value;
  return e.is_int;
}

uint32_t Listpack::Seek(size_t index) const {
  if (index >= size()) return kEnd;
  uint32_t pos = First();
  for (size_t i = 0; i < index; i++) pos = Next(pos);
  return pos;
}

uint32_t Listpack::Insert(uint32_t pos, std::string_view value) {
  if (Aliases(value, data_, bytes())) return Insert(pos, std::string(value));
  const Encoded enc = Encode(value);
  const uint32_t old_total = data_ == nullptr ? kHeaderBytes : total();
  const size_t count = size();
  if (pos == kEnd) pos = old_total;
  TIDEKV_CHECK(pos >= kHeaderBytes && pos <= old_total);
  const size_t new_total = size_t{old_total} + enc.total();
  TIDEKV_CHECK(new_total < kEnd);
  Reallocate(new_total);
  std::memmove(data_ + pos + enc.total(), data_ + pos, old_total - pos);
  Write(data_ + pos, enc);
  SetHeader(static_cast<uint32_t>(new_total), count + 1);
  return pos;
}

void Listpack::AppendAll(std::span<const std::string_view> values) {
  thread_local std::vector<Encoded> encoded;  // reused: bulk loads call this per value
  encoded.clear();
  size_t added = 0;
  for (std::string_view v : values) {
    if (Aliases(v, data_, bytes())) {  // a value from this listpack: one at a time
      for (std::string_view each : values) PushBack(each);
      return;
    }
    encoded.push_back(Encode(v));
    added += encoded.back().total();
  }
  if (values.empty()) return;
  const uint32_t old_total = data_ == nullptr ? kHeaderBytes : total();
  const size_t count = size();
  const size_t new_total = size_t{old_total} + added;
  TIDEKV_CHECK(new_total < kEnd);
  Reallocate(new_total);
  size_t pos = old_total;
  for (const Encoded& enc : encoded) {
    Write(data_ + pos, enc);
    pos += enc.total();
  }
  SetHeader(static_cast<uint32_t>(new_total), count + values.size());
}

uint32_t Listpack::Replace(uint32_t pos, std::string_view value) {
  if (Aliases(value, data_, bytes())) return Replace(pos, std::string(value));
  const size_t old_size = ElementAt(data_, pos).size;
  const Encoded enc = Encode(value);
  const size_t new_size = enc.total();
  const uint32_t old_total = total();
  const size_t tail = old_total - pos - old_size;
  const size_t new_total = old_total - old_size + new_size;
  TIDEKV_CHECK(new_total < kEnd);
  if (new_size > old_size) {
    Reallocate(new_total);
    std::memmove(data_ + pos + new_size, data_ + pos + old_size, tail);
  } else if (new_size < old_size) {
    std::memmove(data_ + pos + new_size, data_ + pos + old_size, tail);
    Reallocate(new_total);
  }
  Write(data_ + pos, enc);
  StoreUnaligned<uint32_t>(data_, static_cast<uint32_t>(new_total));  // the count is unchanged
  return pos;
}

uint32_t Listpack::Erase(uint32_t pos, size_t count) {
  if (pos == kEnd || count == 0) return pos;
  const uint32_t old_total = total();
  uint32_t end = pos;
  size_t erased = 0;
  while (erased < count && end < old_total) {
    end += static_cast<uint32_t>(ElementAt(data_, end).size);
    erased++;
  }
  const size_t remaining = size() - erased;
  if (remaining == 0) {
    Clear();
    return kEnd;
  }
  std::memmove(data_ + pos, data_ + end, old_total - end);
  const uint32_t new_total = old_total - (end - pos);
  Reallocate(new_total);
  SetHeader(new_total, remaining);
  return pos == new_total ? kEnd : pos;
}

void Listpack::Clear() {
  FreeBytes(data_);
  data_ = nullptr;
}

uint32_t Listpack::Find(std::string_view value, uint32_t start, size_t skip) const {
  if (start == kEnd) return kEnd;
  const Encoded enc = Encode(value);
  const uint32_t end = total();
  uint32_t pos = start;
  for (;;) {
    const size_t element = ElementAt(data_, pos).size;
    if (element == enc.total() && SameBytes(data_ + pos, enc)) return pos;
    pos += static_cast<uint32_t>(element);
    for (size_t i = 0; i < skip && pos < end; i++) {
      pos += static_cast<uint32_t>(ElementAt(data_, pos).size);
    }
    if (pos >= end) return kEnd;
  }
}

std::string_view Listpack::Raw() const {
  static constexpr char kEmpty[kHeaderBytes] = {kHeaderBytes, 0, 0, 0, 0, 0};
  if (data_ == nullptr) return {kEmpty, kHeaderBytes};
  return {reinterpret_cast<const char*>(data_), total()};
}

std::optional<Listpack> Listpack::FromRaw(std::string_view raw) {
  if (raw.size() < kHeaderBytes || raw.size() >= kEnd) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const uint32_t total = LoadUnaligned<uint32_t>(p);
  const uint16_t count = LoadUnaligned<uint16_t>(p + 4);
  if (total != raw.size()) return std::nullopt;
  if (count == 0) {
    if (total != kHeaderBytes) return std::nullopt;
    return Listpack();
  }
  size_t seen = 0;
  for (size_t pos = kHeaderBytes; pos < total; seen++) {
    Element e;
    if ((count != kManyElements && seen == count) || !Decode(p + pos, total - pos, &e)) {
      return std::nullopt;
    }
    // Canonical: re-encoding the value gives back exactly these bytes (shortest form, an
    // integer-looking string stored as the integer).
    char buf[24];
    const std::string_view value =
        e.is_int ? std::string_view(buf, FormatInt(e.value, buf))
                 : std::string_view(reinterpret_cast<const char*>(e.str), e.len);
    const Encoded enc = Encode(value);
    if (enc.total() != e.size || !SameBytes(p + pos, enc)) return std::nullopt;
    pos += e.size;
  }
  if (count != kManyElements ? seen != count : seen < kManyElements) return std::nullopt;
  Listpack lp;
  lp.Reallocate(total);
  std::memcpy(lp.data_, p, total);
  return lp;
}

Listpack Listpack::FromTrustedRaw(std::string_view raw) {
  Listpack lp;
  if (raw.size() > kHeaderBytes) {
    lp.Reallocate(raw.size());
    std::memcpy(lp.data_, raw.data(), raw.size());
  }
  return lp;
}

size_t Listpack::EncodedBytes(std::string_view value) { return Encode(value).total(); }

}  // namespace tidekv::ds
