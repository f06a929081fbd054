// Keyspace: the in-memory databases (SELECT 0..N-1), their keys, values and expiries.
//
// Owned by the Engine and touched only on the loop thread (DESIGN.md §1). Expiry is lazy
// (a lookup that finds an expired key deletes it) plus active (ActiveExpireCycle samples
// keys that have a TTL, like Redis's hz-driven cycle). Every removal caused by expiry goes
// through one place, so it can later be propagated as DEL (DESIGN.md §3).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "keyspace/dict.h"
#include "keyspace/entry.h"
#include "keyspace/lazy_free.h"

namespace tidekv {
class Clock;
}

namespace tidekv::keyspace {

class Keyspace;

class Database {
 public:
  Database(Keyspace* owner, int index) : owner_(owner), index_(index) {}
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int index() const { return index_; }
  size_t size() const { return dict_.size(); }
  size_t volatile_size() const { return volatile_.size(); }
  const Dict& dict() const { return dict_; }

  // The live entry for key, or nullptr. An expired entry is deleted on the way (lazy expiry).
  Entry* Find(std::string_view key, int64_t now_ms);
  // Like Find but never deletes: an expired entry is reported as absent and left in place
  // (used where Redis must not modify the keyspace, e.g. on a replica or in DEBUG).
  Entry* Peek(std::string_view key, int64_t now_ms) const;

  // The entry the latest Find or Insert returned, while it is in this database (nullptr
  // after it left). A hint for bookkeeping right after a command: compare its key.
  Entry* last_touched() const { return last_touched_; }

  // Creates key (which must be absent or expired) with an empty string value, no expiry,
  // and inline room for a value of value_capacity bytes (see Entry::SetString).
  Entry* Insert(std::string_view key, int64_t now_ms, size_t value_capacity = 0);
  // Returns the live entry or a fresh one; *created says which.
  Entry* FindOrInsert(std::string_view key, int64_t now_ms, bool* created);

  // Batch loading, with the key's HashKey computed ahead (its slot prefetched by
  // PrefetchSlot a few keys earlier): the entry whatever its expiry, or nullptr; and the
  // creation of a key the caller knows is absent (no lookup first).
  Entry* PeekHashed(std::string_view key, uint64_t hash) const { return dict_.Find(key, hash); }
  Entry* InsertAbsent(std::string_view key, uint64_t hash, size_t value_capacity);
  void PrefetchSlot(uint64_t hash) const { dict_.PrefetchSlot(hash); }
  void Reserve(size_t keys) { dict_.Reserve(keys); }

  // Deletes the key if it exists (expired or not). Returns whether it was live. With `lazy`
  // (UNLINK), a live value that is costly to free goes to the LazyFree thread.
  bool Erase(std::string_view key, int64_t now_ms, bool lazy = false);
  void Erase(Entry* entry);

  // Sets the absolute expiry in Unix ms (0 removes it).
  void SetExpire(Entry* entry, int64_t at_ms);

  // Removes every key. With `lazy` (FLUSHDB / FLUSHALL ASYNC), a database of more than
  // LazyFree::kEffortThreshold keys is handed whole to the LazyFree thread: the keys are
  // gone at once and their memory is freed there.
  void Clear(bool lazy = false);

  // A random live key (RANDOMKEY), or nullptr when the database holds none.
  Entry* RandomEntry(int64_t now_ms);

  // Eviction sampling (engine/eviction.cc): calls f(Entry*) for `count` keys drawn at random
  // (a key may come twice; expired keys still in place count), from every key or only from
  // those with a TTL. Draws from `rng`, never from the commands' source.
  template <typename Rng, typename F>
  void SampleKeys(bool volatile_only, size_t count, Rng& rng, F&& f) const {
    for (size_t i = 0; i < count; i++) {
      if (volatile_only) {
        if (volatile_.empty()) return;
        f(volatile_[rng() % volatile_.size()]);
      } else {
        Entry* e = dict_.FairRandom(rng);
        if (e == nullptr) return;
        f(e);
      }
    }
  }

