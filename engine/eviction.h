// Evictor: maxmemory-policy, as Redis 7.0's performEvictions (docs/eviction.md).
//
// Before each client command (and right after CONFIG SET maxmemory) the engine asks the
// evictor to bring used memory (Engine::UsedMemory minus what is not counted: the log
// store's RocksDB memory) under maxmemory. Under noeviction nothing is deleted and
// deny-oom commands answer -OOM; the other policies pick keys and delete them until enough
// memory was freed, then the command runs. -OOM remains the answer only when nothing is
// left to evict (e.g. volatile-* with no key holding a TTL).
//
// Picking: the random policies take a random key (of any or of a volatile key) from the
// databases in turn. LRU, LFU and volatile-ttl sample maxmemory-samples keys per database
// into an EvictionPool (keyspace/eviction.h) and evict its best candidate: the longest idle,
// the lowest decayed LFU counter, the nearest expiry. The pool persists across calls, so
// good candidates found earlier are not lost (Redis's approximated LRU).
//
// Deleting: an eviction is a deletion by the server, exactly as an expiry is: a DEL effect
// (the log, replicas, the trace), the key-deleted event (persistence's dirty set, WATCH),
// then the `evicted` keyspace notification; INFO stats counts evicted_keys. Replicas never
// evict (they follow the primary's DELs, Redis's replica-ignore-maxmemory yes), nor do log
// replay, a script in progress or commands inside EXEC (EXEC evicted before it started).
//
// Time: one pass stops after maxmemory-eviction-tenacity's limit (500 us at the default 10);
// the command then runs anyway and the server's cron continues the work (Redis's
// evictionTimeProc). Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "keyspace/entry.h"
#include "keyspace/eviction.h"

namespace tidekv::config {
struct Config;
}

namespace tidekv::engine {

class Engine;

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};
// The maxmemory-policy name's policy (nullopt: not one).
std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name);

// What a pass achieved (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
enum class EvictResult : uint8_t {
  kOk,       // under the limit (or nothing to do here)
  kRunning,  // still over, out of time for this pass: the cron goes on with it
  kFail,     // over the limit and nothing more can be evicted (or noeviction)
};

class Evictor {
 public:
  explicit Evictor(Engine& engine) : engine_(engine) {}

  // Reads the eviction options (after start-up and every CONFIG SET).
  void Configure(const config::Config& config);
  EvictionPolicy policy() const { return policy_; }
  bool lfu() const {
    return policy_ == EvictionPolicy::kAllKeysLfu || policy_ == EvictionPolicy::kVolatileLfu;
  }
  // Redis's MAXMEMORY_FLAG_NO_SHARED_INTEGERS: an LRU or LFU policy with a limit set keeps
  // an access time per key, so small integers are not shared objects (OBJECT REFCOUNT).
  bool per_key_access() const;

  // Evicts until used memory is under maxmemory, nothing is left to evict, or the pass is
  // out of time.
  EvictResult Perform();
  // A pass ran out of time and memory may still be over the limit (the cron continues).
  bool running() const { return running_; }
  // The latest pass ended in kFail: deny-oom commands are refused (Engine::OverMaxmemory).
  bool failed() const { return failed_; }

  // Bytes used memory is over the limit by, counting only what eviction may free: 0 when
  // under it or with no limit.
  size_t BytesOverLimit() const;

  // An access under an LFU policy: the decayed counter, incremented logarithmically, stamped
  // with the current minute (`now_minutes`, keyspace::LfuMinutes).
  uint32_t LfuAccess(uint32_t word, uint32_t now_minutes);
  int64_t lfu_decay_time() const { return lfu_decay_time_; }

  uint64_t evicted_keys() const { return evicted_keys_; }
  void ResetStats() { evicted_keys_ = 0; }

 private:
  // Perform without the bookkeeping of its result.
  EvictResult Pass();
  // The next key to evict, as (db, key); false when there is none.
  bool PickVictim(int* db, std::string* key);
  bool PickFromPool(int* db, std::string* key);
  bool PickRandom(int* db, std::string* key);
  // The pool score of an entry under the policy (higher = evict sooner).
  uint64_t Score(const keyspace::Entry& entry) const;
  bool volatile_only() const;
  // Microseconds one pass may take (Redis's evictionTimeLimitUs); 0 = unlimited.
  uint64_t TimeLimitUs() const;

  Engine& engine_;
  EvictionPolicy policy_ = EvictionPolicy::kNoEviction;
  size_t samples_ = 5;
  int64_t tenacity_ = 10;
  int64_t lfu_log_factor_ = 10;
  int64_t lfu_decay_time_ = 1;
  keyspace::EvictionPool pool_;
  // Eviction's own random source: sampling and LFU increments never move the sequence
  // commands draw from (trace replay reproduces those).
  std::mt19937_64 rng_{0x65766963'74696f6eull};
  int next_db_ = 0;  // where the random policies look first
  bool running_ = false;
  bool failed_ = false;
  uint64_t evicted_keys_ = 0;
  std::string victim_;
};

}  // namespace tidekv::engine
