// Entry: one key of the keyspace, with its expiry and value.
//
// An Entry is a single heap node that never moves, so the hash table, the per-database
// volatile-key list and (later) the dirty set can all hold plain pointers to it. The key's
// bytes are stored inline after the header (one allocation for header + key). Loop thread
// only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/sha1.h"
#include "types/value.h"

namespace tidekv::keyspace {

using types::TypeName;
using types::ValueType;

class Entry {
 public:
  static constexpr uint32_t kNotVolatile = UINT32_MAX;

  // Allocates an entry for key with an empty string value and room for a value of
  // value_capacity bytes inline (more if the allocator's size class leaves room).
  static Entry* Create(std::string_view key, uint64_t hash, size_t value_capacity = 0);
  static void Destroy(Entry* entry);

  std::string_view key() const { return {data_, key_len_}; }
  uint64_t hash() const { return hash_; }

  // Absolute expiry in Unix ms; 0 means the key does not expire. Set through Database so
  // the volatile-key list stays in step.
  int64_t expire_at() const { return expire_at_; }
  bool HasExpiry() const { return expire_at_ != 0; }
  bool ExpiredAt(int64_t now_ms) const { return expire_at_ != 0 && expire_at_ <= now_ms; }

  ValueType type() const { return type_; }
  bool IsString() const { return type_ == ValueType::kString; }

  // The value of a collection type (type() != kString): the object the type's TypeOps row
  // describes. As<V>() is the typed view; V::kType must be type().
  types::Value* object() const { return type_ == ValueType::kString ? nullptr : obj_; }
  template <typename V>
  V* As() const {
    return type_ == V::kType ? static_cast<V*>(obj_) : nullptr;
  }
  // Feeds the value (not the key or TTL) to a digest, the same for equal contents whatever
  // the encoding (DEBUG DIGEST, DEBUG DIGEST-VALUE).
  void DigestValue(Sha1& h) const;
  // Heap bytes this key holds: its node (header, key, inline value) and its value's
  // allocations (MEMORY USAGE).
  size_t MemoryBytes() const;
  // Replaces the value (of any type) with a collection object, which the entry now owns.
  void SetObject(ValueType type, types::Value* value);

  // The string value. Small values live inline, right after the key, in the entry's own
  // allocation (one allocation and at most two cache lines per key, like Redis's embstr);
  // a value that outgrows the room, or one modified in place, lives in a std::string.
  std::string_view str() const {
    return ext_ != nullptr ? std::string_view(*ext_) : std::string_view(data_ + key_len_, val_len_);
  }
  // The value as a growable string for in-place edits (APPEND, SETRANGE, SETBIT): moves it
  // out of line first. Callers also call MarkRaw, as Redis reports such strings as "raw".
  std::string& mutable_str();
  void SetString(std::string_view value);
  void SetString(const char* value) { SetString(std::string_view(value)); }
  void SetString(std::string&& value);
  void MarkRaw() { raw_ = true; }
  // The value was built as text (INCRBYFLOAT's result, Redis's createStringObjectFromLongDouble)
  // and never offered to tryObjectEncoding: "embstr" or "raw" by length, never "int". Cleared
  // by SetString, like MarkRaw.
  void MarkNotInt() { not_int_ = true; }

  // Moves or copies the value (type, encoding and bytes) from other (RENAME, MOVE, COPY).
  void TakeValueFrom(Entry& other);
  void CopyValueFrom(const Entry& other);

  // OBJECT ENCODING: for strings "int", "embstr" or "raw", computed the way Redis would have
  // stored it; for other types their TypeOps row's answer.
  std::string_view Encoding() const;
  // OBJECT REFCOUNT: whether Redis would hold this value as one of its shared integer objects
  // (an "int" in 0..9999), which report a reference count of INT_MAX. A COPY's value is a
  // fresh duplicate (dupStringObject), so it is unshared until the next store.
  bool SharedInteger() const;

  // Last access, in seconds of the server's LRU clock (OBJECT IDLETIME).
  uint32_t lru() const { return lru_; }
  void Touch(uint32_t lru_seconds) { lru_ = lru_seconds; }

  // Persistence's change tracking: a dirty entry is listed for the next seal, and the list
  // holds a pointer to it. So Database does not free a dirty entry it removes: it marks it
  // dead and the list's owner frees it (Entry::Destroy) once the seal has read its key.
  bool dirty() const { return dirty_; }
  void set_dirty(bool on) { dirty_ = on; }
  bool dead() const { return dead_; }

  // Cache hint: the entry's first two lines (header, key, start of an inline value).
  void Prefetch() const {
    __builtin_prefetch(this);
    __builtin_prefetch(reinterpret_cast<const char*>(this) + 64);
  }

 private:
  friend class Database;
  Entry() = default;
  ~Entry() { FreeValue(); }
  void FreeValue();

  uint64_t hash_ = 0;
  int64_t expire_at_ = 0;
  uint32_t volatile_index_ = kNotVolatile;  // position in Database::volatile_
  uint32_t lru_ = 0;
  uint32_t key_len_ = 0;
  uint32_t val_len_ = 0;  // inline value bytes in use
  uint32_t val_cap_ = 0;  // inline value bytes available after the key
  ValueType type_ = ValueType::kString;
  // One byte of flags, so that the header stays 48 bytes with the pointer below.
  bool raw_ : 1 = false;
  bool not_int_ : 1 = false;   // see MarkNotInt
  bool unshared_ : 1 = false;  // a COPY's duplicate; see SharedInteger
  bool dirty_ : 1 = false;     // listed by persistence for the next seal
  bool dead_ : 1 = false;      // removed from its database while dirty; freed by the list's owner
  union {
    std::string* ext_ = nullptr;  // a string's out-of-line value, when not inline
    types::Value* obj_;           // any other type's value object
  };
  char data_[];  // key bytes, then val_cap_ bytes of inline value
};

}  // namespace tidekv::keyspace
