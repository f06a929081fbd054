// Engine: the keyspace plus the command table plus the dispatcher, without any network.
//
// The Server wraps one Engine and feeds it requests from connections; tests (and trace replay
// later) drive an Engine directly, in process. Everything here runs on the loop thread.
// Execute does the checks every command shares, in one place: lookup, arity, AUTH, OOM,
// statistics, MONITOR feed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "engine/command_table.h"
#include "engine/eviction.h"
#include "engine/latency.h"
#include "engine/migrate_targets.h"
#include "engine/pause.h"
#include "engine/server_hooks.h"
#include "engine/session.h"
#include "engine/slowlog.h"
#include "engine/tracking.h"
#include "keyspace/keyspace.h"
#include "proto/reply.h"

namespace tidekv::trace {
class Recorder;
class Sample;
enum class RecordType : uint8_t;
}  // namespace tidekv::trace

namespace tidekv::engine {

using keyspace::Database;
using keyspace::Entry;
using keyspace::Keyspace;
using keyspace::KeyspaceObserver;
using keyspace::KeyspaceStats;

// Receives every write's effect, in execution order: the deterministic argv that, applied
// to the state before it, gives the state after it (DESIGN.md §3). Persistence (and later
// replication) implements it. Loop thread only.
class EffectSink {
 public:
  virtual ~EffectSink() = default;
  // session is the client whose command caused it (nullptr for expiry and internal work).
  // spec is argv[0]'s command when the caller already looked it up (nullptr otherwise).
  virtual void OnEffect(Session* session, int db, std::span<const std::string_view> argv,
                        const CommandSpec* spec) = 0;
  // Told before a whole database is emptied or swapped (see KeyspaceObserver).
  virtual void OnWholeDatabase(const Database& db, int other_index) = 0;
  // Whether writes may run now; when not, *why is the error reply (e.g. MISCONF ...).
  virtual bool WritesAllowed(std::string* why) const = 0;
};

// Key events (DESIGN.md §2a, Redis's signalModifiedKey): after every command that changed
// something, each key it opened for writing, created, deleted or re-timed is reported, with
// its entry when the key exists afterwards (Modified) or without one (Deleted); a key
// removed by expiry is reported as Deleted just before its entry goes. Persistence's dirty set
// listens; WATCH, blocked clients and keyspace notifications are the next listeners. A key may be
// reported more than once per command. Loop thread only.
class KeyEventListener {
 public:
  virtual ~KeyEventListener() = default;
  virtual void OnKeyModified(int db, Entry* entry) = 0;
  virtual void OnKeyDeleted(int db, std::string_view key) = 0;
};

// Decides, for replication, whether commands may run now: -READONLY on a replica,
// -NOREPLICAS below min_replicas_to_write, -MASTERDOWN while a replica that must not serve
// stale data is out of sync. Loop thread only.
class WriteGate {
 public:
  virtual ~WriteGate() = default;
  virtual bool AllowWrite(const Session& session, std::string* why) const = 0;
  // Commands without the stale flag (data commands) while out of sync.
  virtual bool AllowStale(std::string* why) const = 0;
};

// Server-wide counters (INFO stats).
struct EngineStats {
  uint64_t total_commands = 0;
  uint64_t total_errors = 0;  // error replies
  // INFO errorstats: error replies per code (their first word: "ERR", "WRONGTYPE", "OOM"),
  // in name order; at most kMaxErrorCodes codes, as Redis (later new codes are not kept).
  static constexpr size_t kMaxErrorCodes = 128;
  std::map<std::string, uint64_t, std::less<>> errors_by_code;
  // Counts one error reply (its text, with or without the leading '-').
  void CountError(std::string_view error);
  uint64_t rejected_unknown = 0;
  uint64_t dirty = 0;  // changes since start (INFO persistence later: since last save)
  int64_t start_ms = 0;
};

class BlockingRegistry;
class WatchRegistry;
class ScriptHost;
class PubSubRegistry;
class KeyspaceNotifier;
class Acl;
enum class AclDenial : uint8_t;
enum class AclContext : uint8_t;

class Engine : private KeyspaceObserver {
 public:
  // table: the commands this engine runs (commands::BuildCommandTable()).
  Engine(config::Config& config, const Clock& clock, CommandTable table);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Copies the options lower layers read (the encoding thresholds) after a change.
  void ApplyConfig();

