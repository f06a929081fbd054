// SetValue: a Redis set, in Redis 7.2's three encodings: "intset" while every member is a
// canonical 64-bit integer and there are at most set-max-intset-entries of them,
// "listpack" while there are at most set-max-listpack-entries members of at most
// set-max-listpack-value bytes, else "hashtable" (a ScanTable of Elements, which SSCAN
// walks with SCAN's guarantees). Conversions only go towards hashtable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "ds/hash.h"
#include "ds/intset.h"
#include "ds/listpack.h"
#include "ds/scan_table.h"
#include "types/element.h"
#include "types/value.h"

namespace tidekv::types {

class SetValue : public Value {
 public:
  static constexpr ValueType kType = ValueType::kSet;
  static const TypeOps& Ops();
  enum class Encoding : uint8_t { kIntset, kListpack, kHashtable };

  // An empty set in the encoding its first member calls for.
  explicit SetValue(std::string_view first_member);
  ~SetValue();
  SetValue(const SetValue&) = delete;
  SetValue& operator=(const SetValue&) = delete;

  Encoding encoding() const { return enc_; }
  std::string_view EncodingName() const;
  size_t size() const;
  bool empty() const { return size() == 0; }

  bool Contains(std::string_view member) const;
  bool Add(std::string_view member);     // true when it was not a member
  bool Remove(std::string_view member);  // true when it was

  // fn(member) for every member; the view lives until fn returns. fn must not modify.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
  // SSCAN: intsets and listpacks return everything in one call (cursor 0), as Redis does.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;
  // A random member (set not empty).
  std::string Random() const;

  size_t MemoryBytes() const;
  // A copy without the element log (a copy's rows are written whole, under its own key).
  SetValue* Clone() const;
  ElementLog* element_log() const { return log_.get(); }
  std::unique_ptr<ElementLog> SwapElementLog(std::unique_ptr<ElementLog> log) {
    log_.swap(log);
    return log;
  }
  // Before a bulk load of n members (the codec): a set too large for both small encodings
  // becomes a table sized for all of them at once.
  void Presize(size_t n);

 private:
  SetValue() = default;
  bool Insert(std::string_view member);  // Add and Remove, without noting the change
  bool Erase(std::string_view member);
  void ToListpack();
  void ToHashtable();

  Encoding enc_ = Encoding::kIntset;
  ds::IntSet ints_;
  ds::Listpack lp_;
  ds::ScanTable<Element> table_;
  std::unique_ptr<ElementLog> log_;
};

template <typename Fn>
void SetValue::ForEach(Fn&& fn) const {
  switch (enc_) {
    case Encoding::kIntset: {
      std::string buf;
      for (size_t i = 0; i < ints_.size(); i++) {
        buf.clear();
        AppendInt64(buf, ints_.At(i));
        fn(std::string_view(buf));
      }
      return;
    }
    case Encoding::kListpack: {
      char buf[24];
      for (uint32_t p = lp_.First(); p != ds::Listpack::kEnd; p = lp_.Next(p)) fn(lp_.Get(p, buf));
      return;
    }
    case Encoding::kHashtable:
      table_.ForEach([&](Element* e) { fn(e->key()); });
      return;
  }
}

template <typename Fn>
uint64_t SetValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (enc_ != Encoding::kHashtable) {
    ForEach(fn);
    return 0;
  }
  return table_.Scan(cursor, count, [&](Element* e) { fn(e->key()); });
}

}  // namespace tidekv::types
