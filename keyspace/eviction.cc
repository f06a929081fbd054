#include "keyspace/eviction.h"

#include <utility>

namespace tidekv::keyspace {

uint32_t LfuElapsedMinutes(uint32_t word, uint32_t now_minutes) {
  const uint32_t then = (word >> 8) & 0xFFFF;
  now_minutes &= 0xFFFF;
  return now_minutes >= then ? now_minutes - then : 0xFFFF - then + now_minutes;
}

uint32_t LfuDecayedCounter(uint32_t word, uint32_t now_minutes, int64_t decay_minutes) {
  const uint32_t counter = word & 0xFF;
  if (decay_minutes <= 0) return counter;
  const auto periods = static_cast<uint64_t>(LfuElapsedMinutes(word, now_minutes)) /
                       static_cast<uint64_t>(decay_minutes);
  return periods >= counter ? 0 : counter - static_cast<uint32_t>(periods);
}

uint32_t LfuLogIncrement(uint32_t counter, int64_t log_factor, double r) {
  if (counter >= kLfuMaxCounter) return kLfuMaxCounter;
  const double base = counter > kLfuInitVal ? static_cast<double>(counter - kLfuInitVal) : 0.0;
  const double p = 1.0 / (base * static_cast<double>(log_factor) + 1.0);
  return r < p ? counter + 1 : counter;
}

void EvictionPool::Remove(size_t i) {
  // Shift the slots above i down, moving i's string (and its capacity) to the free end.
  for (; i + 1 < size_; i++) std::swap(slots_[i], slots_[i + 1]);
  size_--;
}

void EvictionPool::Offer(int db, std::string_view key, uint64_t score) {
  for (size_t i = 0; i < size_; i++) {
    if (slots_[i].db == db && slots_[i].key == key) {
      Remove(i);
      break;
    }
  }
  if (size_ == kSize) {
    if (score <= slots_[0].score) return;
    Remove(0);  // the worst candidate makes room
  }
  // Insert at its place in ascending order, shifting the better ones up.
  size_t at = size_;
  while (at > 0 && slots_[at - 1].score > score) {
    std::swap(slots_[at], slots_[at - 1]);
    at--;
  }
  Slot& slot = slots_[at];
  slot.score = score;
  slot.db = db;
  slot.key.assign(key);
  size_++;
}

bool EvictionPool::PopBest(int* db, std::string* key) {
  if (size_ == 0) return false;
  Slot& best = slots_[size_ - 1];
  *db = best.db;
  key->assign(best.key);
  size_--;
  return true;
}

}  // namespace tidekv::keyspace
