// CommandContext: what a command handler gets. Built by the dispatcher (Engine::Execute)
// for one command on the loop thread; handlers read argv, use the keyspace, and write
// exactly one reply through `reply`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/command_table.h"
#include "engine/errors.h"
#include "engine/session.h"
#include "keyspace/keyspace.h"
#include "proto/reply.h"

namespace tidekv::engine {

using keyspace::Database;
using keyspace::Entry;

class Engine;

struct CommandContext {
  Engine& engine;
  Session& session;
  Database& db;  // the session's selected database
  proto::ReplyBuilder& reply;
  std::span<const std::string_view> argv;
  int64_t now_ms;  // the command's single "now": every expiry check in it uses this
  const CommandSpec& spec;

  size_t argc() const { return argv.size(); }
  std::string_view arg(size_t i) const { return argv[i]; }
  // True when argv[i] equals word, ignoring case (option keywords).
  bool ArgIs(size_t i, std::string_view word) const;

  // Key lookups. Read lookups count keyspace hits/misses; both touch the key's access word
  // (LRU time, or LFU counter: Engine::TouchKey).
  Entry* LookupRead(std::string_view key);
  Entry* LookupWrite(std::string_view key);

  // Typed lookup (DESIGN.md §2a), the one place that answers -WRONGTYPE: the key's value
  // as V (HashValue, SetValue...), or a Typed whose `ok` is false after the WRONGTYPE reply
  // was sent (the handler just returns). An absent key is ok with entry == nullptr.
  template <typename V>
  struct Typed {
    Entry* entry = nullptr;
    V* value = nullptr;
    bool ok = true;
  };
  template <typename V>
  Typed<V> Read(std::string_view key) {
    return TypedOf<V>(LookupRead(key));
  }
  template <typename V>
  Typed<V> Write(std::string_view key) {
    return TypedOf<V>(LookupWrite(key));
  }
  // For commands that create the key: the existing value, or a new key holding make()'s
  // value (made only after the type check passed).
  template <typename V, typename Make>
  Typed<V> WriteOrCreate(std::string_view key, Make&& make) {
    Typed<V> t = Write<V>(key);
    if (!t.ok || t.entry != nullptr) return t;
    t.entry = db.Insert(key, now_ms);
    t.value = make();
    t.entry->SetObject(V::kType, t.value);
    return t;
  }
  // Deletes a collection key left without elements (Redis never keeps an empty one).
  // Returns whether it did.
  bool DeleteIfEmpty(Entry* entry);

  // Argument parsing that replies the Redis error itself and returns nullopt on failure.
  std::optional<int64_t> IntArg(size_t i, std::string_view error = err::kNotInteger);
  std::optional<long double> LongDoubleArg(size_t i);
  // A database index, as Redis's getIntFromObjectOrReply + selectDb read it: not an integer
  // -> "value is not an integer", outside a C int -> "value is out of range" (both
  // custom_error when given, as SWAPDB does), outside 0..databases-1 -> "DB index is out of
  // range".
  std::optional<int> DbIndexArg(size_t i, std::string_view custom_error = {});

  // Blocking commands (DESIGN.md §11). TimeoutArg parses a timeout in seconds (a float; 0
  // waits forever) into milliseconds, replying Redis's error when it is malformed or negative.
  std::optional<int64_t> TimeoutArg(size_t i);
  // Called by a blocking command (BLPOP, BZPOPMIN, BLMOVE...) that found none of its keys
  // ready, instead of replying: the client waits until one of `keys` (in the session's
  // database) holds a value of type `wait_for`, then the same argv runs again as a normal
  // command (so the handler must propagate the non-blocking form of what it did: LPOP,
  // LMOVE, ZPOPMIN...); or until timeout_ms passes (0: never), when the reply is a null
  // array (a null bulk string for the commands that reply one element: BLMOVE,
  // BRPOPLPUSH). Where the client cannot block (inside MULTI or a script, an engine without
  // a server, a replica applying frames) that null is the reply now, as in Redis.
  enum class TimeoutReply : uint8_t { kNullArray, kNullBulk };
  void Block(std::span<const std::string_view> keys, int64_t timeout_ms,
             keyspace::ValueType wait_for, TimeoutReply on_timeout = TimeoutReply::kNullArray);
  // The stream commands' form: `rerun` is the argv to run when woken (XREAD's "$" resolved
  // to an ID), and a non-empty gone_error ends the wait with that error when a key is
  // deleted or changes type (blocking XREADGROUP).
  void BlockStream(std::span<const std::string_view> keys, int64_t timeout_ms,
                   std::span<const std::string> rerun, std::string_view gone_error);

  void Error(std::string_view message) { reply.Error(message); }
  void SyntaxError() { reply.Error(err::kSyntax); }
  void WrongType() { reply.Error(err::kWrongType); }

 private:
  template <typename V>
  Typed<V> TypedOf(Entry* e) {
    if (e == nullptr) return {};
    if (e->type() != V::kType) {
      WrongType();
      return {.ok = false};
    }
    if constexpr (V::kType == keyspace::ValueType::kString) {
      return {.entry = e};
    } else {
      return {.entry = e, .value = e->As<V>()};
    }
  }

 public:
  // Records that the command changed `n` keys. A write command with changes whose handler
  // did not call Propagate has its argv propagated as its effect after it returns.
  void Changed(uint64_t n = 1) { dirty += n; }
  uint64_t dirty = 0;

  // Emits an effect now, instead of the command's own argv: relative times become
  // absolute, results computed here become plain SETs (DESIGN.md §3). May be called more
  // than once; each call is one effect in the current database.
  void Propagate(std::initializer_list<std::string_view> effect);
  void Propagate(std::span<const std::string_view> effect);
  bool propagated = false;
};

}  // namespace tidekv::engine
