// BlockingRegistry: clients blocked on keys by BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX and BZMPOP (DESIGN.md §11).
//
// A blocking command that finds none of its keys ready calls CommandContext::Block: the
// client is queued on each of its keys, in the order clients blocked. Key events (a push, a
// ZADD, a RENAME, MOVE or RESTORE onto the key...) mark a key ready when it now holds the
// type its waiters wait for; after the command that caused them, the engine runs each ready
// key's waiters, oldest first, while the key still holds that type: each waiter's own argv
// runs again as a normal command on its own session (statistics, key events, effects; the
// handler propagates the non-blocking form, so the log, replicas and trace replay never see
// a blocking command). A waiter whose timeout passes gets a null array; CLIENT UNBLOCK ends
// a wait early; a client that disconnects leaves every queue. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/engine.h"
#include "keyspace/entry.h"

namespace tidekv::engine {

struct CommandContext;

class BlockingRegistry final : public KeyEventListener {
 public:
  explicit BlockingRegistry(Engine& engine);
  ~BlockingRegistry() override;
  BlockingRegistry(const BlockingRegistry&) = delete;
  BlockingRegistry& operator=(const BlockingRegistry&) = delete;

  // CommandContext::Block. Replies the timeout reply (a null array, or a null bulk string
  // when null_bulk) now when the session cannot block.
  // rerun: the argv to run again when woken (empty: the command's own; XREAD's "$" becomes
  // the ID it stood for). gone_error: when not empty, the waiter also ends with this error
  // once a key it waits on is deleted or holds another type (XREADGROUP).
  void Block(CommandContext& ctx, std::span<const std::string_view> keys, int64_t timeout_ms,
             keyspace::ValueType wait_for, bool null_bulk, std::span<const std::string> rerun = {},
             std::string_view gone_error = {});

  // Runs the waiters of the keys that became ready, until none is left (a woken BLMOVE may
  // make its destination ready). The engine calls it after each command it was given.
  void ServeReady() {
    if ((!ready_.empty() || recheck_) && !serving_) ServeAll();
  }
  // Every waited-on key may have changed without key events (SWAPDB): the next ServeReady
  // looks at each of them.
  void RecheckAll() { recheck_ = !queues_.empty(); }
  // Ends the waits whose deadline is at or before now_ms with the timeout reply.
  void ExpireTimeouts(int64_t now_ms);
  // The earliest deadline of a waiter (INT64_MAX when none waits with a timeout).
  int64_t NextDeadline() const;

  // CLIENT UNBLOCK: ends the wait of client id with the timeout reply, or with an
  // -UNBLOCKED error when `error`. False when that client is not blocked on keys.
  bool Unblock(uint64_t id, bool error);
  // The client went away: it leaves every queue, with no reply.
  void Remove(uint64_t id);

  size_t blocked_clients() const { return waiters_.size(); }
  bool IsBlocked(uint64_t id) const { return waiters_.contains(id); }
  // Keys with at least one waiter (INFO keyspace-like statistics, tests).
  size_t blocking_keys() const { return queues_.size(); }

 private:
  struct Waiter;
  using KeyRef = std::pair<int, std::string>;  // database, key

  // KeyEventListener: a key that now holds its waiters' type becomes ready.
  void OnKeyModified(int db, Entry* entry) override;
  void OnKeyDeleted(int db, std::string_view key) override;
  // Marks key ready when one of its waiters wants it (type: what it holds now, or none).
  void MarkIfWanted(int db, std::string_view key, const keyspace::ValueType* type);

  // Takes w out of every queue and the deadline index (w stays owned by the caller).
  std::unique_ptr<Waiter> Detach(uint64_t id);
  void ServeAll();
  // Runs the waiters of one ready key while it holds their type.
  void ServeKey(const KeyRef& key);
  // Ends w's wait with the timeout reply (or error) and records the command in the trace.
  void Finish(std::unique_ptr<Waiter> w, std::string_view error);

  Engine& engine_;
  uint64_t next_seq_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Waiter>> waiters_;  // by session id
  std::map<KeyRef, std::deque<uint64_t>> queues_;                  // session ids, oldest first
  std::multimap<int64_t, uint64_t> deadlines_;                     // deadline ms -> session id
  std::vector<KeyRef> ready_;
  bool serving_ = false;
  bool recheck_ = false;
  // While a woken waiter runs again: its id and its original deadline, so that if the
  // command blocks once more it keeps its deadline.
  uint64_t rerun_id_ = 0;
  int64_t rerun_deadline_ = 0;
};

}  // namespace tidekv::engine