  // Runs one request and appends exactly one reply (none for a successful SHUTDOWN).
  // `spec` may carry the command already looked up by Prepare.
  // `now_us` is the wall-clock time the command runs at; Connection reads the clock once per
  // batch of pipelined requests and passes it, -1 reads the clock here.
  void Execute(Session& session, std::span<const std::string_view> argv, proto::ReplyBuilder& reply,
               const CommandSpec* spec = nullptr, int64_t now_us = -1);

  // For a batch of pipelined requests: Prepare looks the command up and starts loading the
  // first key's hash slot into cache; PrefetchEntry (called once the whole batch was
  // prepared) starts loading the entry that slot points to. Executing the batch afterwards
  // then finds both in cache instead of waiting on memory twice per request. Hints only:
  // neither changes anything.
  struct Prepared {
    const CommandSpec* spec = nullptr;
    uint64_t key_hash = 0;
    bool has_key = false;
  };
  Prepared Prepare(const Session& session, std::span<const std::string_view> argv) const;
  void PrefetchEntry(const Session& session, const Prepared& prepared) const;

  Keyspace& keyspace() { return keyspace_; }
  const CommandTable& commands() const { return commands_; }
  config::Config& config() { return config_; }
  const Clock& clock() const { return clock_; }
  EngineStats& stats() { return stats_; }
  // Clients blocked on keys (BLPOP...): engine/blocking.h.
  BlockingRegistry& blocking() { return *blocking_; }
  // CLIENT PAUSE (engine/pause.h): the connection asks Holds before running a request.
  ClientPause& pause() { return pause_; }
  const ClientPause& pause() const { return pause_; }
  KeyspaceNotifier& notifier() { return *notifier_; }
  // Pub/sub subscriptions (SUBSCRIBE...): engine/pubsub.h.
  PubSubRegistry& pubsub() { return *pubsub_; }
  // Client-side caching (CLIENT TRACKING): engine/tracking.h.
  TrackingRegistry& tracking() { return tracking_; }
  const TrackingRegistry& tracking() const { return tracking_; }
  // The id of the client whose command is running (the outermost one: EXEC's or a script's
  // caller), 0 between commands (cron, expiry cycles).
  uint64_t executing_client() const { return executing_ != nullptr ? executing_->id : 0; }
  // FLUSHDB / FLUSHALL ran (Redis's signalFlushedDb): tracking clients get a null
  // invalidation, even when there was nothing to flush.
  void DatabasesFlushed() {
    if (tracking_.active()) tracking_.Flushed();
  }
  // Once per cron tick: tracking's key limit and the BCAST messages of expired keys.
  void TrackingCron();
  // SLOWLOG (engine/slowlog.h) and LATENCY (engine/latency.h).
  SlowLog& slowlog() { return slowlog_; }
  LatencyMonitor& latency() { return latency_; }
  // Reports a latency monitor event's duration (kept when it reaches the threshold).
  void ReportLatency(std::string_view event, int64_t ms) {
    if (latency_.threshold_ms() > 0) [[unlikely]]
      latency_.Report(event, ms, clock_.NowMs() / 1000);
  }
  // Puts a command that completed into the slow log when it ran at least
  // slowlog-log-slower-than (Dispatch does this for every command; a blocked command that
  // timed out is logged here with the duration of the run that blocked).
  void LogSlowCommand(const Session& session, const CommandSpec* spec,
                      std::span<const std::string_view> argv, int64_t duration_us);
  // MIGRATE's cached connections to target servers (engine/migrate_targets.h). The server's
  // cron closes the idle ones.
  MigrateTargets& migrate_targets() { return migrate_targets_; }
  // Users and permissions (ACL, AUTH): engine/acl.h.
  Acl& acl() { return *acl_; }
  // A new client (or one RESET): it runs as the default user, authenticated when that user
  // needs no password.
  void AttachDefaultUser(Session& session) const;
  // Checks a restricted user's command (argv, its resolved row spec) and, when refused,
  // records it in ACL LOG: the refusal, or kNone.
  AclDenial CheckAcl(const Session& session, const CommandSpec& spec,
                     std::span<const std::string_view> argv, AclContext context);
  // Records a refusal in ACL LOG (with the client's CLIENT LIST line).
  void LogAclDenial(const Session& session, AclDenial why, AclContext context,
                    std::string_view object, std::string_view username);

