#include "keyspace/keyspace.h"

#include <memory>

#include "common/check.h"
#include "common/clock.h"
#include "types/hash.h"

namespace tidekv::keyspace {

Database::~Database() {
  // Going away is not a change of the dataset: free the entries without telling anyone.
  dict_.ForEach([](Entry* e) { Entry::Destroy(e); });
}

Entry* Database::Find(std::string_view key, int64_t now_ms) {
  Entry* e = dict_.Find(key, HashKey(key));
  if (e == nullptr) return nullptr;
  if (e->ExpiredAt(now_ms)) {
    // A replica leaves expired keys in place: the primary's DEL frame removes them (and so
    // does a server under CLIENT PAUSE, until it ends).
    if (owner_->deletes_expired()) ExpireNow(e);
    return nullptr;
  }
  // Likewise a hash's expired fields (a replica shows them until the primary's HDEL).
  if (e->type() == ValueType::kHash && owner_->deletes_expired()) {
    const types::HashValue* h = e->As<types::HashValue>();
    if (h->has_field_ttls() && h->NextFieldExpiry() <= now_ms && ExpireFields(e, now_ms)) {
      return nullptr;
    }
  }
  last_touched_ = e;
  return e;
}

Entry* Database::Peek(std::string_view key, int64_t now_ms) const {
  Entry* e = dict_.Find(key, HashKey(key));
  if (e != nullptr && e->ExpiredAt(now_ms)) return nullptr;
  return e;
}

Entry* Database::Insert(std::string_view key, int64_t now_ms, size_t value_capacity) {
  const uint64_t hash = HashKey(key);
  if (Entry* old = dict_.Find(key, hash)) {
    // Only an expired entry may still be here.
    TIDEKV_CHECK(old->ExpiredAt(now_ms));
    ExpireNow(old);
  }
  return InsertAbsent(key, hash, value_capacity);
}

Entry* Database::InsertAbsent(std::string_view key, uint64_t hash, size_t value_capacity) {
  Entry* e = Entry::Create(key, value_capacity);
  e->Touch(owner_->new_key_access_);
  dict_.Insert(e, hash);
  last_touched_ = e;
  owner_->NoteKey(index_, key, /*created=*/true);
  return e;
}

Entry* Database::FindOrInsert(std::string_view key, int64_t now_ms, bool* created) {
  Entry* e = Find(key, now_ms);
  *created = e == nullptr;
  if (e == nullptr) return Insert(key, now_ms);
  owner_->NoteKey(index_, key);
  return e;
}

bool Database::Erase(std::string_view key, int64_t now_ms, bool lazy) {
  Entry* e = dict_.Find(key, HashKey(key));
  if (e == nullptr) return false;
  bool live = !e->ExpiredAt(now_ms);
  if (live) {
    const types::Value* value = e->object();
    const ValueType type = e->type();
    if (lazy && value != nullptr && LazyFree::Effort(type, *value) > LazyFree::kEffortThreshold) {
      owner_->lazy_free_.Submit(type, e->DetachObject());
    }
    Erase(e);
  } else {
    ExpireNow(e);
  }
  return live;
}

void Database::Unlink(Entry* entry) {
  if (entry->volatile_index_ != Entry::kNotVolatile) SetExpire(entry, 0);
  Entry* removed = dict_.Remove(entry->key(), entry->hash());
  TIDEKV_CHECK(removed == entry);
}

void Database::Erase(Entry* entry) {
  owner_->NoteKey(index_, entry->key());
  Unlink(entry);
  Release(entry);
}

void Database::Release(Entry* entry) {
  if (entry == last_touched_) last_touched_ = nullptr;
  if (entry->dirty_) {
    // Persistence's dirty list still points here (see Entry::dirty): only the key must stay.
    entry->MarkDead();
  } else {
    Entry::Destroy(entry);
  }
}

void Database::ExpireNow(Entry* entry) {
  owner_->stats_.expired_keys++;
  if (owner_->observer_ != nullptr) owner_->observer_->OnExpired(index_, entry->key());
  Erase(entry);
}

void Database::SetExpire(Entry* entry, int64_t at_ms) {
  if (entry->expire_at_ != at_ms) owner_->NoteKey(index_, entry->key());
  entry->expire_at_ = at_ms;
  const bool listed = entry->volatile_index_ != Entry::kNotVolatile;
  if (at_ms != 0 && !listed) {
    entry->volatile_index_ = static_cast<uint32_t>(volatile_.size());
    volatile_.push_back(entry);
  } else if (at_ms == 0 && listed) {
    // Swap-remove keeps the list dense so sampling stays O(1).
    uint32_t i = entry->volatile_index_;
    Entry* last = volatile_.back();
    volatile_[i] = last;
    last->volatile_index_ = i;
    volatile_.pop_back();
    entry->volatile_index_ = Entry::kNotVolatile;
  }
}

void Database::Clear(bool lazy) {
  // After this no entry is on persistence's dirty list: each may be freed, here or there.
  if (owner_->observer_ != nullptr && dict_.size() > 0) owner_->observer_->OnWholeDatabase(*this);
  field_keys_.clear();
  field_key_set_.clear();
  field_cursor_ = 0;
  if (lazy && dict_.size() > LazyFree::kEffortThreshold) {
    last_touched_ = nullptr;
    auto old = std::make_shared<Dict>();
    old->Swap(dict_);
    const size_t keys = old->size();
    owner_->lazy_free_.SubmitTask([old] { old->ForEach([](Entry* e) { Entry::Destroy(e); }); },
                                  keys);
  } else {
    dict_.ForEach([this](Entry* e) { Release(e); });
    dict_.Clear();
  }
  std::vector<Entry*>().swap(volatile_);
}

Entry* Database::RandomEntry(int64_t now_ms) {
  // Expired keys met on the way are deleted, so retrying always makes progress; only when
  // they may not be deleted (active expiry off) is the number of attempts bounded, so a
  // database whose keys all expired cannot make this loop forever.
  for (int misses = 0; misses < 100 && dict_.size() > 0;) {
    Entry* e = dict_.SlotAfter(types::Rng()());
    if (!e->ExpiredAt(now_ms)) return e;
    if (owner_->active_expire_enabled_ && owner_->deletes_expired()) {
      ExpireNow(e);
    } else {
      misses++;
    }
  }
  return nullptr;
}

size_t Database::ExpireAll(int64_t now_ms) {
  size_t deleted = 0;
  // Backwards: removing entry i moves the last one (already visited) into its place.
  for (size_t i = volatile_.size(); i-- > 0;) {
    if (i < volatile_.size() && volatile_[i]->ExpiredAt(now_ms)) {
      ExpireNow(volatile_[i]);
      deleted++;
    }
  }
  ActiveExpireFields(now_ms, 0, nullptr);
  return deleted;
}

size_t Database::ActiveExpire(int64_t now_ms, int64_t deadline_ns, const Clock& clock) {
  // Redis's adaptive loop: sample 20 volatile keys, delete the expired ones, and repeat
  // while more than a quarter of the sample was expired and time remains.
  constexpr int kSample = 20;
  size_t deleted = 0;
  for (int round = 0; !volatile_.empty(); round++) {
    int expired = 0;
    int sampled = 0;
    for (; sampled < kSample && !volatile_.empty(); sampled++) {
      Entry* e = volatile_[owner_->sampling_rng_() % volatile_.size()];
      if (e->ExpiredAt(now_ms)) {
        ExpireNow(e);
        expired++;
      }
    }
    deleted += static_cast<size_t>(expired);
    if (expired * 4 <= sampled) break;
    if ((round & 15) == 15 && clock.MonotonicNs() > deadline_ns) break;
  }
  return deleted;
}

Keyspace::Keyspace(int num_databases) {
  TIDEKV_CHECK(num_databases > 0);
  for (int i = 0; i < num_databases; i++) dbs_.push_back(std::make_unique<Database>(this, i));
}

size_t Keyspace::TotalKeys() const {
  size_t n = 0;
  for (const auto& db : dbs_) n += db->size();
  return n;
}

void Keyspace::ClearAll(bool lazy) {
  for (auto& db : dbs_) db->Clear(lazy);
}

void Keyspace::Swap(int a, int b) {
  if (observer_ != nullptr) {
    observer_->OnWholeDatabase(*dbs_[static_cast<size_t>(a)], b);
    observer_->OnWholeDatabase(*dbs_[static_cast<size_t>(b)], a);
  }
  std::swap(dbs_[static_cast<size_t>(a)], dbs_[static_cast<size_t>(b)]);
  dbs_[static_cast<size_t>(a)]->index_ = a;
  dbs_[static_cast<size_t>(b)]->index_ = b;
}

size_t Keyspace::ActiveExpireCycle(int64_t now_ms, int64_t budget_us, const Clock& clock) {
  if (!active_expire_enabled_ || !deletes_expired()) return 0;
  const int64_t start = clock.MonotonicNs();
  const int64_t deadline = start + budget_us * 1000;
  size_t deleted = 0;
  // Resume where the previous cycle stopped so a large database 0 cannot starve the rest.
  for (size_t n = 0; n < dbs_.size(); n++) {
    Database& db = *dbs_[next_db_];
    next_db_ = (next_db_ + 1) % dbs_.size();
    deleted += db.ActiveExpire(now_ms, deadline, clock);
    db.ActiveExpireFields(now_ms, deadline, &clock);
    if (clock.MonotonicNs() > deadline) break;
  }
  stats_.expire_cycles++;
  stats_.expire_cycle_time_us += static_cast<uint64_t>((clock.MonotonicNs() - start) / 1000);
  return deleted;
}

}  // namespace tidekv::keyspace