  // Deletes every key and hash field expired at now_ms (after recovery, which applies
  // frames at time 0).
  size_t ExpireAll(int64_t now_ms);

  // Samples keys with a TTL and deletes the expired ones until `deadline_ns` (monotonic) or
  // until few sampled keys are expired. Returns how many keys were deleted.
  size_t ActiveExpire(int64_t now_ms, int64_t deadline_ns, const Clock& clock);

  // Hash field expiry (HEXPIRE; keyspace/field_expiry.cc). Hashes with field expiries are
  // tracked by name so the active cycle finds them; TrackFieldExpiry is a no-op for any
  // other entry, and a tracked key that changed or left is forgotten when next visited.
  void TrackFieldExpiry(Entry* entry);
  size_t field_expiry_keys() const { return field_keys_.size(); }
  // Deletes the entry's fields whose time is <= now_ms (all of them), telling the observer,
  // and the key with its last field. Returns whether the key was deleted. Find calls it.
  bool ExpireFields(Entry* entry, int64_t now_ms);
  // Walks the tracked hashes from where the last walk stopped, deleting due fields, until
  // every tracked hash was visited once or `deadline_ns` passed on `clock` (no clock: no
  // deadline). Returns fields deleted.
  size_t ActiveExpireFields(int64_t now_ms, int64_t deadline_ns, const Clock* clock);

 private:
  friend class Keyspace;
  void Unlink(Entry* entry);
  // Frees an entry that left the dict, unless persistence still lists it (Entry::dirty).
  void Release(Entry* entry);
  void ExpireNow(Entry* entry);

  Keyspace* owner_;
  int index_;
  Dict dict_;
  std::vector<Entry*> volatile_;  // entries with a TTL; Entry::volatile_index_ points here
  // Hashes that had field expiries when last seen (names: entries come and go).
  std::vector<std::string> field_keys_;
  std::unordered_set<std::string> field_key_set_;
  size_t field_cursor_ = 0;
  Entry* last_touched_ = nullptr;
};

// Told about changes the command path cannot describe as effects: keys removed because they
// expired (the engine turns them into DEL effects) and whole databases about to be emptied
// or swapped (persistence marks their keys for the next seal).
class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void OnExpired(int db, std::string_view key) = 0;
  // Hash fields removed because their expiry passed (the engine turns them into HDEL
  // effects). Called after they left the hash and, when key_deleted, before the key goes.
  virtual void OnFieldsExpired(int db, Entry* entry, std::span<const std::string> fields,
                               bool key_deleted) = 0;
  // Called before every key of `db` goes away or changes at once (FLUSHDB, FLUSHALL); for
  // SWAPDB also with the other database's index, because each key then changes in both.
  virtual void OnWholeDatabase(const Database& db, int other_index = -1) = 0;
};

// Counters the INFO command reports.
struct KeyspaceStats {
  uint64_t expired_keys = 0;     // keys removed because their TTL passed
  uint64_t expired_subkeys = 0;  // hash fields removed because their expiry passed
  uint64_t expire_cycles = 0;    // active expiry cycles run
  uint64_t expire_cycle_time_us = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
};

class Keyspace {
 public:
  explicit Keyspace(int num_databases);
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  int num_databases() const { return static_cast<int>(dbs_.size()); }
  Database& db(int index) { return *dbs_[static_cast<size_t>(index)]; }
  const Database& db(int index) const { return *dbs_[static_cast<size_t>(index)]; }

  size_t TotalKeys() const;
  void ClearAll(bool lazy = false);

  // Swaps the contents of two databases (SWAPDB).
  void Swap(int a, int b);

