// Listpack: a sequence of byte strings packed into one heap allocation, for small hashes
// and sets (Redis's listpack idea: a few bytes of header per element instead of a node, a
// pointer and a hash slot each).
//
// Layout (little-endian): a 6-byte header {u32 total bytes, u16 element count, 0xFFFF when
// 65535 or more, which are then counted by walking}, then the elements back to back. An element
// whose bytes are a canonical int64 decimal (what Redis's string2ll accepts: no '+', no leading
// zeros, not "-0") is stored as that integer:
//
//   0xxxxxxx                     integer 0..127                       1 byte
//   10LLLLLL + L bytes           string of 0..63 bytes                1 + L
//   110xxxxx xxxxxxxx            13-bit integer (-4096..4095)         2 bytes
//   1110LLLL LLLLLLLL + L bytes  string of 64..4095 bytes             2 + L
//   0xF0..0xF6 + 2..8 bytes      16..64-bit integer                   3..9 bytes
//   0xF7 + u32 L + L bytes       string of 4096 bytes or more         5 + L
//
// Every element uses the shortest form that holds it, so the encoding is canonical: one
// sequence has exactly one Raw(), and two elements are equal exactly when their encoded
// bytes are (which is how Find compares: "01" is a string, 1 an integer; they never match).
// FromRaw enforces all of this on untrusted bytes. There is no back-pointer per element, so
// walking is forward only. An empty Listpack holds no allocation.
//
// Positions are byte offsets of elements; any modification invalidates them, except the
// position it returns. Every operation that walks is O(n): keep listpacks small (the
// caller converts to a real table past a threshold). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tidekv::ds {

class Listpack {
 public:
  static constexpr uint32_t kEnd = UINT32_MAX;
  static constexpr size_t kHeaderBytes = 6;

  Listpack() = default;
  ~Listpack();
  Listpack(const Listpack& other);
  Listpack& operator=(const Listpack& other);
  Listpack(Listpack&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
  Listpack& operator=(Listpack&& other) noexcept;

  size_t size() const;  // element count, O(1) below 65535 elements
  bool empty() const { return data_ == nullptr; }
  size_t bytes() const;  // heap bytes held (0 when empty)

  uint32_t First() const { return data_ == nullptr ? kEnd : kHeaderBytes; }
  uint32_t Next(uint32_t pos) const;  // kEnd after the last
  // The element at pos; an integer element is rendered into buf.
  std::string_view Get(uint32_t pos, char (&buf)[24]) const;
  // True (and *out set) when the element at pos is stored as an integer.
  bool GetInt(uint32_t pos, int64_t* out) const;
  // The index-th element, kEnd if out of range. O(index).
  uint32_t Seek(size_t index) const;

  void PushBack(std::string_view value) { Insert(kEnd, value); }
  // Appends every value with one reallocation (bulk loads).
  void AppendAll(std::span<const std::string_view> values);
  // Inserts before pos (kEnd appends); returns the new element's position.
  uint32_t Insert(uint32_t pos, std::string_view value);
  // Replaces the element at pos; returns its position (the same pos).
  uint32_t Replace(uint32_t pos, std::string_view value);
  // Erases up to count elements from pos; returns the position of the element after the
  // erased ones, or kEnd.
  uint32_t Erase(uint32_t pos, size_t count = 1);
  void Clear();

  // The first element at start, start+(skip+1), start+2(skip+1)... equal to value, or kEnd.
  // skip=1 finds a field among field/value pairs.
  uint32_t Find(std::string_view value, uint32_t start, size_t skip) const;

  // The encoded bytes (the header included), for persistence.
  std::string_view Raw() const;
  // Validates everything (sizes, element forms, canonical encoding, count); never reads
  // outside raw. nullopt when anything is off.
  static std::optional<Listpack> FromRaw(std::string_view raw);
  // A copy of bytes that Raw() of some listpack returned (trusted: not validated).
  static Listpack FromTrustedRaw(std::string_view raw);
  // The bytes `value` takes as an element (what Insert adds to bytes()).
  static size_t EncodedBytes(std::string_view value);

  bool operator==(const Listpack& other) const { return Raw() == other.Raw(); }

 private:
  uint32_t total() const;
  void SetHeader(uint32_t total, size_t count);
  size_t CountByWalking() const;
  // Reallocates to new_total bytes (data_ may be null).
  void Reallocate(size_t new_total);

  unsigned char* data_ = nullptr;  // header + elements; null when empty
};

}  // namespace tidekv::ds
