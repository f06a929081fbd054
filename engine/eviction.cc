#include "engine/eviction.h"

#include <climits>
#include <cmath>

#include "config/config.h"
#include "engine/engine.h"
#include "engine/notify.h"

namespace tidekv::engine {

using keyspace::Database;
using keyspace::Entry;

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  static constexpr std::pair<std::string_view, EvictionPolicy> kNames[] = {
      {"noeviction", EvictionPolicy::kNoEviction},
      {"allkeys-lru", EvictionPolicy::kAllKeysLru},
      {"allkeys-lfu", EvictionPolicy::kAllKeysLfu},
      {"allkeys-random", EvictionPolicy::kAllKeysRandom},
      {"volatile-lru", EvictionPolicy::kVolatileLru},
      {"volatile-lfu", EvictionPolicy::kVolatileLfu},
      {"volatile-random", EvictionPolicy::kVolatileRandom},
      {"volatile-ttl", EvictionPolicy::kVolatileTtl},
  };
  for (const auto& [text, policy] : kNames) {
    if (text == name) return policy;
  }
  return std::nullopt;
}

void Evictor::Configure(const config::Config& config) {
  const EvictionPolicy policy =
      ParseEvictionPolicy(config.maxmemory_policy).value_or(EvictionPolicy::kNoEviction);
  // Scores of another policy mean nothing under this one.
  if (policy != policy_) pool_.Clear();
  policy_ = policy;
  samples_ = static_cast<size_t>(std::max<int64_t>(1, config.maxmemory_samples));
  tenacity_ = config.maxmemory_eviction_tenacity;
  lfu_log_factor_ = config.lfu_log_factor;
  lfu_decay_time_ = config.lfu_decay_time;
  if (config.maxmemory == 0) running_ = failed_ = false;
}

bool Evictor::per_key_access() const {
  return engine_.config().maxmemory > 0 && policy_ != EvictionPolicy::kNoEviction &&
         policy_ != EvictionPolicy::kAllKeysRandom && policy_ != EvictionPolicy::kVolatileRandom &&
         policy_ != EvictionPolicy::kVolatileTtl;
}

bool Evictor::volatile_only() const {
  return policy_ == EvictionPolicy::kVolatileLru || policy_ == EvictionPolicy::kVolatileLfu ||
         policy_ == EvictionPolicy::kVolatileRandom || policy_ == EvictionPolicy::kVolatileTtl;
}

size_t Evictor::BytesOverLimit() const {
  const int64_t limit = engine_.config().maxmemory;
  if (limit <= 0) return 0;
  const size_t used = Engine::UsedMemory();
  const size_t not_counted = engine_.memory_not_counted_for_evict();
  const size_t counted = used > not_counted ? used - not_counted : 0;
  return counted > static_cast<size_t>(limit) ? counted - static_cast<size_t>(limit) : 0;
}

uint64_t Evictor::TimeLimitUs() const {
  // Redis's evictionTimeLimitUs: linear up to 500 us at 10, then +15% a step, 100 = none.
  if (tenacity_ <= 10) return 50 * static_cast<uint64_t>(std::max<int64_t>(tenacity_, 0));
  if (tenacity_ < 100) {
    return static_cast<uint64_t>(500.0 * std::pow(1.15, static_cast<double>(tenacity_ - 10)));
  }
  return 0;
}

uint32_t Evictor::LfuAccess(uint32_t word, uint32_t now_minutes) {
  uint32_t counter = keyspace::LfuDecayedCounter(word, now_minutes, lfu_decay_time_);
  const double r = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  counter = keyspace::LfuLogIncrement(counter, lfu_log_factor_, r);
  return keyspace::LfuWord(now_minutes, counter);
}

uint64_t Evictor::Score(const Entry& entry) const {
  switch (policy_) {
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return keyspace::kLfuMaxCounter -
             keyspace::LfuDecayedCounter(entry.lru(), engine_.lfu_minutes(), lfu_decay_time_);
    case EvictionPolicy::kVolatileTtl:
      // The sooner it expires, the better a candidate.
      return ULLONG_MAX - static_cast<uint64_t>(entry.expire_at());
    default:
      return entry.IdleSeconds(engine_.lru_clock());
  }
}

