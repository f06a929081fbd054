#include "engine/blocking.h"

#include <algorithm>

#include "engine/command_context.h"

namespace tidekv::engine {

struct BlockingRegistry::Waiter {
  Session* session = nullptr;
  int db = 0;
  std::vector<std::string> keys;  // distinct
  std::vector<std::string> argv;  // the command, run again when a key is ready
  int64_t deadline_ms = 0;        // 0: none
  keyspace::ValueType wait_for = keyspace::ValueType::kList;
  bool null_bulk = false;  // the timeout reply: a null bulk string instead of a null array
  std::string gone_error;  // ends the wait when a key goes or changes type (XREADGROUP)
};

BlockingRegistry::BlockingRegistry(Engine& engine) : engine_(engine) {}
BlockingRegistry::~BlockingRegistry() = default;

void BlockingRegistry::Block(CommandContext& ctx, std::span<const std::string_view> keys,
                             int64_t timeout_ms, keyspace::ValueType wait_for, bool null_bulk,
                             std::span<const std::string> rerun, std::string_view gone_error) {
  Session& session = ctx.session;
  ServerHooks* hooks = engine_.hooks();
  // Only a client of the network server can wait: not log replay, a replica's link, an
  // in-process engine (tests, tidekv-replay), a command inside EXEC (later scripts).
  if (hooks == nullptr || session.internal || session.applies_frames || session.deny_blocking ||
      waiters_.contains(session.id)) {
    if (null_bulk) {
      ctx.reply.Null();
    } else {
      ctx.reply.NullArray();
    }
    return;
  }
  auto w = std::make_unique<Waiter>();
  w->session = &session;
  w->db = session.db;
  w->wait_for = wait_for;
  w->null_bulk = null_bulk;
  if (rerun.empty()) {
    w->argv.assign(ctx.argv.begin(), ctx.argv.end());
  } else {
    w->argv.assign(rerun.begin(), rerun.end());
  }
  w->gone_error = gone_error;
  for (std::string_view k : keys) {
    if (std::find(w->keys.begin(), w->keys.end(), k) == w->keys.end()) w->keys.emplace_back(k);
  }
  if (session.id == rerun_id_) {
    w->deadline_ms = rerun_deadline_;  // blocking again after a wake-up keeps its deadline
  } else if (timeout_ms > 0) {
    w->deadline_ms = ctx.now_ms + timeout_ms;
  }
  for (const std::string& k : w->keys) queues_[{w->db, k}].push_back(session.id);
  if (w->deadline_ms > 0) {
    deadlines_.emplace(w->deadline_ms, session.id);
    hooks->WakeBlockedAt(w->deadline_ms);
  }
  waiters_.emplace(session.id, std::move(w));
  session.blocked_run_us = -1;  // the dispatcher sets it after this run, when it was slow
  session.blocked = true;
  session.blocked_on_keys = true;
}

void BlockingRegistry::OnKeyModified(int db, Entry* entry) {
  if (queues_.empty()) return;  // the common case: nobody waits
  const keyspace::ValueType type = entry->type();
  MarkIfWanted(db, entry->key(), &type);
}

void BlockingRegistry::OnKeyDeleted(int db, std::string_view key) {
  if (queues_.empty()) return;
  MarkIfWanted(db, key, nullptr);
}

void BlockingRegistry::MarkIfWanted(int db, std::string_view key, const keyspace::ValueType* type) {
  KeyRef ref{db, std::string(key)};
  auto it = queues_.find(ref);
  if (it == queues_.end()) return;
  const bool wanted = std::any_of(it->second.begin(), it->second.end(), [&](uint64_t id) {
    const Waiter& w = *waiters_.at(id);
    const bool holds = type != nullptr && w.wait_for == *type;
    return holds || !w.gone_error.empty();
  });
  if (wanted && std::find(ready_.begin(), ready_.end(), ref) == ready_.end()) {
    ready_.push_back(std::move(ref));
  }
}

void BlockingRegistry::ServeAll() {
  serving_ = true;
  if (recheck_) {
    recheck_ = false;
    const int64_t now_ms = engine_.clock().NowMs();
    for (const auto& [key, ids] : queues_) {
      Entry* e = engine_.keyspace().db(key.first).Peek(key.second, now_ms);
      if (e != nullptr) {
        OnKeyModified(key.first, e);
      } else {
        OnKeyDeleted(key.first, key.second);
      }
    }
  }
  // Woken commands may make more keys ready (BLMOVE's destination): serve until none is.
  while (!ready_.empty()) {
    KeyRef key = std::move(ready_.front());
    ready_.erase(ready_.begin());
    ServeKey(key);
  }
  serving_ = false;
}

void BlockingRegistry::ServeKey(const KeyRef& key) {
  auto q = queues_.find(key);
  if (q == queues_.end()) return;
  // The queue changes while waiters run (they leave it, or block again at its end): walk a
  // copy of it as it was, oldest first.
  const std::vector<uint64_t> order(q->second.begin(), q->second.end());
  keyspace::Database& db = engine_.keyspace().db(key.first);
  for (uint64_t id : order) {
    const int64_t now_ms = engine_.clock().NowMs();
    Entry* e = db.Peek(key.second, now_ms);
    auto w = waiters_.find(id);
    if (w == waiters_.end()) continue;
    if (e == nullptr || w->second->wait_for != e->type()) {
      // The key went or changed type: a waiter that cannot outlive it ends with its error.
      if (!w->second->gone_error.empty()) {
        std::unique_ptr<Waiter> gone = Detach(id);
        const std::string error = gone->gone_error;
        Finish(std::move(gone), error);
        continue;
      }
      if (e == nullptr) return;  // served until the key ran out
      continue;
    }
    std::unique_ptr<Waiter> waiter = Detach(id);
    rerun_id_ = id;
    rerun_deadline_ = waiter->deadline_ms;
    Session& session = *waiter->session;
    engine_.hooks()->Unblock(id, [&](proto::ReplyBuilder& reply) {
      std::vector<std::string_view> argv(waiter->argv.begin(), waiter->argv.end());
      session.db = waiter->db;
      engine_.Execute(session, argv, reply);
    });
    rerun_id_ = 0;
  }
}

std::unique_ptr<BlockingRegistry::Waiter> BlockingRegistry::Detach(uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return nullptr;
  std::unique_ptr<Waiter> w = std::move(it->second);
  waiters_.erase(it);
  for (const std::string& k : w->keys) {
    auto q = queues_.find({w->db, k});
    if (q == queues_.end()) continue;
    std::erase(q->second, id);
    if (q->second.empty()) queues_.erase(q);
  }
  if (w->deadline_ms > 0) {
    auto [lo, hi] = deadlines_.equal_range(w->deadline_ms);
    for (auto d = lo; d != hi; ++d) {
      if (d->second == id) {
        deadlines_.erase(d);
        break;
      }
    }
  }
  w->session->blocked_on_keys = false;
  return w;
}

void BlockingRegistry::Finish(std::unique_ptr<Waiter> w, std::string_view error) {
  Session& session = *w->session;
  engine_.hooks()->Unblock(session.id, [&](proto::ReplyBuilder& reply) {
    const size_t start = reply.buffer()->size();
    if (!error.empty()) {
      reply.Error(error);
    } else if (w->null_bulk) {
      reply.Null();
    } else {
      reply.NullArray();
    }
    // The trace holds the command where it completed, with its reply: replayed there, it
    // finds its keys empty and (unable to wait in process) replies the same null.
    std::vector<std::string_view> argv(w->argv.begin(), w->argv.end());
    // Its one call (the dispatcher did not count the run that blocked).
    const CommandSpec* spec = engine_.commands().Resolve(argv);
    if (spec != nullptr) {
      spec->stats.calls++;
      if (engine_.config().latency_tracking)
        spec->stats.latency.Add(0);  // the short run that blocked
      if (!error.empty()) {
        spec->stats.failed_calls++;
        engine_.stats().CountError(error);
      }
    }
    // The slow log, with the duration of the run that blocked (as Redis).
    if (session.blocked_run_us >= 0) {
      engine_.LogSlowCommand(session, spec, argv, session.blocked_run_us);
      session.blocked_run_us = -1;
    }
    engine_.RecordCompleted(session, w->db, argv, std::string_view(*reply.buffer()).substr(start));
  });
}

void BlockingRegistry::ExpireTimeouts(int64_t now_ms) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    std::unique_ptr<Waiter> w = Detach(deadlines_.begin()->second);
    Finish(std::move(w), {});
  }
}

int64_t BlockingRegistry::NextDeadline() const {
  return deadlines_.empty() ? INT64_MAX : deadlines_.begin()->first;
}

bool BlockingRegistry::Unblock(uint64_t id, bool error) {
  std::unique_ptr<Waiter> w = Detach(id);
  if (w == nullptr) return false;
  Finish(std::move(w), error ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : "");
  return true;
}

void BlockingRegistry::Remove(uint64_t id) { Detach(id); }

}  // namespace tidekv::engine
