// HashValue: a Redis hash. Small hashes are one listpack of field, value, field, value...
// (OBJECT ENCODING "listpack"); past hash-max-listpack-entries fields, or a field or value
// longer than hash-max-listpack-value bytes, it converts for good to a ScanTable of
// Elements ("hashtable"), which HSCAN walks with SCAN's guarantees.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ds/hash.h"
#include "ds/listpack.h"
#include "ds/scan_table.h"
#include "types/element.h"
#include "types/value.h"

namespace tidekv::types {

class HashValue : public Value {
 public:
  static constexpr ValueType kType = ValueType::kHash;
  static const TypeOps& Ops();

  HashValue() = default;
  ~HashValue();
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;

  bool listpack() const { return !large_; }
  std::string_view EncodingName() const { return large_ ? "hashtable" : "listpack"; }
  size_t size() const { return large_ ? table_.size() : lp_.size() / 2; }
  bool empty() const { return size() == 0; }

  bool Contains(std::string_view field) const;
  // Copies field's value to *out; false when the field is absent.
  bool Get(std::string_view field, std::string* out) const;
  // Sets field to value; true when the field is new.
  bool Set(std::string_view field, std::string_view value);
  bool Delete(std::string_view field);

  // fn(field, value) for every field; the views live until fn returns. fn must not modify.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
  // HSCAN: a listpack returns everything in one call (cursor 0), as Redis does.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;
  // A random field and its value (not empty). Uniform for a listpack; for a hashtable, as
  // uniform as Redis's dictGetFairRandomKey is not (see ScanTable::SlotAfter).
  void Random(std::string* field, std::string* value) const;

  size_t MemoryBytes() const;
  HashValue* Clone() const;
  // Before a bulk load of n fields known to be distinct (the codec): a hash that will
  // outgrow the listpack becomes a table sized for all of them at once.
  void Presize(size_t n);
  // Adds a field known to be absent (after Presize), without looking it up first.
  void AddNew(std::string_view field, std::string_view value);

 private:
  void Convert();
  void SetLarge(std::string_view field, std::string_view value, bool* added);

  bool large_ = false;
  ds::Listpack lp_;
  ds::ScanTable<Element> table_;
};

template <typename Fn>
void HashValue::ForEach(Fn&& fn) const {
  if (large_) {
    table_.ForEach([&](Element* e) { fn(e->key(), e->value()); });
    return;
  }
  char fbuf[24], vbuf[24];
  for (uint32_t p = lp_.First(); p != ds::Listpack::kEnd;) {
    std::string_view f = lp_.Get(p, fbuf);
    p = lp_.Next(p);
    std::string_view v = lp_.Get(p, vbuf);
    p = lp_.Next(p);
    fn(f, v);
  }
}

template <typename Fn>
uint64_t HashValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (!large_) {
    ForEach(fn);
    return 0;
  }
  return table_.Scan(cursor, count, [&](Element* e) { fn(e->key(), e->value()); });
}

}  // namespace tidekv::types