bool Evictor::PickFromPool(int* db, std::string* key) {
  keyspace::Keyspace& ks = engine_.keyspace();
  const bool only_volatile = volatile_only();
  for (;;) {
    size_t keys = 0;
    for (int i = 0; i < ks.num_databases(); i++) {
      const Database& d = ks.db(i);
      const size_t n = only_volatile ? d.volatile_size() : d.size();
      if (n == 0) continue;
      keys += n;
      d.SampleKeys(only_volatile, samples_, rng_,
                   [&](const Entry* e) { pool_.Offer(i, e->key(), Score(*e)); });
    }
    if (keys == 0) return false;
    // The best candidate still present (a pooled key may have gone or lost its TTL since).
    while (pool_.PopBest(db, key)) {
      const Entry* e = ks.db(*db).Peek(*key, INT64_MIN);
      if (e != nullptr && (!only_volatile || e->HasExpiry())) return true;
    }
  }
}

bool Evictor::PickRandom(int* db, std::string* key) {
  keyspace::Keyspace& ks = engine_.keyspace();
  const bool only_volatile = volatile_only();
  const int n = ks.num_databases();
  for (int tries = 0; tries < n; tries++) {
    const int i = next_db_;
    next_db_ = (next_db_ + 1) % n;
    bool found = false;
    ks.db(i).SampleKeys(only_volatile, 1, rng_, [&](const Entry* e) {
      key->assign(e->key());
      found = true;
    });
    if (found) {
      *db = i;
      return true;
    }
  }
  return false;
}

bool Evictor::PickVictim(int* db, std::string* key) {
  if (policy_ == EvictionPolicy::kAllKeysRandom || policy_ == EvictionPolicy::kVolatileRandom) {
    return PickRandom(db, key);
  }
  return PickFromPool(db, key);
}

EvictResult Evictor::Perform() {
  // The latency monitor's eviction-cycle (timed only while the monitor is on).
  const bool timed = engine_.latency().threshold_ms() > 0;
  const int64_t start_ns = timed ? engine_.clock().MonotonicNs() : 0;
  const EvictResult result = Pass();
  if (timed) {
    engine_.ReportLatency("eviction-cycle", (engine_.clock().MonotonicNs() - start_ns) / 1'000'000);
  }
  failed_ = result == EvictResult::kFail;
  running_ = result == EvictResult::kRunning;
  return result;
}

EvictResult Evictor::Pass() {
  // Replicas follow their primary's DELs; nothing may change under a running script or
  // while CLIENT PAUSE holds writes.
  if (engine_.keyspace().replica_mode() || engine_.script_running() || engine_.pause().active()) {
    return EvictResult::kOk;
  }
  const size_t to_free = BytesOverLimit();
  if (to_free == 0) return EvictResult::kOk;
  if (policy_ == EvictionPolicy::kNoEviction) return EvictResult::kFail;
  const Clock& clock = engine_.clock();
  const int64_t start_ns = clock.MonotonicNs();
  const uint64_t limit_us = TimeLimitUs();
  size_t freed = 0;
  uint64_t evicted = 0;
  while (freed < to_free) {
    int db = 0;
    if (!PickVictim(&db, &victim_)) return EvictResult::kFail;
    Entry* e = engine_.keyspace().db(db).Peek(victim_, INT64_MIN);
    freed += engine_.EvictKey(db, e, victim_);
    evicted_keys_++;
    // Now and then: memory may have dropped by other means, and time may be up.
    if (++evicted % 16 == 0) {
      if (BytesOverLimit() == 0) break;
      if (limit_us != 0 &&
          static_cast<uint64_t>(clock.MonotonicNs() - start_ns) / 1000 > limit_us) {
        return EvictResult::kRunning;
      }
    }
  }
  return EvictResult::kOk;
}

size_t Engine::EvictKey(int db, Entry* entry, std::string_view key) {
  // A deletion by the server, as an expiry: DEL for the log, replicas and the trace; the key
  // event for persistence and WATCH; then the notification (Redis's order: delete, signal,
  // notify). The entry goes first so that persistence lists the key by name and its node is
  // freed now unless a seal still needs it.
  const std::string_view argv[] = {"DEL", key};
  EmitEffect(nullptr, db, argv);
  const bool timed = latency_.threshold_ms() > 0;  // the latency monitor's eviction-del
  const int64_t start_ns = timed ? clock_.MonotonicNs() : 0;
  const size_t before = CountedMemory();
  keyspace_.db(db).Erase(entry);
  const size_t after = CountedMemory();
  if (timed) ReportLatency("eviction-del", (clock_.MonotonicNs() - start_ns) / 1'000'000);
  NotifyKey(db, key, nullptr);
  notifier_->Evicted(db, key);
  RecordExpiry(db, argv);
  return before > after ? before - after : 0;
}

size_t Engine::CountedMemory() const {
  const size_t used = UsedMemory();
  const size_t not_counted = memory_not_counted_for_evict();
  return used > not_counted ? used - not_counted : 0;
}

}  // namespace tidekv::engine
