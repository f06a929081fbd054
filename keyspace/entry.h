// Entry: one key of the keyspace, with its expiry and value.
//
// An Entry is a single heap node that never moves, so the hash table, the per-database
// volatile-key list and the dirty set can all hold plain pointers to it. The key's bytes are
// stored inline after a 22-byte header (one allocation for header + key + small value: a
// 10-byte key with a 64-byte value fits the allocator's 96-byte class). The header keeps no
// hash of the key (the table recomputes it when it rehashes). Loop thread only.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/sha1.h"
#include "ds/hash.h"
#include "types/value.h"

namespace tidekv::keyspace {

using types::TypeName;
using types::ValueType;

class Entry {
 public:
  static constexpr uint32_t kNotVolatile = UINT32_MAX;
  // The longest value kept inline (longer ones live in a std::string).
  static constexpr size_t kMaxInline = (1u << 14) - 1;

  // Allocates an entry for key with an empty string value and room for a value of
  // value_capacity bytes inline (more if the allocator's size class leaves room).
  static Entry* Create(std::string_view key, size_t value_capacity = 0);
  static void Destroy(Entry* entry);

  std::string_view key() const { return {data_, key_len_}; }
  // The key's hash, computed (the table calls it when it rehashes or deletes).
  uint64_t hash() const { return ds::HashBytes(key()); }

  // Absolute expiry in Unix ms; 0 means the key does not expire. Set through Database so
  // the volatile-key list stays in step.
  int64_t expire_at() const { return expire_at_; }
  bool HasExpiry() const { return expire_at_ != 0; }
  bool ExpiredAt(int64_t now_ms) const { return expire_at_ != 0 && expire_at_ <= now_ms; }

  ValueType type() const { return static_cast<ValueType>(type_); }
  bool IsString() const { return type() == ValueType::kString; }

  // The value of a collection type (type() != kString): the object the type's TypeOps row
  // describes. As<V>() is the typed view; V::kType must be type().
  types::Value* object() const { return IsString() ? nullptr : obj(); }
  template <typename V>
  V* As() const {
    return type() == V::kType ? static_cast<V*>(obj()) : nullptr;
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
    return out_ ? std::string_view(*ext()) : std::string_view(data_ + key_len_, val_len_);
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

  // Last access, in seconds of the server's LRU clock, kept modulo 2^24 as Redis keeps it
  // (OBJECT IDLETIME; an idle time wraps after 194 days).
  uint32_t lru() const { return lru_; }
  void Touch(uint32_t lru_seconds) { lru_ = lru_seconds & kLruMask; }
  // Seconds since the last access at LRU clock `now` (0 when the clock went backwards).
  uint32_t IdleSeconds(uint32_t now) const {
    const uint32_t idle = (now - lru_) & kLruMask;
    return idle > kLruMask / 2 ? 0 : idle;
  }

  // Persistence's change tracking: a dirty entry is listed for the next seal, and the list
  // holds a pointer to it. So Database does not free a dirty entry it removes: it marks it
  // dead and the list's owner frees it (Entry::Destroy) once the seal has read its key.
  bool dirty() const { return dirty_; }
  void set_dirty(bool on) { dirty_ = on; }
  bool dead() const { return dead_; }
  // Heap bytes of all dead entries (deleted keys whose node waits for the seal): memory a
  // deletion already gave up, which maxmemory eviction does not count (engine/eviction.h).
  static size_t DeadBytes();

  // Cache hint: the entry's first two lines (header, key, start of an inline value).
  void Prefetch() const {
    __builtin_prefetch(this);
    __builtin_prefetch(reinterpret_cast<const char*>(this) + 64);
  }

 private:
  friend class Database;
  static constexpr uint32_t kLruMask = (1u << 24) - 1;
  Entry() = default;
  ~Entry() { FreeValue(); }
  void FreeValue();
  // Hands the collection object over to the caller, leaving an empty string value
  // (Database::Erase with lazy freeing).
  types::Value* DetachObject();
  // Frees the value and marks the entry dead (Database::Release of a dirty entry).
  void MarkDead();
  // Inline room for a value after the key (the allocation's usable size, so whatever the
  // size class gives beyond the request counts too).
  size_t val_cap() const;
  // A value that is not inline (a collection's object, or a string's std::string) is a
  // pointer kept where an inline value would start.
  void* ptr() const {
    void* p;
    std::memcpy(&p, data_ + key_len_, sizeof p);
    return p;
  }
  void set_ptr(void* p) { std::memcpy(data_ + key_len_, &p, sizeof p); }
  std::string* ext() const { return out_ ? static_cast<std::string*>(ptr()) : nullptr; }
  types::Value* obj() const { return static_cast<types::Value*>(ptr()); }
  void set_type(ValueType t) { type_ = static_cast<uint32_t>(t) & 0xF; }

  // 22 bytes in all (checked in entry.cc): a key without a TTL or a collection wastes none.
  int64_t expire_at_ = 0;
  uint32_t volatile_index_ = kNotVolatile;  // position in Database::volatile_
  uint32_t key_len_ = 0;
  uint32_t lru_ : 24 = 0;
  uint32_t type_ : 4 = 0;  // a ValueType
  uint32_t raw_ : 1 = 0;
  uint32_t not_int_ : 1 = 0;   // see MarkNotInt
  uint32_t unshared_ : 1 = 0;  // a COPY's duplicate; see SharedInteger
  uint32_t dirty_ : 1 = 0;     // listed by persistence for the next seal
  uint16_t val_len_ : 14 = 0;  // inline value bytes in use
  uint16_t dead_ : 1 = 0;      // removed from its database while dirty; freed by the list's owner
  uint16_t out_ : 1 = 0;       // a string value held in a std::string (ext())
  char data_[];                // key bytes, then the inline value or the value's pointer
};

}  // namespace tidekv::keyspace
