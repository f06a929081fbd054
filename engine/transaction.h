// Transactions (DESIGN.md §11): what MULTI, EXEC, DISCARD and WATCH need from the engine.
//
// Queueing lives in the dispatcher (Engine::Dispatch queues a command of a client in MULTI
// after the checks every command gets, and a refused one marks the transaction failed); this
// file holds WATCH's registry and the queue's helpers.
//
// WATCH is a per-key check fed by key events: a watched key that is modified or deleted
// (by any client, by expiry, by a replicated write on a replica) marks its watchers dirty, so
// their next EXEC replies a null array. As in Redis 7.0, a key that was already logically
// expired (stale) when it was watched is no change when it goes away; a key that expires
// between WATCH and EXEC fails the EXEC even when no cycle removed it yet; FLUSHDB/FLUSHALL
// touch the watched keys that exist, SWAPDB those whose value appears or disappears.
// Loop thread only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/session.h"
#include "keyspace/keyspace.h"

namespace tidekv::engine {

class WatchRegistry final : public KeyEventListener {
 public:
  WatchRegistry() = default;
  WatchRegistry(const WatchRegistry&) = delete;
  WatchRegistry& operator=(const WatchRegistry&) = delete;

  // WATCH key in database `db` (db is the one the key belongs to, whatever the client
  // selects later). stale: the key exists but its time has passed.
  void Watch(Session& session, int db, std::string_view key, bool stale);
  // UNWATCH, EXEC, DISCARD, RESET, and a client that leaves: forgets all its keys and
  // clears its dirty flag.
  void Unwatch(Session& session);
  // At EXEC: whether a watched key that was live when watched has expired since (Redis's
  // isWatchedKeyExpired), looking at the keyspace as it is at now_ms.
  bool AnyExpired(const Session& session, const keyspace::Keyspace& keyspace, int64_t now_ms) const;
  // FLUSHDB, FLUSHALL (replaced_with null) and SWAPDB (the other database), before `emptied`
  // loses its keys: touches the watched keys whose logical value changes.
  void WholeDatabase(const keyspace::Database& emptied, const keyspace::Database* replaced_with,
                     int64_t now_ms);

  size_t watched_keys() const { return keys_.size(); }

 private:
  struct Watcher {
    Session* session;
    bool stale;  // the key was logically expired when watched
  };
  using KeyRef = std::pair<int, std::string>;

  void OnKeyModified(int db, keyspace::Entry* entry) override;
  void OnKeyDeleted(int db, std::string_view key) override;
  // Marks every watcher of (db, key) dirty; a stale watcher of a key that is now gone is
  // no change (its flag clears instead).
  void Touch(int db, std::string_view key, bool exists_now);
  static void MarkDirty(Session* session) { session->watch_dirty = true; }

  absl::flat_hash_map<KeyRef, std::vector<Watcher>> keys_;
  absl::flat_hash_map<uint64_t, std::vector<KeyRef>> by_session_;
};

// Copies argv into the session's MULTI queue, with its row and flags.
void QueueCommand(Session& session, const CommandSpec& spec,
                  std::span<const std::string_view> argv);
// Calls f(argv, spec) for each queued command, in order.
template <typename F>
void ForEachQueued(const QueuedCommands& q, F&& f) {
  std::vector<std::string_view> argv;
  size_t byte = 0;
  size_t arg = 0;
  for (size_t c = 0; c < q.size(); c++) {
    argv.clear();
    for (uint32_t i = 0; i < q.argcs[c]; i++, arg++) {
      argv.emplace_back(q.bytes.data() + byte, q.arg_lens[arg]);
      byte += q.arg_lens[arg];
    }
    f(std::span<const std::string_view>(argv), *q.specs[c]);
  }
}

}  // namespace tidekv::engine
