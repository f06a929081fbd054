// TrackingRegistry: server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0.
//
// Two modes, per client:
// - Default: the keys a tracking client reads (the keys of every read-only command it runs,
//   or, for a read command a script runs, the keys the script declared) go into the tracking
//   table, key -> ids of the clients that read it. The next change to such a key, from any
//   source (a command, expiry, a script, EXEC, a replicated write), sends each of those
//   clients one invalidation and drops the key from the table: a client is told once, and is
//   tracked again when it reads the key again. Like Redis's table the key is its name alone,
//   whatever the database. OPTIN tracks only the reads of the command after CLIENT CACHING
//   YES; OPTOUT all but those after CLIENT CACHING NO.
// - BCAST: nothing is remembered per read; every change to a key under one of the client's
//   prefixes (none = every key) is announced. Changes are collected per prefix while a
//   command runs and sent once it completes, one message per prefix with all its keys
//   (Redis batches per event-loop turn; here the unit is the client command or cron tick).
//
// The message is a RESP3 push ["invalidate", [key...]] (a null instead of the array when a
// FLUSHDB/FLUSHALL emptied everything), sent to the client itself (RESP3 only) or to the
// client it REDIRECTs to, which, in RESP2, receives it as a pub/sub message on channel
// __redis__:invalidate while it is subscribed to anything. A redirect target that is gone
// leaves the client with the broken-redirect flag and, in RESP3, a
// ["tracking-redir-broken", id] push. NOLOOP leaves out the client's own changes (expiry is
// nobody's). A message to the client whose command is running waits until its reply is
// written (Redis's pending invalidations), so it never lands inside a reply.
//
// The table holds at most tracking-table-max-keys keys (0 = no limit): before each command
// and on every cron tick, keys over the limit are invalidated as if they changed, at most
// 100 per call, 100 more each call that found the table still over it.
//
// Cost when nobody tracks: the engine asks active() once per command and once per changed
// key. When the last tracking client turns tracking off, the table and prefixes are dropped
// (Redis keeps stale ids for a lazy clean-up; nobody could receive them). Sessions that
// track are registered here (a Session* by id) and leave with Disable (CLIENT TRACKING OFF,
// RESET, disconnect). Loop thread only.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/session.h"

namespace tidekv::engine {

class Engine;
struct CommandSpec;

// Session::tracking bits.
enum TrackingFlag : uint8_t {
  kTrackingOn = 1,
  kTrackingBcast = 2,
  kTrackingOptIn = 4,
  kTrackingOptOut = 8,
  kTrackingNoLoop = 16,
  kTrackingCaching = 32,      // CLIENT CACHING YES (OPTIN) / NO (OPTOUT) for the next command
  kTrackingBrokenRedir = 64,  // the REDIRECT target was gone when a message was due
};

class TrackingRegistry {
 public:
  explicit TrackingRegistry(Engine& engine) : engine_(engine) {}
  TrackingRegistry(const TrackingRegistry&) = delete;
  TrackingRegistry& operator=(const TrackingRegistry&) = delete;

  // Some client tracks: the engine's one check before it does anything else here.
  bool active() const { return active_; }

  // CLIENT TRACKING ON with options (kTrackingBcast/OptIn/OptOut/NoLoop bits), already
  // validated by the command (CheckPrefixes for BCAST). Keeps the prefixes a BCAST client
  // already had (Redis adds to them).
  void Enable(Session& session, uint64_t redirect, uint8_t options,
              std::span<const std::string_view> prefixes);
  // CLIENT TRACKING OFF, RESET, disconnect: the client leaves every prefix.
  void Disable(Session& session);
  // The error (Redis's text) when one of `prefixes` overlaps another or one the client
  // already has; "" when none does.
  std::string CheckPrefixes(const Session& session,
                            std::span<const std::string_view> prefixes) const;
  // The client's BCAST prefixes, sorted (CLIENT TRACKINGINFO).
  std::vector<std::string> PrefixesOf(uint64_t id) const;

  // After a command ran: a read-only command of a tracking client (not BCAST) remembers its
  // keys (a script's caller: the script's declared keys). `caller` is the client whose
  // command this is (the script's caller for a command a script ran); caller_argv/spec its
  // command. The client's outermost command (top) also ends CLIENT CACHING's one-command
  // window, unless it is a CLIENT subcommand or the client is in MULTI.
  void AfterCommand(Session& session, const CommandSpec& spec, bool top, Session& caller,
                    std::span<const std::string_view> caller_argv, const CommandSpec& caller_spec);
  // The outermost command completed (or a cron tick ran): BCAST messages collected meanwhile
  // go out, then the messages held back for the client whose command ran.
  void Deliver();

  // A key changed; modifier is the id of the client that changed it (0: expiry, the server).
  void Invalidate(std::string_view key, uint64_t modifier);
  // FLUSHDB / FLUSHALL / a database replaced (full sync): every tracking client gets a null
  // invalidation once per command, and the table is emptied.
  void Flushed();
  // Invalidates keys while the table holds more than max_keys (0 = no limit).
  void LimitKeys(size_t max_keys);

  // INFO.
  size_t clients() const { return clients_.size(); }
  size_t total_keys() const { return table_.size(); }
  size_t total_items() const { return total_items_; }
  size_t total_prefixes() const { return prefixes_.size(); }

 private:
  struct Prefix {
    std::set<uint64_t> clients;
    // Keys changed since the last Deliver, with the id of the client that changed each last
    // (for NOLOOP; 0 = nobody's).
    std::map<std::string, uint64_t, std::less<>> changed;
  };

  // Drops a key from the table, telling the clients that read it (not modifier when it is
  // NOLOOP).
  void Forget(std::string_view key, uint64_t modifier);
  // Sends ["invalidate", payload] for client `to` (to itself or its redirect target).
  // payload: RESP bytes of the key array, or empty for the null of a flush.
  void Send(uint64_t client, std::string_view payload);
  // Hands bytes to a client now, or after the running command when it is that command's
  // client.
  void Push(uint64_t id, std::string bytes);
  void ForgetAll();
  void UpdateActive() { active_ = !clients_.empty() || !held_.empty(); }
  class SendScope;

  Engine& engine_;
  absl::flat_hash_map<uint64_t, Session*> clients_;  // sessions with tracking on
  absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>> table_;
  size_t total_items_ = 0;
  std::map<std::string, Prefix, std::less<>> prefixes_;
  absl::flat_hash_map<uint64_t, std::set<std::string>> client_prefixes_;
  bool bcast_pending_ = false;
  bool flushed_ = false;  // Flushed ran since the last Deliver
  std::vector<std::pair<uint64_t, std::string>> held_;
  unsigned limit_rounds_ = 0;
  int sending_ = 0;      // SendScopes open
  bool active_ = false;  // LimitKeys calls in a row that ended still over the limit
};

}  // namespace tidekv::engine