  // The network server's hooks, when there is one (nullptr in-process). Commands that need
  // it (CLIENT LIST, SHUTDOWN, MONITOR, SAVE, REPLICAOF...) say so when it is absent.
  ServerHooks* hooks() const { return hooks_; }
  // Shows a command to MONITOR clients, when there are any. Execute does so after each
  // command (unless skip_monitor or admin); EVAL and FCALL call it before they run.
  void FeedMonitors(const Session& session, std::span<const std::string_view> argv);
  // The error reply the running command is about to send was already counted where it
  // arose (a script returning the error of a redis.call): Execute counts the command as
  // failed but not the error again (INFO errorstats, total_error_replies).
  void ErrorAlreadyCounted() { error_counted_ = true; }

  // Where write effects go (nullptr: nowhere, e.g. plain in-process tests).
  void set_effect_sink(EffectSink* sink) { sink_ = sink; }
  EffectSink* effect_sink() const { return sink_; }
  // Hands one effect to the sink (inside an atomic group: to the group). Commands call it
  // through CommandContext::Propagate.
  void EmitEffect(Session* session, int db, std::span<const std::string_view> argv,
                  const CommandSpec* spec = nullptr) {
    if (sink_ == nullptr) return;
    if (group_depth_ > 0) {
      if (!group_muted_) AddToGroup(db, argv);
    } else {
      sink_->OnEffect(session, db, argv, spec);
    }
  }

  // Atomic groups (DESIGN.md §3): the effects emitted between BeginGroup and the matching
  // EndGroup (EXEC's commands, later a script's calls) reach the sink as one effect, a
  // TIDEKV.GROUP command carrying them all in order (one frame: one offset, one log chunk,
  // applied whole by replicas and recovery), or as the single effect itself when there is
  // only one. Groups nest; the outermost one emits. While a group runs, commands skip the
  // checks their group already passed, are traced as nested records (those of `client`, the
  // session id whose commands the outermost group runs: not another client's command served
  // while a script is busy), and blocked clients are served only after it.
  void BeginGroup(uint64_t client) {
    if (group_depth_++ == 0) group_client_ = client;
  }
  void EndGroup(Session* session);
  bool in_group() const { return group_depth_ > 0; }
  // How many nested records (a group's own commands, see above) have run since start-up,
  // traced or observed: trace replay's kill points count them (ScriptHost::ReplayKill).
  uint64_t nested_executed() const { return nested_executed_; }
  // Drops the effects the open group collected (a script ended by SHUTDOWN NOSAVE).
  void AbandonGroup() {
    group_args_.clear();
    group_effects_ = 0;
  }
  // redis.set_repl(redis.REPL_NONE): the open group's next effects go nowhere (until the
  // group ends or set_repl turns them back on).
  void set_group_muted(bool muted) { group_muted_ = muted && group_depth_ > 0; }

  // Lua scripting (engine/script_host.h), started on first use.
  ScriptHost& scripts();
  bool has_scripts() const { return scripts_ != nullptr; }
  // A script or function is running (inside its events processed while busy, the cron,
  // seals and the replica link wait for it).
  bool script_running() const;

  // The checks before a command runs (AUTH, DEBUG access, OOM, write refusal, stale data),
  // by its flags: the error reply's text, or "" when it may run.
  std::string AccessError(const Session& session, CommandFlag flags, bool stale_ok) const;
  // Used memory is past maxmemory (when one is set) and eviction could not help (noeviction,
  // nothing left to evict): deny-oom commands are refused.
  bool OverMaxmemory() const;
  // maxmemory-policy (engine/eviction.h): Dispatch runs it before each client command.
  Evictor& evictor() { return evictor_; }
  const Evictor& evictor() const { return evictor_; }
  // Memory maxmemory does not count (INFO mem_not_counted_for_evict): storage_memory() and
  // the nodes of deleted keys that wait for the next seal.
  size_t memory_not_counted_for_evict() const { return storage_memory() + Entry::DeadBytes(); }

  // Transactions (engine/transaction.h): WATCH's registry; EXEC runs a client's queue.
  WatchRegistry& watches() { return *watches_; }
  void ExecQueued(Session& session, proto::ReplyBuilder& reply, int64_t now_us);
  // Ends a client's MULTI without running it (DISCARD, RESET, EXEC's refusal) and forgets
  // its WATCHed keys.
  void DiscardTransaction(Session& session);
  // A client went away: it leaves the blocking queues, its channels, its MULTI and its
  // WATCHes.
  void SessionClosed(Session& session);
  void set_hooks(ServerHooks* hooks) { hooks_ = hooks; }
  // Subscribes to key events (see KeyEventListener); RemoveKeyListener before it goes.
  void AddKeyListener(KeyEventListener* listener) { key_listeners_.push_back(listener); }
  void RemoveKeyListener(KeyEventListener* listener);
  void set_write_gate(WriteGate* gate) { gate_ = gate; }

