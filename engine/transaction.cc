#include "engine/transaction.h"

#include <algorithm>

#include "engine/command_table.h"

namespace tidekv::engine {

void WatchRegistry::Watch(Session& session, int db, std::string_view key, bool stale) {
  KeyRef ref{db, std::string(key)};
  std::vector<Watcher>& watchers = keys_[ref];
  for (const Watcher& w : watchers) {
    if (w.session == &session) return;  // already watched: WATCH again changes nothing
  }
  watchers.push_back({&session, stale});
  by_session_[session.id].push_back(std::move(ref));
  session.watching++;
}

void WatchRegistry::Unwatch(Session& session) {
  session.watch_dirty = false;
  if (session.watching == 0) return;
  session.watching = 0;
  auto it = by_session_.find(session.id);
  if (it == by_session_.end()) return;
  for (const KeyRef& ref : it->second) {
    auto k = keys_.find(ref);
    if (k == keys_.end()) continue;
    std::erase_if(k->second, [&](const Watcher& w) { return w.session == &session; });
    if (k->second.empty()) keys_.erase(k);
  }
  by_session_.erase(it);
}

bool WatchRegistry::AnyExpired(const Session& session, const keyspace::Keyspace& keyspace,
                               int64_t now_ms) const {
  auto it = by_session_.find(session.id);
  if (it == by_session_.end()) return false;
  for (const KeyRef& ref : it->second) {
    auto k = keys_.find(ref);
    if (k == keys_.end()) continue;
    for (const Watcher& w : k->second) {
      if (w.session != &session || w.stale) continue;
      const keyspace::Entry* e = keyspace.db(ref.first).Peek(ref.second, INT64_MIN);
      if (e != nullptr && e->ExpiredAt(now_ms)) return true;
    }
  }
  return false;
}

void WatchRegistry::OnKeyModified(int db, keyspace::Entry* entry) {
  if (keys_.empty()) return;  // the common case: nobody watches
  Touch(db, entry->key(), true);
}

void WatchRegistry::OnKeyDeleted(int db, std::string_view key) {
  if (keys_.empty()) return;
  Touch(db, key, false);
}

void WatchRegistry::Touch(int db, std::string_view key, bool exists_now) {
  auto it = keys_.find(KeyRef{db, std::string(key)});
  if (it == keys_.end()) return;
  for (Watcher& w : it->second) {
    if (w.stale && !exists_now) {
      // It was already logically gone when watched: its removal changes nothing. From now
      // on the key is simply absent, like any other watched missing key.
      w.stale = false;
      continue;
    }
    MarkDirty(w.session);
  }
}

void WatchRegistry::WholeDatabase(const keyspace::Database& emptied,
                                  const keyspace::Database* replaced_with, int64_t now_ms) {
  if (keys_.empty()) return;
  for (auto& [ref, watchers] : keys_) {
    if (ref.first != emptied.index()) continue;
    const bool in_emptied = emptied.Peek(ref.second, INT64_MIN) != nullptr;
    const keyspace::Entry* incoming =
        replaced_with != nullptr ? replaced_with->Peek(ref.second, INT64_MIN) : nullptr;
    if (!in_emptied && incoming == nullptr) continue;
    const bool incoming_stale = incoming != nullptr && incoming->ExpiredAt(now_ms);
    for (Watcher& w : watchers) {
      if (w.stale) {
        if (incoming == nullptr) {
          w.stale = false;  // a stale key removed: no logical change
          continue;
        }
        if (incoming_stale) continue;  // stale replaced by stale: still no value
      } else if (!in_emptied && incoming_stale) {
        w.stale = true;  // nothing replaced by a stale key: still no value
        continue;
      }
      MarkDirty(w.session);
    }
  }
}

void QueueCommand(Session& session, const CommandSpec& spec,
                  std::span<const std::string_view> argv) {
  QueuedCommands& q = session.queued;
  for (std::string_view a : argv) {
    q.bytes.append(a);
    q.arg_lens.push_back(static_cast<uint32_t>(a.size()));
  }
  q.argcs.push_back(static_cast<uint32_t>(argv.size()));
  q.specs.push_back(&spec);
  q.flags_any |= static_cast<uint32_t>(spec.flags);
  if (!HasFlag(spec.flags, CommandFlag::kStale)) q.all_stale_ok = false;
}

}  // namespace tidekv::engine
