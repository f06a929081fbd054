// CommandTable: every command tidekv understands, as data.
//
// Each command is one row: name, arity, flags, key positions, handler, and the text COMMAND
// DOCS serves. Command groups register their rows from commands/<group>.cc through
// Register<Group>Commands; commands::BuildCommandTable calls them all in one place, in order
// (no static self-registration). The dispatcher (Engine::Execute) uses the rows for every shared
// check: arity, AUTH, OOM, write flags, statistics. Built once at start-up; read-only after.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/latency_histogram.h"

namespace tidekv::engine {

struct CommandContext;
class Engine;
using CommandHandler = void (*)(CommandContext& ctx);

enum class CommandFlag : uint32_t {
  kNone = 0,
  kWrite = 1u << 0,       // may modify the keyspace (refused on a read-only replica)
  kReadOnly = 1u << 1,    // reads keys, never modifies them
  kDenyOom = 1u << 2,     // may use more memory: refused when used memory is past maxmemory
  kAdmin = 1u << 3,       // server administration (CONFIG, SHUTDOWN, DEBUG, MONITOR)
  kNoAuth = 1u << 4,      // allowed before the client authenticated (AUTH, HELLO, QUIT)
  kFast = 1u << 5,        // constant or logarithmic time
  kLoading = 1u << 6,     // allowed while the dataset is loading
  kStale = 1u << 7,       // allowed on a replica that is not in sync
  kNoMonitor = 1u << 8,   // the dispatcher never shows it to MONITOR (AUTH, HELLO carry
                          // secrets; EVAL / FCALL show themselves before their commands)
  kKeyless = 1u << 9,     // touches no keys and no server state (PING, ECHO)
  kProtected = 1u << 10,  // runs only as security.enable_debug_command allows (DEBUG)
  // For trace replay (tools/replay.cc), which compares each reply with the recorded one:
  kVolatileReply = 1u << 11,   // the reply depends on the process, clock, connections or
                               // random draws, not only on the data: never compared
  kUnorderedReply = 1u << 12,  // lists elements in table order: compared as a multiset
  kRandomReply = 1u << 13,     // a random draw (SPOP, SRANDMEMBER) or a walk in table order
                               // (SCAN, KEYS): compared only where replay reproduces the
                               // seeds and the tables (a trace begun on an empty server)
  kQueuedReplies = 1u << 14,   // replies with the replies of the commands it ran (EXEC):
                               // compared as the strictest of those would be
  // Transactions (DESIGN.md §11):
  kTxControl = 1u << 15,  // runs at once inside MULTI instead of being queued (EXEC, DISCARD,
                          // MULTI, WATCH, QUIT, RESET)
  kNoMulti = 1u << 16,    // refused inside MULTI (its reply would come later: SAVE, SHUTDOWN)
  kInternal = 1u << 17,   // only replication frames carry it (TIDEKV.GROUP); unknown to
                          // clients, COMMAND and the docs
  kNoScript = 1u << 18,   // refused inside scripts (MULTI, EXEC, EVAL, SUBSCRIBE, WAIT...)
  // Pub/sub:
  kPubSub = 1u << 19,             // a pub/sub command (Redis's "pubsub" flag)
  kSubscribedContext = 1u << 20,  // runs in RESP2 subscribed mode: (P|S)SUBSCRIBE,
                                  // (P|S)UNSUBSCRIBE, PING, QUIT, RESET; others are refused
  kAllowBusy = 1u << 22,          // runs while a script is busy (SCRIPT KILL, SHUTDOWN)
  kMayReplicate = 1u << 21,       // not a write, yet its effect goes to the log and replicas
                                  // (PUBLISH, SPUBLISH): runs on read-only replicas, and a
                                  // replica applies it from its primary's frames
  kSkipSlowlog = 1u << 23,        // never goes into the slow log (EXEC: the commands it ran do)
};

constexpr CommandFlag operator|(CommandFlag a, CommandFlag b) {
  return static_cast<CommandFlag>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
constexpr bool HasFlag(CommandFlag set, CommandFlag f) {
  return (static_cast<uint32_t>(set) & static_cast<uint32_t>(f)) != 0;
}
constexpr CommandFlag Without(CommandFlag set, CommandFlag f) {
  return static_cast<CommandFlag>(static_cast<uint32_t>(set) & ~static_cast<uint32_t>(f));
}

// Redis 7's key-spec flags: how a command uses each key it names (COMMAND GETKEYSANDFLAGS,
// COMMAND INFO). Written in a row as Redis spells them, one group per key spec separated by
// ';' ("RW access delete; RW insert"), and parsed when the row is added.
namespace key_flag {
inline constexpr uint32_t kRW = 1u << 0;      // reads and writes the value
inline constexpr uint32_t kRO = 1u << 1;      // reads only
inline constexpr uint32_t kOW = 1u << 2;      // overwrites without reading
inline constexpr uint32_t kRM = 1u << 3;      // deletes without reading
inline constexpr uint32_t kAccess = 1u << 4;  // returns or copies user data
inline constexpr uint32_t kUpdate = 1u << 5;  // changes existing data
inline constexpr uint32_t kInsert = 1u << 6;  // only adds data
inline constexpr uint32_t kDelete = 1u << 7;  // only removes data
inline constexpr uint32_t kNotKey = 1u << 8;
inline constexpr uint32_t kIncomplete = 1u << 9;
inline constexpr uint32_t kVariableFlags = 1u << 10;  // the flags depend on the arguments
}  // namespace key_flag
// Redis's names of the set bits, in Redis's order.
std::vector<std::string_view> KeyFlagNames(uint32_t flags);

// Per-command counters for INFO commandstats.
struct CommandStats {
  uint64_t calls = 0;
  uint64_t ticks = 0;           // execution time in CycleClock ticks (INFO converts to usec)
  uint64_t rejected_calls = 0;  // refused before running (arity, auth, OOM, ...)
  uint64_t failed_calls = 0;    // ran and replied with an error
  LatencyHistogram latency;     // each call's duration (LATENCY HISTOGRAM), when tracked
};

struct CommandSpec {
  std::string name;  // lower case; subcommands are "container|sub", e.g. "client|list"
  uint32_t id = 0;   // the row's index among all rows, subcommands included (ACL bitmaps)
  int arity = 0;     // >0: exact argc; <0: at least -arity (argv[0] included, as Redis)
  CommandFlag flags = CommandFlag::kNone;
  int first_key = 0;  // position of the first key (0: none)
  int last_key = 0;   // position of the last key (-1: last argument, -2: second last...)
  int key_step = 0;
  // Key-spec flags, required on every row that names keys: the i-th key the command names
  // gets group i, each key after the last group the last group ("OW update; RO access" for
  // ZUNIONSTORE's destination and sources). Parsed into key_flag_sets by CommandTable.
  std::string_view key_flags = {};
  CommandHandler handler = nullptr;  // null only for containers (CLIENT, CONFIG, ...)
  // Documentation (COMMAND DOCS, docs/commands.md).
  std::string_view group;  // "string", "generic", "connection", "server"
  std::string_view since;  // Redis version that introduced it
  std::string_view summary;
  std::string_view complexity;
  std::string_view syntax;  // arguments after the name, e.g. "key value [NX | XX]"
  // For containers Redis implements as one command with no subcommand rows (DEBUG): an
  // unknown subcommand or a wrong argument count gets Redis's single error for both,
  // "unknown subcommand or wrong number of arguments for 'X'. Try DEBUG HELP.".
  bool flat_in_redis = false;
  // KeySpec for commands whose key positions depend on their arguments (SINTERCARD's
  // numkeys, later EVAL, ZUNIONSTORE, LMPOP): appends argv's key positions. Null when
  // first_key/last_key/key_step describe them.
  void (*find_keys)(std::span<const std::string_view> argv, std::vector<size_t>* out) = nullptr;
  // With variable_flags: the flags of the key at argv[position] for these arguments
  // (SET without GET only overwrites: OW update).
  uint32_t (*flags_for_args)(std::span<const std::string_view> argv, size_t position) = nullptr;
  // The arguments MONITOR and the slow log show as "(redacted)" (Redis's
  // redactClientCommandArgument):
  // whether argv[index] is a secret (AUTH's password, CONFIG SET requirepass's value). Null:
  // none is.
  bool (*secret_arg)(std::span<const std::string_view> argv, size_t index) = nullptr;
  // For a command whose last key-flag group names the keys after a keyword (MIGRATE's
  // KEYS): the keyword. COMMAND INFO shows that group as Redis's keyword key spec (the
  // keyword searched from the second-last argument back, its keys to the last argument);
  // find_keys finds the keys.
  std::string_view key_keyword = {};
  std::vector<uint32_t> key_flag_sets;  // key_flags, parsed
  // For commands whose effect depends on what they run (EVAL, EVALSHA, FCALL: Redis's
  // getCommandFlags): whether these arguments may change the dataset or reach the log. Null:
  // the kWrite and kMayReplicate flags say it (MayWrite).
  bool (*may_write)(Engine& engine, std::span<const std::string_view> argv) = nullptr;
  bool MayWrite(Engine& engine, std::span<const std::string_view> argv) const;
  // Whether argc arguments (argv[0] included) fit the arity.
  bool AcceptsArgc(size_t argc) const {
    return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }

  // The key-spec flags of the index-th key argv names (KeyPositions order).
  uint32_t KeyFlagsAt(std::span<const std::string_view> argv, size_t index, size_t position) const;

  std::vector<std::unique_ptr<CommandSpec>> subcommands;
  mutable CommandStats stats;

  bool is_container() const { return !subcommands.empty(); }
  // Whether the command names keys at all (COMMAND GETKEYS's "no key arguments").
  bool has_keys() const { return first_key > 0 || find_keys != nullptr; }
  // The positions of argv's keys, in order: the one key-position walk that the dispatcher,
  // COMMAND GETKEYS and persistence share.
  std::vector<size_t> KeyPositions(std::span<const std::string_view> argv) const;
  const CommandSpec* FindSubcommand(std::string_view lower_name) const;
  // The display name: "get", "client|list".
  std::string_view FullName() const { return name; }
};

class CommandTable {
 public:
  // Adds a command row; the name must be new. Returns it so subcommands can be added.
  CommandSpec& Add(CommandSpec spec);
  // Adds a subcommand row under container (name without the "container|" prefix).
  CommandSpec& AddSubcommand(CommandSpec& container, CommandSpec spec);

  // Looks a command up by any-case name. nullptr when unknown.
  const CommandSpec* Find(std::string_view name) const;
  // The row that runs argv: the command, or for a container called with a subcommand, the
  // subcommand's row. nullptr when either is unknown.
  const CommandSpec* Resolve(std::span<const std::string_view> argv) const;

  // Every command clients can call, in registration order (not the kInternal ones).
  const std::vector<const CommandSpec*>& all() const { return ordered_; }
  size_t size() const { return ordered_.size(); }
  // Rows ever added, subcommands included: every CommandSpec::id is below it.
  uint32_t row_count() const { return next_id_; }

  void ResetStats() const;

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<CommandSpec>> by_name_;
  std::vector<const CommandSpec*> ordered_;
  uint32_t next_id_ = 0;
};

}  // namespace tidekv::engine
