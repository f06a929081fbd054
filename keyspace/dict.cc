#include "keyspace/dict.h"

#include <absl/hash/hash.h>

#include "common/check.h"

namespace tidekv::keyspace {

uint64_t HashKey(std::string_view key) {
  // absl's hash is fast on short keys and seeded per process, which keeps hostile key sets
  // from forcing long probe runs.
  // Through absl::string_view: Debian's absl has its own string_view type, and hashing
  // std::string_view would fall back to std::hash and then mix again.
  return absl::Hash<absl::string_view>{}(absl::string_view(key.data(), key.size()));
}

Entry* Dict::Find(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return nullptr;
  const size_t m = mask();
  const uintptr_t tag = Tag(hash);
  for (size_t i = hash & m;; i = (i + 1) & m) {
    uintptr_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s & ~kPtrMask) == tag) {
      Entry* e = Unpack(s);
      if (e->hash() == hash && e->key() == key) return e;
    }
  }
}

void Dict::InsertNoGrow(uintptr_t packed, uint64_t hash) {
  const size_t m = mask();
  for (size_t i = hash & m;; i = (i + 1) & m) {
    if (slots_[i] == 0) {
      slots_[i] = packed;
      return;
    }
  }
}

void Dict::Insert(Entry* entry) {
  if (slots_.empty()) {
    Resize(8);
  } else if ((size_ + 1) * 4 > slots_.size() * 3) {
    Resize(slots_.size() * 2);
  }
  InsertNoGrow(Pack(entry), entry->hash());
  size_++;
}

Entry* Dict::Remove(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  const size_t m = mask();
  const uintptr_t tag = Tag(hash);
  size_t i = hash & m;
  Entry* found = nullptr;
  for (;; i = (i + 1) & m) {
    uintptr_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s & ~kPtrMask) == tag) {
      Entry* e = Unpack(s);
      if (e->hash() == hash && e->key() == key) {
        found = e;
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

void Dict::Clear() {
  std::vector<uintptr_t>().swap(slots_);
  size_ = 0;
}

void Dict::Resize(size_t new_capacity) {
  TIDEKV_CHECK((new_capacity & (new_capacity - 1)) == 0);
  std::vector<uintptr_t> old(new_capacity, 0);
  old.swap(slots_);
  for (uintptr_t s : old) {
    if (s != 0) InsertNoGrow(s, Unpack(s)->hash());
  }
}

Entry* Dict::SlotAfter(uint64_t random) const {
  if (size_ == 0) return nullptr;
  const size_t m = mask();
  for (size_t i = random & m;; i = (i + 1) & m) {
    if (slots_[i] != 0) return Unpack(slots_[i]);
  }
}

}  // namespace tidekv::keyspace
