// Dict: the keyspace's hash table, open addressing with linear probing over Entry pointers.
//
// Why not absl::flat_hash_map: SCAN must return every key that exists for the whole scan
// even when the table grows or shrinks between calls, and RANDOMKEY / active expiry need
// random slots. Both need the slot layout, which absl hides. This table is small: 8 bytes a
// slot, the top 16 bits of each pointer hold hash bits so a probe rarely dereferences a
// non-matching entry, deletion shifts the cluster back (no tombstones), capacity is a power
// of two kept between 1/8 and 3/4 full. Resizing rehashes at once (cost: one pass over the
// slots; a 5M-key table takes ~0.1 s).
//
// SCAN uses Redis's reverse-binary cursor over *home* buckets (hash & mask): the cursor
// visits home buckets in an order that stays valid across doublings and halvings, and for
// each home bucket it reports the entries whose home it is (they sit in the probe run that
// starts there). Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "keyspace/entry.h"

namespace tidekv::keyspace {

uint64_t HashKey(std::string_view key);

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

class Dict {
 public:
  Dict() = default;
  ~Dict() = default;  // does not free entries: the owner (Database) does
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  size_t SlotBytes() const { return slots_.capacity() * sizeof(uintptr_t); }

  Entry* Find(std::string_view key, uint64_t hash) const;
  // Inserts an entry whose key is known to be absent.
  void Insert(Entry* entry);
  // Removes the entry with this key and returns it (nullptr when absent).
  Entry* Remove(std::string_view key, uint64_t hash);
  // Forgets all entries (does not free them) and releases the slots.
  void Clear();

  // Calls fn(Entry*) for the entries whose home bucket is the cursor's, advancing until at
  // least `count` buckets were visited or the scan wrapped. Returns the next cursor (0 when
  // the scan is complete).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // The entry in the first occupied slot at or after a random position, or nullptr when
  // empty. Not uniform (an entry after a run of empty slots is likelier), like Redis's
  // dictGetRandomKey is not. `random` is any random 64-bit number.
  Entry* SlotAfter(uint64_t random) const;

  // Cache hints for pipelined requests (Connection batches them): first the key's home
  // slot, then, once that line has arrived, the entry it points to.
  void PrefetchSlot(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask()]);
  }
  void PrefetchEntry(uint64_t hash) const {
    if (slots_.empty()) return;
    uintptr_t s = slots_[hash & mask()];
    if (s != 0 && (s & ~kPtrMask) == Tag(hash)) Unpack(s)->Prefetch();
  }

  // Every entry, in slot order (FLUSHDB, KEYS). fn may not modify the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uintptr_t s : slots_) {
      if (s != 0) fn(Unpack(s));
    }
  }

 private:
  static constexpr uintptr_t kPtrMask = (uintptr_t{1} << 48) - 1;
  static uintptr_t Tag(uint64_t hash) { return (hash >> 48) << 48; }
  static uintptr_t Pack(Entry* e) { return reinterpret_cast<uintptr_t>(e) | Tag(e->hash()); }
  static Entry* Unpack(uintptr_t s) { return reinterpret_cast<Entry*>(s & kPtrMask); }

  size_t mask() const { return slots_.size() - 1; }
  void Resize(size_t new_capacity);
  void InsertNoGrow(uintptr_t packed, uint64_t hash);
  // Visits entries whose home bucket is `bucket`.
  template <typename Fn>
  void VisitHome(size_t bucket, Fn&& fn) const;

  std::vector<uintptr_t> slots_;  // 0 = empty
  size_t size_ = 0;
};

template <typename Fn>
void Dict::VisitHome(size_t bucket, Fn&& fn) const {
  const size_t m = mask();
  for (size_t i = bucket;; i = (i + 1) & m) {
    uintptr_t s = slots_[i];
    if (s == 0) return;
    Entry* e = Unpack(s);
    if ((e->hash() & m) == bucket) fn(e);
    if (((i + 1) & m) == bucket) return;  // full wrap (cannot happen below 3/4 load)
  }
}

template <typename Fn>
uint64_t Dict::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (size_ == 0) return 0;
  const uint64_t m = mask();
  size_t visited = 0;
  do {
    VisitHome(cursor & m, fn);
    // Reverse-binary increment over the masked bits: set the unmasked high bits, reverse,
    // add one, reverse back (the cursor order Redis's dictScan uses).
    cursor |= ~m;
    cursor = ReverseBits(cursor);
    cursor++;
    cursor = ReverseBits(cursor);
  } while (cursor != 0 && ++visited < count);
  return cursor;
}

}  // namespace tidekv::keyspace
