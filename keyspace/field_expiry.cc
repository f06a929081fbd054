// Hash field expiry (HEXPIRE and family, Redis 7.4): due fields are deleted when a lookup
// meets the hash (Database::Find) and by the active cycle, which walks the hashes known to
// have field expiries. Every deletion reaches the observer, which propagates it as HDEL.
#include "common/clock.h"
#include "keyspace/keyspace.h"
#include "types/hash.h"

namespace tidekv::keyspace {

using types::HashValue;

namespace {

HashValue* HashWithTtls(Entry* e) {
  if (e == nullptr || e->type() != ValueType::kHash) return nullptr;
  HashValue* h = e->As<HashValue>();
  return h->has_field_ttls() ? h : nullptr;
}

}  // namespace

void Database::TrackFieldExpiry(Entry* entry) {
  if (HashWithTtls(entry) == nullptr) return;
  std::string key(entry->key());
  if (field_key_set_.insert(key).second) field_keys_.push_back(std::move(key));
}

bool Database::ExpireFields(Entry* entry, int64_t now_ms) {
  HashValue* h = entry->As<HashValue>();
  std::vector<std::string> removed;
  h->ExpireFields(now_ms, SIZE_MAX, &removed);
  if (removed.empty()) return false;
  owner_->stats_.expired_subkeys += removed.size();
  const bool last = h->empty();
  if (owner_->observer_ != nullptr) {
    owner_->observer_->OnFieldsExpired(index_, entry, removed, last);
  }
  if (last) Erase(entry);
  return last;
}

size_t Database::ActiveExpireFields(int64_t now_ms, int64_t deadline_ns, const Clock* clock) {
  size_t deleted = 0;
  for (size_t visited = 0, n = field_keys_.size(); visited < n && !field_keys_.empty(); visited++) {
    if (field_cursor_ >= field_keys_.size()) field_cursor_ = 0;
    const std::string& key = field_keys_[field_cursor_];
    Entry* e = dict_.Find(key, HashKey(key));
    HashValue* h = HashWithTtls(e);
    if (h == nullptr) {
      // Gone, replaced or without expiries now: forget it (swap-remove, same index next).
      field_key_set_.erase(key);
      field_keys_[field_cursor_] = std::move(field_keys_.back());
      field_keys_.pop_back();
      continue;
    }
    field_cursor_++;
    if (h->NextFieldExpiry() <= now_ms && !e->ExpiredAt(now_ms)) {
      const size_t before = h->size();
      const bool gone = ExpireFields(e, now_ms);
      deleted += gone ? before : before - h->size();
    }
    if (clock != nullptr && (visited & 15) == 15 && clock->MonotonicNs() > deadline_ns) break;
  }
  return deleted;
}

}  // namespace tidekv::keyspace
