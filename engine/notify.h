// KeyspaceNotifier: Redis's keyspace notifications (notify-keyspace-events), published as
// pub/sub messages on __keyspace@<db>__:<key> (message: the event) and
// __keyevent@<db>__:<event> (message: the key).
//
// Table-driven rather than called from every handler: after a write, each key the engine's
// key events report gets the command's event, which is its name unless EventOf's small map
// says otherwise (HMSET raises "hset", INCR "incrby", EXPIRE/PEXPIREAT "expire"...), in the
// class of the command's group (g $ l s h z); a key the command removed without being a
// deletion also raises "del" (LPOP of the last element). Expiry raises "expired" (class x),
// eviction "evicted" (class e).
// What this does not reproduce of Redis: commands that raise different events on different
// keys (RENAME's rename_from/rename_to, LMOVE's pop and push, SMOVE) raise their own name on
// each; SET with EX raises "set" only; no "keymiss" (m) events. A key
// the command created raises "new" (n) first.
// Each node raises its own: nothing here is replicated. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command_table.h"

namespace tidekv::engine {

class Engine;

class KeyspaceNotifier {
 public:
  explicit KeyspaceNotifier(Engine& engine) : engine_(engine) {}

  // Takes the flags of notify-keyspace-events (a canonical value; bad letters mean off).
  void Configure(std::string_view letters);
  bool enabled() const { return flags_ != 0; }

  // A key event of the write just run: `created` whether this step made the key, `exists`
  // whether the key is there afterwards. Consecutive notes of one key are one notification.
  void Note(int db, std::string_view key, bool created, bool exists);
  // An event the command raises on a key beyond its own (XADD's "xtrim", the stream
  // commands' "xgroup-createconsumer"), published after the command's own events.
  void Raise(uint32_t event_class, std::string_view event, int db, std::string_view key);
  // Publishes the notes of the write `spec` just run and forgets them.
  void Publish(const CommandSpec& spec);
  // Forgets the notes of a command that changed nothing.
  void Forget() {
    changed_.clear();
    raised_.clear();
  }
  // The key expired (lazily or by the active cycle).
  void Expired(int db, std::string_view key);
  // The key was evicted (maxmemory-policy; engine/eviction.h).
  void Evicted(int db, std::string_view key);

  // The event a write raises on its keys, and its class (config::notify flags): exposed for
  // the tests that walk the command table.
  static std::string_view EventOf(const CommandSpec& spec);
  static uint32_t ClassOf(const CommandSpec& spec);

 private:
  void Notify(uint32_t event_class, std::string_view event, int db, std::string_view key);

  struct Changed {
    int db;
    std::string key;
    bool created;
    bool exists;
  };
  Engine& engine_;
  uint32_t flags_ = 0;
  std::vector<Changed> changed_;
  struct Raised {
    uint32_t event_class;
    std::string event;
    int db;
    std::string key;
  };
  std::vector<Raised> raised_;
  std::string channel_;
};

}  // namespace tidekv::engine