  // The op trace (nullptr: not tracing). Execute records every command of a client, with
  // its reply, when it matches `sample`; the server's own deletions of expired keys are
  // recorded as DEL commands of connection 0.
  void set_recorder(trace::Recorder* recorder, const trace::Sample* sample) {
    recorder_ = recorder;
    sample_ = sample;
  }
  trace::Recorder* recorder() const { return recorder_; }
  // Records a command that completed after it blocked (a timeout, CLIENT UNBLOCK), with its
  // reply, where it completed: a no-op when not tracing.
  void RecordCompleted(const Session& session, int db, std::span<const std::string_view> argv,
                       std::string_view reply);
  // Lifecycle records (connect, seal, ...): a no-op when not tracing.
  void TraceEvent(trace::RecordType type, uint64_t connection, std::string_view detail);

  // A command an atomic group (EXEC, a script) ran for a client, as it completed: what the
  // trace's nested record of it holds, plus its execution time.
  struct NestedExecution {
    uint64_t connection = 0;
    int db = 0;  // as it started
    std::span<const std::string_view> argv;
    std::string_view reply;
    uint64_t ns = 0;
  };
  // Called where the recorder writes nested records (whether or not one is on): trace
  // replay collects what the enclosing EXEC or EVAL runs and compares it with the trace's
  // nested records. An empty function turns it off.
  void set_nested_observer(std::function<void(const NestedExecution&)> observer) {
    nested_observer_ = std::move(observer);
  }

  // DEBUG PAUSE-CRON: while set, the server's cron tick does nothing.
  bool cron_paused() const { return cron_paused_; }
  void set_cron_paused(bool paused) { cron_paused_ = paused; }

  // Seconds clock for OBJECT IDLETIME, refreshed per command.
  uint32_t lru_clock() const { return lru_clock_; }
  // Unix minutes mod 2^16 at the same instant: the LFU counters' decay clock.
  uint32_t lfu_minutes() const { return keyspace::LfuMinutes(int64_t{lru_clock_} * 1000); }
  // A command accessed the key (lookups): its LRU time, or under an LFU policy its counter.
  void TouchKey(Entry* entry) {
    if (lfu_) [[unlikely]] {
      entry->Touch(evictor_.LfuAccess(entry->lru(), lfu_minutes()));
    } else {
      entry->Touch(lru_clock_);
    }
  }
  // The access word of a key created now (what Database::Insert gives it).
  uint32_t NewKeyAccess() const {
    return lfu_ ? keyspace::LfuWord(lfu_minutes(), keyspace::kLfuInitVal) : lru_clock_;
  }

  // Used memory as the allocator reports it (bytes), for maxmemory and INFO.
  static size_t UsedMemory();
  // Hands the calling thread's free pages back to the system now (mimalloc: mi_collect;
  // glibc: malloc_trim) instead of whenever that thread next allocates: after a seal or a
  // merge freed its buffers, so RSS falls back to the data set's size (docs/performance.md).
  static void ReleaseFreeMemory();
  // Memory that is not the dataset's and does not count against maxmemory (INFO
  // used_memory_storage): the log store's memtables, the log's write buffers and the
  // replication backlog, as Redis counts neither its AOF buffer nor its replicas' output.
  // Persistence provides it (nullptr: none); it is read before every write under maxmemory.
  void set_storage_memory_source(std::function<size_t()> source) {
    storage_source_ = std::move(source);
  }
  size_t storage_memory() const { return storage_source_ ? storage_source_() : 0; }
  size_t startup_memory() const { return startup_memory_; }

  // Allocates the next session id (CLIENT ID).
  uint64_t NextSessionId() { return ++last_session_id_; }