  KeyspaceStats& stats() { return stats_; }
  LazyFree& lazy_free() { return lazy_free_; }
  void set_observer(KeyspaceObserver* observer) { observer_ = observer; }
  KeyspaceObserver* observer() const { return observer_; }
  // The engine's seeded random source (types::Rng), which commands draw from (RANDOMKEY).
  std::mt19937_64& rng() { return types::Rng(); }

  // Whether the active cycle (and RANDOMKEY) may delete expired keys: DEBUG
  // SET-ACTIVE-EXPIRE. Lookups always delete an expired key they find.
  bool active_expire_enabled() const { return active_expire_enabled_; }
  void set_active_expire_enabled(bool on) { active_expire_enabled_ = on; }

  // The access word a new key starts with (Entry::lru): the LRU clock's seconds, or under
  // an LFU policy a fresh counter (keyspace/eviction.h). The engine keeps it current.
  void set_new_key_access(uint32_t word) { new_key_access_ = word; }
  uint32_t new_key_access() const { return new_key_access_; }

  // On a replica, keys expire only by the primary's DEL frames: lookups report an expired
  // key as absent without deleting it, and the active cycle does nothing (as in Redis).
  bool replica_mode() const { return replica_mode_; }
  void set_replica_mode(bool on) { replica_mode_ = on; }
  // While CLIENT PAUSE (WRITE or ALL) is on, expired keys are likewise reported absent and
  // left in place: a paused server changes nothing (engine/pause.h).
  void set_expire_paused(bool on) { expire_paused_ = on; }
  bool deletes_expired() const { return !replica_mode_ && !expire_paused_; }

  // One active-expiry cycle over all databases, bounded by budget_us of wall time.
  size_t ActiveExpireCycle(int64_t now_ms, int64_t budget_us, const Clock& clock);

  // Key notes, the raw material of key events (DESIGN.md §2a): while a command runs
  // (between BeginKeyNotes and TakeKeyNotes), every key opened for writing, created,
  // deleted or given a new expiry is noted with its database, so the engine can tell its
  // listeners which keys the command changed without knowing how the command names them.
  // `created` marks the note of a key's insertion (keyspace notifications' "new" event).
  // Outside a command (batch loading, tests) nothing is noted.
  void BeginKeyNotes() { notes_.on = true; }
  void NoteKey(int db, std::string_view key, bool created = false) {
    if (!notes_.on) return;
    notes_.list.push_back({db, static_cast<uint32_t>(notes_.bytes.size()),
                           static_cast<uint32_t>(key.size()), created});
    notes_.bytes.append(key);
  }
  // Stops noting and calls f(db, key, created) for each note in order (a key may come more
  // than once) when `report`, then forgets them.
  template <typename F>
  void TakeKeyNotes(bool report, F&& f) {
    notes_.on = false;
    if (report) {
      for (const KeyNote& n : notes_.list) {
        f(n.db, std::string_view(notes_.bytes).substr(n.offset, n.size), n.created);
      }
    }
    notes_.list.clear();
    notes_.bytes.clear();
  }

 private:
  struct KeyNote {
    int db;
    uint32_t offset;
    uint32_t size;
    bool created;
  };
  struct KeyNotes {
    bool on = false;
    std::string bytes;  // the noted keys, back to back
    std::vector<KeyNote> list;
  };
  KeyNotes notes_;

  friend class Database;
  std::vector<std::unique_ptr<Database>> dbs_;
  KeyspaceStats stats_;
  LazyFree lazy_free_;  // UNLINK's large values, freed on its thread
  bool active_expire_enabled_ = true;
  bool replica_mode_ = false;
  bool expire_paused_ = false;
  uint32_t new_key_access_ = 0;
  KeyspaceObserver* observer_ = nullptr;
  // Active expiry's samples: its own source, so the background cycle never moves the
  // sequence commands draw from (trace replay reproduces those, not the cron).
  std::mt19937_64 sampling_rng_{0x7469'6465'6b76ull};
  size_t next_db_ = 0;  // where the next active cycle starts
};

}  // namespace tidekv::keyspace
