// ScanTable<Node>: a hash table of Node pointers (open addressing, linear probing) that
// supports Redis's SCAN guarantee and random picks. The keyspace's Dict is
// ScanTable<Entry>; hash and set values with many members can reuse it.
//
// Why not absl::flat_hash_map: SCAN must return every node that exists for the whole scan
// even when the table grows or shrinks between calls, and RANDOMKEY / SPOP / active expiry
// need random slots. Both need the slot layout, which absl hides. This table is small: 8
// bytes a slot, the top 16 bits of each pointer hold hash bits so a probe rarely
// dereferences a non-matching node, deletion shifts the cluster back (no tombstones),
// capacity is a power of two kept between 1/8 and 3/4 full. Resizing rehashes at once
// (cost: one pass over the slots; a 5M-node table takes ~0.1 s).
//
// SCAN uses Redis's reverse-binary cursor over *home* buckets (hash & mask): the cursor
// visits home buckets in an order that stays valid across doublings and halvings, and for
// each home bucket it reports the nodes whose home it is (they sit in the probe run that
// starts there).
//
// The table never owns its nodes: whoever inserts them frees them. A Node is any type with
// `std::string_view key() const` and `uint64_t hash() const`, stored or computed from the key
// (the hash must not change while the node is in the table, and nodes must live at user-space
// addresses below 2^48, as heap objects on x86-64 and AArch64 do); an optional `void Prefetch()
// const` is used by PrefetchEntry. Not thread-safe: one thread owns a table.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "ds/hash.h"

namespace tidekv::ds {

// Bit i of v moves to bit 63-i (the SCAN cursor's increment works on reversed bits).
inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

template <typename Node>
concept ScanTableNode = requires(const Node& n) {
  { n.key() } -> std::convertible_to<std::string_view>;
  { n.hash() } -> std::same_as<uint64_t>;
};

template <typename Node>
class ScanTable {
  static_assert(ScanTableNode<Node>, "Node needs key() and hash()");

 public:
  ScanTable() = default;
  ~ScanTable() = default;  // does not free nodes: the owner does
  ScanTable(const ScanTable&) = delete;
  ScanTable& operator=(const ScanTable&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  size_t SlotBytes() const { return slots_.capacity() * sizeof(uintptr_t); }

  Node* Find(std::string_view key, uint64_t hash) const;
  // Inserts a node whose key is known to be absent (hash: its key's, when the caller has it).
  void Insert(Node* node) { Insert(node, node->hash()); }
  void Insert(Node* node, uint64_t hash);
  // Removes the node with this key and returns it (nullptr when absent).
  Node* Remove(std::string_view key, uint64_t hash);
  // Forgets all nodes (does not free them) and releases the slots.
  void Clear();
  // Exchanges the contents with `other` (FLUSHALL ASYNC hands the whole table away at once).
  void Swap(ScanTable& other) noexcept {
    slots_.swap(other.slots_);
    std::swap(size_, other.size_);
  }

  // Calls fn(Node*) for the nodes whose home bucket is the cursor's, advancing until at
  // least `count` buckets were visited or the scan wrapped. Returns the next cursor (0 when
  // the scan is complete). fn may not modify the table.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // The node in the first occupied slot at or after a random position, or nullptr when
  // empty. Not uniform (a node after a run of empty slots is likelier), like Redis's
  // dictGetRandomKey is not. `random` is any random 64-bit number.
  Node* SlotAfter(uint64_t random) const;
  // Grows the slots at once for n nodes in all (bulk loads: one resize instead of many).
  void Reserve(size_t n) {
    size_t capacity = slots_.empty() ? 8 : slots_.size();
    while (n * 4 > capacity * 3) capacity *= 2;
    if (capacity > slots_.size()) Resize(capacity);
  }
  // A node drawn uniformly (every node equally likely), or nullptr when empty: random slots
  // until an occupied one (the table is at least 1/8 full, so a few tries), falling back to
  // SlotAfter after many misses. For HRANDFIELD/SRANDMEMBER/SPOP, whose picks Redis keeps
  // fair (dictGetFairRandomKey). rng() returns random 64-bit numbers.
  template <typename Rng>
  Node* FairRandom(Rng& rng) const {
    if (size_ == 0) return nullptr;
    for (int tries = 0; tries < 64; tries++) {
      const uintptr_t s = slots_[rng() & mask()];
      if (s != 0) return Unpack(s);
    }
    return SlotAfter(rng());
  }

  // Cache hints for pipelined requests: first the key's home slot, then, once that line has
  // arrived, the node it points to (when Node has Prefetch()).
  void PrefetchSlot(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask()]);
  }
  void PrefetchEntry(uint64_t hash) const {
    if constexpr (requires(const Node* n) { n->Prefetch(); }) {
      if (slots_.empty()) return;
      uintptr_t s = slots_[hash & mask()];
      if (s != 0 && (s & ~kPtrMask) == Tag(hash)) Unpack(s)->Prefetch();
    }
  }