 private:
  void Dispatch(Session& session, std::span<const std::string_view> argv,
                proto::ReplyBuilder& reply, const CommandSpec* spec, int64_t now_us);
  // Sets the LRU clock (and the new-key access word) to now_us's second; also refreshes
  // the tick conversions below (the cycle clock's rate is measured during the first 50 ms).
  void SetAccessClock(int64_t now_us);
  // A command ran at least watch_ticks_: the slow log and the latency monitor look at it.
  void CommandTookLong(Session& session, const CommandSpec& spec,
                       std::span<const std::string_view> argv, int64_t ticks);
  void SetTickConversions();
  // Deletes an entry the evictor chose (engine/eviction.cc): DEL effect, key event,
  // `evicted` notification, trace record. Returns the counted bytes it freed.
  friend class Evictor;
  size_t EvictKey(int db, Entry* entry, std::string_view key);
  size_t CountedMemory() const;
  void Record(const Session& session, int db, std::span<const std::string_view> argv,
              std::string_view reply, int64_t now_us, bool nested = false);
  // Execute for a command a group runs for its client while tracing or observed: the
  // command, then its nested record and the observer's call.
  void ExecuteNested(Session& session, std::span<const std::string_view> argv,
                     proto::ReplyBuilder& reply, const CommandSpec* spec, int64_t now_us);
  void AddToGroup(int db, std::span<const std::string_view> argv);
  // KeyspaceObserver: expiry becomes a DEL effect; whole-database changes go to the sink.
  void OnExpired(int db, std::string_view key) override;
  void OnFieldsExpired(int db, Entry* entry, std::span<const std::string> fields,
                       bool key_deleted) override;
  // Records an expiry's effect in the trace as a command of connection 0.
  void RecordExpiry(int db, std::span<const std::string_view> argv);
  void OnWholeDatabase(const Database& db, int other_index) override;
  // Reports the keys the command just run (spec) noted (Keyspace::TakeKeyNotes) when it
  // changed something: to the key listeners and, for writes, as keyspace notifications.
  void ReportKeyEvents(const CommandSpec& spec, bool changed);
  // Tells every key listener: Modified with the entry, or Deleted when entry is nullptr;
  // and client tracking, with who changed it (nobody when by_expiry).
  void NotifyKey(int db, std::string_view key, Entry* entry, bool by_expiry = false);
  // After a command, when some client tracks: remembers what it read, ends CLIENT CACHING's
  // window, and after the outermost command (top) sends what tracking collected.
  void TrackCommand(Session& session, const CommandSpec& spec,
                    std::span<const std::string_view> argv, bool top);

  config::Config& config_;
  const Clock& clock_;
  Keyspace keyspace_;
  CommandTable commands_;
  EngineStats stats_;
  ServerHooks* hooks_ = nullptr;
  bool error_counted_ = false;
  EffectSink* sink_ = nullptr;
  WriteGate* gate_ = nullptr;
  std::vector<KeyEventListener*> key_listeners_;
  trace::Recorder* recorder_ = nullptr;
  const trace::Sample* sample_ = nullptr;
  std::vector<std::string_view> trace_argv_;
  std::function<void(const NestedExecution&)> nested_observer_;
  uint32_t lru_clock_ = 0;
  // The slow log and the latency monitor: a command that ran at least watch_ticks_ cycle
  // clock ticks (the lower of both thresholds, a little under it; INT64_MAX when both are
  // off) is looked at after it ran: one compare per command.
  int64_t watch_ticks_ = INT64_MAX;
  // LATENCY HISTOGRAM: ticks times this are a command's duration in the histogram's units.
  double histogram_scale_ = 0;
  bool latency_tracking_ = true;
  bool tick_rate_fixed_ = false;  // the cycle clock's rate was final when they were computed
  SlowLog slowlog_;
  LatencyMonitor latency_;
  bool lfu_ = false;  // an LFU policy: TouchKey counts instead of stamping the time
  Evictor evictor_{*this};
  size_t startup_memory_ = 0;
  std::function<size_t()> storage_source_;
  uint64_t last_session_id_ = 0;
  std::unique_ptr<BlockingRegistry> blocking_;
  ClientPause pause_{*this};
  std::unique_ptr<WatchRegistry> watches_;
  std::unique_ptr<ScriptHost> scripts_;
  // The open atomic group: nesting depth, and its effects as (db, argc, args...) runs.
  int group_depth_ = 0;
  uint64_t group_client_ = 0;  // the session id whose commands the open group runs
  uint64_t nested_executed_ = 0;
  bool group_muted_ = false;
  size_t group_effects_ = 0;
  std::vector<std::string> group_args_;
  std::unique_ptr<PubSubRegistry> pubsub_;
  std::unique_ptr<KeyspaceNotifier> notifier_;
  TrackingRegistry tracking_{*this};
  MigrateTargets migrate_targets_;
  Session* executing_ = nullptr;  // the client of the outermost command running
  bool cron_paused_ = false;
  std::unique_ptr<Acl> acl_;
  std::string synced_password_;  // security.password as the default user last took it
};

}  // namespace tidekv::engine
