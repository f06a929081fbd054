// HashValue: a Redis hash. Small hashes are one listpack of field, value, field, value...
// (OBJECT ENCODING "listpack"); past hash-max-listpack-entries fields, or a field or value
// longer than hash-max-listpack-value bytes, it converts for good to a ScanTable of
// Elements ("hashtable"), which HSCAN walks with SCAN's guarantees.
//
// Fields may carry their own expiry (HEXPIRE, Redis 7.4): absolute Unix ms kept beside the
// fields, only for hashes that have any ("listpackex" while small). The value does not
// expire fields itself; the keyspace removes them (lazily on lookup and by the active
// cycle) so that each removal is propagated as HDEL.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ds/hash.h"
#include "ds/listpack.h"
#include "ds/scan_table.h"
#include "types/element.h"
#include "types/value.h"

namespace tidekv::types {

// The latest field expiry accepted, in Unix ms (2^48 - 1, as Redis 7.4).
inline constexpr int64_t kMaxFieldExpireMs = (int64_t{1} << 48) - 1;

class HashValue : public Value {
 public:
  static constexpr ValueType kType = ValueType::kHash;
  static const TypeOps& Ops();

  HashValue() = default;
  ~HashValue();
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;

  bool listpack() const { return !large(); }
  std::string_view EncodingName() const {
    return large() ? "hashtable" : ttls() != nullptr ? "listpackex" : "listpack";
  }
  size_t size() const { return large() ? x_->table.size() : lp_.size() / 2; }
  bool empty() const { return size() == 0; }

  bool Contains(std::string_view field) const;
  // Copies field's value to *out; false when the field is absent.
  bool Get(std::string_view field, std::string* out) const;
  // Sets field to value; true when the field is new. The field's expiry goes (HSET) unless
  // keep_ttl (HINCRBY, HINCRBYFLOAT).
  bool Set(std::string_view field, std::string_view value, bool keep_ttl = false);
  bool Delete(std::string_view field);

  // Field expiry: absolute Unix ms, 0 = none.
  bool has_field_ttls() const { return ttls() != nullptr; }
  int64_t FieldExpireAt(std::string_view field) const;
  // Sets (or with 0 removes) the expiry of a field that exists.
  void SetFieldExpireAt(std::string_view field, int64_t at_ms);
  // The earliest field expiry, 0 when no field has one.
  int64_t NextFieldExpiry() const;
  // Deletes up to `limit` fields whose time is <= now_ms, earliest first, appending their
  // names to *removed.
  void ExpireFields(int64_t now_ms, size_t limit, std::vector<std::string>* removed);

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
  // A copy without the element log (a copy's rows are written whole, under its own key).
  HashValue* Clone() const;
  ElementLog* element_log() const { return x_ != nullptr ? x_->log.get() : nullptr; }
  std::unique_ptr<ElementLog> SwapElementLog(std::unique_ptr<ElementLog> log);
  // Before a bulk load of n fields known to be distinct (the codec): a hash that will
  // outgrow the listpack becomes a table sized for all of them at once.
  void Presize(size_t n);
  // Adds a field known to be absent (after Presize), without looking it up first.
  void AddNew(std::string_view field, std::string_view value);
  // Adds fields known to be absent and distinct, given as field, value, field, value...
  // (the codec's bulk load: a small hash's listpack is built with one allocation).
  void AddAllNew(std::span<const std::string_view> fields_and_values);

 private:
  void Convert();
  void SetLarge(std::string_view field, std::string_view value, bool* added);

  // Per-field expiries, by field and in time order; absent while no field has one.
  struct FieldTtls {
    std::map<std::string, int64_t, std::less<>> at;
    std::set<std::pair<int64_t, std::string>> order;
  };
  void ForgetFieldTtl(std::string_view field);
  bool Erase(std::string_view field);  // Delete's removal from the listpack or table
  void Note(std::string_view field) {
    if (ElementLog* log = element_log()) log->changed.emplace(field);
  }

  // What only a converted hash, one with field expiries or one with element rows needs:
  // apart, so that a small hash is 16 bytes (its listpack and this pointer).
  struct Extra {
    bool large = false;  // converted for good: the fields are in table
    ds::ScanTable<Element> table;
    std::unique_ptr<FieldTtls> ttls;
    std::unique_ptr<ElementLog> log;
    bool needed() const { return large || ttls != nullptr || log != nullptr; }
  };
  bool large() const { return x_ != nullptr && x_->large; }
  FieldTtls* ttls() const { return x_ != nullptr ? x_->ttls.get() : nullptr; }
  Extra& extra() {
    if (!x_) x_ = std::make_unique<Extra>();
    return *x_;
  }
  void DropTtls();

  ds::Listpack lp_;
  std::unique_ptr<Extra> x_;
};

template <typename Fn>
void HashValue::ForEach(Fn&& fn) const {
  if (large()) {
    x_->table.ForEach([&](Element* e) { fn(e->key(), e->value()); });
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
  if (!large()) {
    ForEach(fn);
    return 0;
  }
  return x_->table.Scan(cursor, count, [&](Element* e) { fn(e->key(), e->value()); });
}

}  // namespace tidekv::types
