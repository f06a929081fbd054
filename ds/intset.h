// IntSet: a set of int64 kept as one sorted array of fixed-width integers, for small sets
// whose members are all integers (Redis's intset: 2 bytes a member while they all fit).
//
// Layout (little-endian), one heap allocation: an 8-byte header {u32 width, u32 count},
// then count members of `width` bytes (2, 4 or 8), strictly ascending. The width is the
// smallest that holds every member: Add widens the whole array when a member needs it, and
// Remove narrows it again when the member that needed it goes (only the smallest and the
// largest members decide the width, so that check is O(1)). So the encoding is canonical
// and FromRaw refuses anything else. An empty IntSet holds no allocation.
//
// Lookups are binary searches; Add and Remove move the members after the position (O(n)):
// keep intsets small (the caller converts to a real table past a threshold). Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tidekv::ds {

class IntSet {
 public:
  static constexpr size_t kHeaderBytes = 8;

  IntSet() = default;
  ~IntSet();
  IntSet(const IntSet& other);
  IntSet& operator=(const IntSet& other);
  IntSet(IntSet&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
  IntSet& operator=(IntSet&& other) noexcept;

  size_t size() const;
  bool empty() const { return data_ == nullptr; }
  size_t bytes() const;  // heap bytes held (0 when empty)
  int width() const;     // bytes per member: 2, 4 or 8 (2 when empty)

  bool Contains(int64_t v) const;
  bool Add(int64_t v);         // true if added (false: already present)
  bool Remove(int64_t v);      // true if removed
  int64_t At(size_t i) const;  // the i-th smallest; i < size()
  void Clear();

  // The encoded bytes (the header included), for persistence.
  std::string_view Raw() const;
  // Validates everything (width legal and smallest, size, members strictly ascending);
  // never reads outside raw. nullopt when anything is off.
  static std::optional<IntSet> FromRaw(std::string_view raw);

  bool operator==(const IntSet& other) const { return Raw() == other.Raw(); }

 private:
  // Index of v, or of the first member above it (*found false).
  size_t Search(int64_t v, bool* found) const;
  void SetHeader(uint32_t width, uint32_t count);
  void Reallocate(size_t new_bytes);
  // Rewrites the members in new_width (their values all fit), reallocating.
  void Rewidth(int new_width);

  unsigned char* data_ = nullptr;  // header + members; null when empty
};

}  // namespace tidekv::ds
