// Eviction's building blocks (Redis 7.0's evict.c, written anew): the LFU access counter
// that shares Entry's 24-bit access field with the LRU clock, and the eviction pool that
// keeps the best candidates seen by approximated sampling. The engine's eviction loop
// (engine/eviction.cc) samples keys, scores them and evicts the pool's best.
//
// LFU word (when an LFU policy is selected): the high 16 bits are the minute of the last
// decrement (Unix minutes mod 2^16), the low 8 bits a logarithmic counter: it starts at
// kLfuInitVal, an access increments it with probability 1 / ((counter - kLfuInitVal) *
// log_factor + 1), and it loses one per `decay_minutes` minutes since the stored minute.
// Pure functions and one small class: no clock, no keyspace access. Loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tidekv::keyspace {

inline constexpr uint32_t kLfuInitVal = 5;  // a new key's counter (Redis's LFU_INIT_VAL)
inline constexpr uint32_t kLfuMaxCounter = 255;

// Unix minutes, kept mod 2^16 as the LFU word keeps them.
inline uint32_t LfuMinutes(int64_t now_ms) {
  return static_cast<uint32_t>((now_ms / 60'000) & 0xFFFF);
}
inline uint32_t LfuWord(uint32_t minutes, uint32_t counter) {
  return ((minutes & 0xFFFF) << 8) | (counter & 0xFF);
}
// Minutes elapsed from the word's stored minute to `now_minutes` (mod 2^16, as Redis).
uint32_t LfuElapsedMinutes(uint32_t word, uint32_t now_minutes);
// The counter after decay: one less per `decay_minutes` elapsed (0 = no decay), floor 0.
// OBJECT FREQ answers this; it does not write the word back.
uint32_t LfuDecayedCounter(uint32_t word, uint32_t now_minutes, int64_t decay_minutes);
// The logarithmic increment: `r` is a uniform draw in [0, 1).
uint32_t LfuLogIncrement(uint32_t counter, int64_t log_factor, double r);

// The best eviction candidates seen so far, at most kSize, ordered by score (higher = more
// evictable: idle time for LRU, 255 - counter for LFU, the inverse of the expiry time for
// volatile-ttl). Keys are copied (an entry may be deleted before the pool gives it back:
// the caller looks the key up again and skips ghosts). Slot strings are reused, so a warm
// pool allocates nothing.
class EvictionPool {
 public:
  static constexpr size_t kSize = 16;  // Redis's EVPOOL_SIZE

  // Offers a sampled key. A key already pooled gets the new score; a full pool drops its
  // worst candidate for a better one and ignores one no better than its worst.
  void Offer(int db, std::string_view key, uint64_t score);
  // Takes out the best candidate; false when the pool is empty. *key is assigned.
  bool PopBest(int* db, std::string* key);
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }
  // The candidate at position i (0 = worst), for tests.
  uint64_t score(size_t i) const { return slots_[i].score; }
  std::string_view key(size_t i) const { return slots_[i].key; }

 private:
  struct Slot {
    uint64_t score = 0;
    int db = 0;
    std::string key;
  };
  void Remove(size_t i);
  std::array<Slot, kSize> slots_;  // [0, size_) ascending by score
  size_t size_ = 0;
};

}  // namespace tidekv::keyspace