  // Every node, in slot order. fn may not modify the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uintptr_t s : slots_) {
      if (s != 0) fn(Unpack(s));
    }
  }

 private:
  static constexpr uintptr_t kPtrMask = (uintptr_t{1} << 48) - 1;
  static uintptr_t Tag(uint64_t hash) { return (hash >> 48) << 48; }
  static uintptr_t Pack(Node* n, uint64_t hash) {
    return reinterpret_cast<uintptr_t>(n) | Tag(hash);
  }
  static Node* Unpack(uintptr_t s) { return reinterpret_cast<Node*>(s & kPtrMask); }

  size_t mask() const { return slots_.size() - 1; }
  void Resize(size_t new_capacity);
  void InsertNoGrow(uintptr_t packed, uint64_t hash);
  // Visits nodes whose home bucket is `bucket`.
  template <typename Fn>
  void VisitHome(size_t bucket, Fn&& fn) const;

  std::vector<uintptr_t> slots_;  // 0 = empty
  size_t size_ = 0;
};

template <typename Node>
Node* ScanTable<Node>::Find(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return nullptr;
  const size_t m = mask();
  const uintptr_t tag = Tag(hash);
  for (size_t i = hash & m;; i = (i + 1) & m) {
    uintptr_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s & ~kPtrMask) == tag) {
      // The tag matched: compare keys (a node may compute its hash rather than store it).
      Node* n = Unpack(s);
      if (n->key() == key) return n;
    }
  }
}

template <typename Node>
void ScanTable<Node>::InsertNoGrow(uintptr_t packed, uint64_t hash) {
  const size_t m = mask();
  for (size_t i = hash & m;; i = (i + 1) & m) {
    if (slots_[i] == 0) {
      slots_[i] = packed;
      return;
    }
  }
}

template <typename Node>
void ScanTable<Node>::Insert(Node* node, uint64_t hash) {
  if (slots_.empty()) {
    Resize(8);
  } else if ((size_ + 1) * 4 > slots_.size() * 3) {
    Resize(slots_.size() * 2);
  }
  InsertNoGrow(Pack(node, hash), hash);
  size_++;
}

template <typename Node>
Node* ScanTable<Node>::Remove(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  const size_t m = mask();
  const uintptr_t tag = Tag(hash);
  size_t i = hash & m;
  Node* found = nullptr;
  for (;; i = (i + 1) & m) {
    uintptr_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s & ~kPtrMask) == tag) {
      Node* n = Unpack(s);
      if (n->key() == key) {
        found = n;
        break;
      }
    }
  }
  // Backward-shift deletion: move later members of the run into the hole when the hole
  // lies on their probe path (between their home and their current slot, cyclically).
  size_t hole = i;
  for (size_t j = (hole + 1) & m;; j = (j + 1) & m) {
    uintptr_t s = slots_[j];
    if (s == 0) break;
    size_t home = Unpack(s)->hash() & m;
    // The hole is on j's probe path when j is at least as far from its home as from the
    // hole (distances taken cyclically).
    if (((j - home) & m) >= ((j - hole) & m)) {
      slots_[hole] = s;
      hole = j;
    }
  }
  slots_[hole] = 0;
  size_--;
  if (slots_.size() > 64 && size_ * 8 < slots_.size()) Resize(slots_.size() / 2);
  return found;
}

template <typename Node>
void ScanTable<Node>::Clear() {
  std::vector<uintptr_t>().swap(slots_);
  size_ = 0;
}

template <typename Node>
void ScanTable<Node>::Resize(size_t new_capacity) {
  TIDEKV_CHECK((new_capacity & (new_capacity - 1)) == 0);
  std::vector<uintptr_t> old(new_capacity, 0);
  old.swap(slots_);
  // Nodes may compute their hash from their key: fetch them a few slots ahead.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < old.size(); i++) {
    if (i + kAhead < old.size() && old[i + kAhead] != 0)
      __builtin_prefetch(Unpack(old[i + kAhead]));
    if (old[i] != 0) InsertNoGrow(old[i], Unpack(old[i])->hash());
  }
}

template <typename Node>
Node* ScanTable<Node>::SlotAfter(uint64_t random) const {
  if (size_ == 0) return nullptr;
  const size_t m = mask();
  for (size_t i = random & m;; i = (i + 1) & m) {
    if (slots_[i] != 0) return Unpack(slots_[i]);
  }
}

template <typename Node>
template <typename Fn>
void ScanTable<Node>::VisitHome(size_t bucket, Fn&& fn) const {
  const size_t m = mask();
  for (size_t i = bucket;; i = (i + 1) & m) {
    uintptr_t s = slots_[i];
    if (s == 0) return;
    Node* n = Unpack(s);
    if ((n->hash() & m) == bucket) fn(n);
    if (((i + 1) & m) == bucket) return;  // full wrap (cannot happen below 3/4 load)
  }
}

template <typename Node>
template <typename Fn>
uint64_t ScanTable<Node>::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
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

}  // namespace tidekv::ds
