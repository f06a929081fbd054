// Element: one node of a large hash or set (ds::ScanTable<Element>): the element's hash, its
// name (a hash field or a set member) and, for hashes, its value, in one allocation. Sets
// use it with an empty value, which costs nothing beyond the 16-byte header.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidekv::types {

class Element {
 public:
  static Element* Create(std::string_view key, std::string_view value, uint64_t hash);
  static void Destroy(Element* e);
  // Replaces the value; returns the node to keep (e itself when the value fits its
  // allocation, else a new node, e being destroyed). The caller re-links a new node.
  static Element* WithValue(Element* e, std::string_view value);

  std::string_view key() const { return {data_, key_len_}; }
  std::string_view value() const { return {data_ + key_len_, val_len_}; }
  uint64_t hash() const { return hash_; }
  size_t AllocatedBytes() const;

 private:
  Element() = default;
  uint64_t hash_ = 0;
  uint32_t key_len_ = 0;
  uint32_t val_len_ = 0;
  char data_[];
};

}  // namespace tidekv::types
