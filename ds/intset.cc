#include "ds/intset.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "common/alloc.h"
#include "common/check.h"

namespace tidekv::ds {
namespace {

static_assert(std::endian::native == std::endian::little, "members are stored with memcpy");

int WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

template <typename T>
int64_t LoadAs(const unsigned char* members, size_t i) {
  T x;
  std::memcpy(&x, members + i * sizeof(T), sizeof(T));
  return x;
}

template <typename T>
void StoreAs(unsigned char* members, size_t i, int64_t v) {
  const T x = static_cast<T>(v);
  std::memcpy(members + i * sizeof(T), &x, sizeof(T));
}

int64_t Load(const unsigned char* members, int width, size_t i) {
  switch (width) {
    case 2:
      return LoadAs<int16_t>(members, i);
    case 4:
      return LoadAs<int32_t>(members, i);
    default:
      return LoadAs<int64_t>(members, i);
  }
}

void Store(unsigned char* members, int width, size_t i, int64_t v) {
  switch (width) {
    case 2:
      return StoreAs<int16_t>(members, i, v);
    case 4:
      return StoreAs<int32_t>(members, i, v);
    default:
      return StoreAs<int64_t>(members, i, v);
  }
}

// Lower bound of v among n members of type T.
template <typename T>
size_t LowerBound(const unsigned char* members, size_t n, int64_t v, bool* found) {
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (LoadAs<T>(members, mid) < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *found = lo < n && LoadAs<T>(members, lo) == v;
  return lo;
}

}  // namespace

IntSet::~IntSet() { FreeBytes(data_); }

IntSet::IntSet(const IntSet& other) {
  if (other.data_ != nullptr) {
    Reallocate(other.bytes());
    std::memcpy(data_, other.data_, other.bytes());
  }
}

IntSet& IntSet::operator=(const IntSet& other) {
  if (this != &other) {
    IntSet copy(other);
    std::swap(data_, copy.data_);
  }
  return *this;
}

IntSet& IntSet::operator=(IntSet&& other) noexcept {
  std::swap(data_, other.data_);
  return *this;
}

size_t IntSet::size() const { return data_ == nullptr ? 0 : LoadUnaligned<uint32_t>(data_ + 4); }

int IntSet::width() const {
  return data_ == nullptr ? 2 : static_cast<int>(LoadUnaligned<uint32_t>(data_));
}

size_t IntSet::bytes() const {
  return data_ == nullptr ? 0 : kHeaderBytes + size() * static_cast<size_t>(width());
}

void IntSet::SetHeader(uint32_t width, uint32_t count) {
  StoreUnaligned<uint32_t>(data_, width);
  StoreUnaligned<uint32_t>(data_ + 4, count);
}

void IntSet::Reallocate(size_t new_bytes) {
  data_ = static_cast<unsigned char*>(ResizeBytes(data_, new_bytes));
}

size_t IntSet::Search(int64_t v, bool* found) const {
  const unsigned char* members = data_ + kHeaderBytes;
  switch (width()) {
    case 2:
      return LowerBound<int16_t>(members, size(), v, found);
    case 4:
      return LowerBound<int32_t>(members, size(), v, found);
    default:
      return LowerBound<int64_t>(members, size(), v, found);
  }
}

bool IntSet::Contains(int64_t v) const {
  if (data_ == nullptr || WidthFor(v) > width()) return false;
  bool found;
  Search(v, &found);
  return found;
}

int64_t IntSet::At(size_t i) const {
  TIDEKV_CHECK(i < size());
  return Load(data_ + kHeaderBytes, width(), i);
}

void IntSet::Rewidth(int new_width) {
  const int old_width = width();
  const size_t n = size();
  unsigned char* members = data_ + kHeaderBytes;
  if (new_width > old_width) {
    // Widen from the back, so that no member is overwritten before it is read.
    Reallocate(kHeaderBytes + n * static_cast<size_t>(new_width));
    members = data_ + kHeaderBytes;
    for (size_t i = n; i-- > 0;) Store(members, new_width, i, Load(members, old_width, i));
  } else {
    for (size_t i = 0; i < n; i++) Store(members, new_width, i, Load(members, old_width, i));
    Reallocate(kHeaderBytes + n * static_cast<size_t>(new_width));
  }
  SetHeader(static_cast<uint32_t>(new_width), static_cast<uint32_t>(n));
}

bool IntSet::Add(int64_t v) {
  const int need = WidthFor(v);
  if (data_ == nullptr) {
    Reallocate(kHeaderBytes + static_cast<size_t>(need));
    SetHeader(static_cast<uint32_t>(need), 1);
    Store(data_ + kHeaderBytes, need, 0, v);
    return true;
  }
  // A value wider than the members lies below or above all of them: widen, then the
  // search below puts it first or last.
  if (need > width()) Rewidth(need);
  bool found;
  const size_t i = Search(v, &found);
  if (found) return false;
  const size_t n = size();
  TIDEKV_CHECK(n < UINT32_MAX);
  const size_t w = static_cast<size_t>(width());
  Reallocate(kHeaderBytes + (n + 1) * w);
  unsigned char* members = data_ + kHeaderBytes;
  std::memmove(members + (i + 1) * w, members + i * w, (n - i) * w);
  Store(members, static_cast<int>(w), i, v);
  SetHeader(static_cast<uint32_t>(w), static_cast<uint32_t>(n + 1));
  return true;
}

bool IntSet::Remove(int64_t v) {
  if (!Contains(v)) return false;
  const size_t n = size();
  if (n == 1) {
    Clear();
    return true;
  }
  bool found;
  const size_t i = Search(v, &found);
  const int w = width();
  unsigned char* members = data_ + kHeaderBytes;
  std::memmove(members + i * w, members + (i + 1) * w, (n - i - 1) * w);
  Reallocate(kHeaderBytes + (n - 1) * w);
  SetHeader(static_cast<uint32_t>(w), static_cast<uint32_t>(n - 1));
  // Only the smallest and largest members decide the width.
  const int need = std::max(WidthFor(At(0)), WidthFor(At(n - 2)));
  if (need < w) Rewidth(need);
  return true;
}

void IntSet::Clear() {
  FreeBytes(data_);
  data_ = nullptr;
}

std::string_view IntSet::Raw() const {
  static constexpr char kEmpty[kHeaderBytes] = {2, 0, 0, 0, 0, 0, 0, 0};
  if (data_ == nullptr) return {kEmpty, kHeaderBytes};
  return {reinterpret_cast<const char*>(data_), bytes()};
}

std::optional<IntSet> IntSet::FromRaw(std::string_view raw) {
  if (raw.size() < kHeaderBytes) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const uint32_t width = LoadUnaligned<uint32_t>(p);
  const uint32_t count = LoadUnaligned<uint32_t>(p + 4);
  if (width != 2 && width != 4 && width != 8) return std::nullopt;
  const size_t member_bytes = raw.size() - kHeaderBytes;
  if (member_bytes % width != 0 || member_bytes / width != count) return std::nullopt;
  if (count == 0) {
    if (width != 2) return std::nullopt;
    return IntSet();
  }
  const unsigned char* members = p + kHeaderBytes;
  const int w = static_cast<int>(width);
  for (size_t i = 1; i < count; i++) {
    if (Load(members, w, i - 1) >= Load(members, w, i)) return std::nullopt;
  }
  if (std::max(WidthFor(Load(members, w, 0)), WidthFor(Load(members, w, count - 1))) != w) {
    return std::nullopt;
  }
  IntSet set;
  set.Reallocate(raw.size());
  std::memcpy(set.data_, p, raw.size());
  return set;
}

}  // namespace tidekv::ds
