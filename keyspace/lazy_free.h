// LazyFree: frees large values on a background thread (Redis's lazyfree), so UNLINK of a
// collection with millions of elements costs the loop thread only the key's removal.
//
// The loop thread detaches the value from its entry (the key is gone from that moment, as
// for DEL) and hands it over; one worker thread destroys it. A value is plain owned data
// (types/), and the memory accounting is an atomic counter (engine/memory.cc), so destroying
// it on another thread touches nothing the loop uses. Values whose freeing is cheap (Redis's
// "free effort" of at most kEffortThreshold: one allocation, or few elements) are freed at
// once on the loop thread. The worker starts with the first value handed over; the
// destructor frees whatever is still queued and joins it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "types/value.h"

namespace tidekv::keyspace {

class LazyFree {
 public:
  static constexpr size_t kEffortThreshold = 64;  // Redis's LAZYFREE_THRESHOLD

  LazyFree() = default;
  ~LazyFree();
  LazyFree(const LazyFree&) = delete;
  LazyFree& operator=(const LazyFree&) = delete;

  // The work freeing `value` takes, as Redis counts it: 1 for an encoding that is one
  // allocation (listpack, intset), otherwise about one per element.
  static size_t Effort(types::ValueType type, const types::Value& value);

  // Takes ownership of `value` and destroys it on the worker thread.
  void Submit(types::ValueType type, types::Value* value);
  // Runs `free` on the worker thread: it frees `objects` objects the loop no longer reaches
  // (FLUSHDB / FLUSHALL ASYNC: a whole database's keys), counted as pending until done.
  void SubmitTask(std::function<void()> free, size_t objects);

  // INFO: lazyfree_pending_objects, lazyfreed_objects (CONFIG RESETSTAT clears the latter).
  size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }
  void ResetStats() { freed_.store(0, std::memory_order_relaxed); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::pair<types::ValueType, types::Value*>> queue_;  // guarded by mu_
  std::vector<std::pair<std::function<void()>, size_t>> tasks_;    // guarded by mu_
  bool stopping_ = false;                                          // guarded by mu_
  std::thread worker_;                                             // loop thread only
  std::atomic<size_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
};

}  // namespace tidekv::keyspace
