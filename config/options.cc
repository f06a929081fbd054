// The option table and the text <-> value conversions every source shares (TOML strings,
// command-line flags, CONFIG SET). Defaults are never written here: they are read from a
// default-constructed Config through each option's field pointer.

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "config/config.h"
#include "config/internal.h"

namespace tidekv::config {
namespace {

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;
constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

std::string_view NotEmpty(std::string_view value) {
  return value.empty() ? "must not be empty" : "";
}

// "host:port", or empty.
std::string_view ValidHostPort(std::string_view value) {
  if (value.empty()) return "";
  const size_t colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "must be host:port";
  const std::optional<int64_t> port = ParseInt64(value.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) return "must be host:port with a port in 1..65535";
  return "";
}

// Redis's save rules: "seconds changes" pairs separated by single spaces (seconds >= 1,
// changes >= 0), or empty.
std::string_view ValidSaveRules(std::string_view value) {
  if (value.empty()) return "";
  size_t count = 0;
  size_t pos = 0;
  while (true) {
    const size_t end = std::min(value.find(' ', pos), value.size());
    const std::optional<int64_t> n = ParseInt64(value.substr(pos, end - pos));
    if (!n || *n < (count % 2 == 0 ? 1 : 0)) return "Invalid save parameters";
    ++count;
    if (end == value.size()) break;
    pos = end + 1;
  }
  return count % 2 == 0 ? "" : "Invalid save parameters";
}

// Redis's maxmemory-clients: a byte size or a percentage of maxmemory ("5%").
std::string_view ValidMemoryOrPercent(std::string_view value) {
  if (!value.empty() && value.back() == '%') {
    const std::optional<int64_t> percent = ParseInt64(value.substr(0, value.size() - 1));
    if (!percent || *percent < 0) return "argument must be a memory or percent value";
    return *percent > 100 ? "percentage argument must be less or equal to 100" : "";
  }
  const std::optional<int64_t> bytes = ParseBytes(value);
  return bytes && *bytes >= 0 ? "" : "argument must be a memory or percent value";
}

// As Redis shows it: bytes in decimal, a percentage with its sign, 0% as 0.
std::string CanonicalMemoryOrPercent(std::string_view value) {
  if (!value.empty() && value.back() == '%') {
    const int64_t percent = ParseInt64(value.substr(0, value.size() - 1)).value_or(0);
    return percent == 0 ? "0" : fmt::format("{}%", percent);
  }
  return std::to_string(ParseBytes(value).value_or(0));
}

// "host:port" as Redis's replicaof shows it: "host port".
std::string HostSpacePort(std::string_view stored) {
  std::string out(stored);
  if (const size_t colon = out.rfind(':'); colon != std::string::npos) out[colon] = ' ';
  return out;
}

std::string_view ValidKeyspaceEvents(std::string_view value) {
  return ParseKeyspaceEvents(value) ? "" : "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
}

std::string CanonicalKeyspaceEvents(std::string_view value) {
  return KeyspaceEventsText(ParseKeyspaceEvents(value).value_or(0));
}

// "group=string db=3 prefix=user:" (any order, kinds may repeat), or empty.
std::string_view ValidSample(std::string_view value) {
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t end = std::min(value.find(' ', pos), value.size());
    const std::string_view term = value.substr(pos, end - pos);
    pos = end + 1;
    if (term.empty()) continue;
    const size_t eq = term.find('=');
    if (eq == std::string_view::npos || eq + 1 == term.size()) {
      return "filters are group=<name>, db=<n> or prefix=<text>, separated by spaces";
    }
    const std::string_view kind = term.substr(0, eq);
    if (kind == "db") {
      const std::optional<int64_t> db = ParseInt64(term.substr(eq + 1));
      if (!db || *db < 0) return "db=<n> needs a database number";
    } else if (kind != "group" && kind != "prefix") {
      return "filters are group=<name>, db=<n> or prefix=<text>, separated by spaces";
    }
  }
  return "";
}

// "50.0  99.90" -> "50 99.9", as CONFIG GET shows them in Redis.
std::string CanonicalPercentiles(std::string_view value) {
  std::string out;
  for (double p : ParsePercentiles(value).value_or(std::vector<double>{})) {
    if (!out.empty()) out += ' ';
    out += PercentileText(p);
  }
  return out;
}

std::vector<OptionSpec> BuildOptions() {
  using T = OptionType;
  return {
      // [server]
      {.key = "server.bind",
       .redis_name = "bind",
       .type = T::kString,
       .runtime = true,
       .doc = "Addresses to listen on, space-separated IPv4 or IPv6 addresses; 0.0.0.0 means "
              "every IPv4 interface. CONFIG SET listens on the new ones before it closes the "
              "old (connected clients stay).",
       .validate = NotEmpty,
       .field = &Config::bind},
      {.key = "server.port",
       .redis_name = "port",
       .type = T::kInt,
       .min = 0,
       .max = 65535,
       .runtime = true,
       .doc = "TCP port to listen on; 0 lets the kernel pick a free port (tests use this). "
              "CONFIG SET listens on the new port before it closes the old one and fails with "
              "'Unable to listen on this port' when the port is taken.",
       .field = &Config::port},
      {.key = "server.dir",
       .redis_name = "dir",
       .type = T::kString,
       .runtime = false,
       .doc = "Data directory: the log store and the batch files live here.",
       .validate = NotEmpty,
       .field = &Config::dir},
      {.key = "server.databases",
       .redis_name = "databases",
       .type = T::kInt,
       .min = 1,
       .max = 1024,
       .runtime = false,
       .doc = "Number of logical databases; SELECT accepts 0 to databases - 1.",
       .field = &Config::databases},
      {.key = "server.hz",
       .redis_name = "hz",
       .type = T::kInt,
       .min = 1,
       .max = 500,
       .runtime = true,
       .doc = "Times per second background work runs (active expiry, idle-client timeouts).",
       .field = &Config::hz},
      {.key = "server.tcp_backlog",
       .redis_name = "tcp-backlog",
       .type = T::kInt,
       .min = 1,
       .max = 65535,
       .runtime = false,
       .doc = "Backlog passed to listen(2); the kernel caps it at net.core.somaxconn.",
       .field = &Config::tcp_backlog},
      {.key = "server.timeout",
       .redis_name = "timeout",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Seconds a client may stay idle before it is closed; 0 = never.",
       .field = &Config::timeout},
      // 32767 is the largest TCP_KEEPIDLE Linux accepts.
      {.key = "server.tcp_keepalive",
       .redis_name = "tcp-keepalive",
       .type = T::kInt,
       .min = 0,
       .max = 32767,
       .runtime = true,
       .doc = "Seconds of idleness before TCP keepalive probes are sent to a client; 0 = off.",
       .field = &Config::tcp_keepalive},
      {.key = "scripting.busy_reply_threshold_ms",
       .redis_name = "busy-reply-threshold",
       .type = T::kInt,
       .min = 0,
       .max = INT32_MAX,
       .runtime = true,
       .doc = "Milliseconds a Lua script or function may run before the server starts "
              "answering other clients -BUSY and accepts SCRIPT KILL / FUNCTION KILL / SHUTDOWN "
              "NOSAVE; 0 = at once.",
       .redis_alias = "lua-time-limit",
       .field = &Config::busy_reply_threshold_ms},
      {.key = "server.busy_poll_us",
       .type = T::kInt,
       .min = 0,
       .max = 1000,
       .runtime = true,
       .doc = "Microseconds the event loop keeps polling for requests before it sleeps, so "
              "that clients under load need not wake it (more throughput with one request in "
              "flight, for CPU time); adapts down to 0 when requests come farther apart, and "
              "spends at most a quarter of the time the loop worked. 0 = sleep at once.",
       .field = &Config::busy_poll_us},
      {.key = "server.notify_keyspace_events",
       .redis_name = "notify-keyspace-events",
       .type = T::kString,
       .runtime = true,
       .doc = "Keyspace notifications published to __keyspace@<db>__:<key> (K) and "
              "__keyevent@<db>__:<event> (E) for the event classes given, in Redis's letters "
              "(g$lshzxetd, A for all of them, m, n); empty = none.",
       .validate = ValidKeyspaceEvents,
       .canonical = CanonicalKeyspaceEvents,
       .field = &Config::notify_keyspace_events},
      {.key = "server.daemonize",
       .redis_name = "daemonize",
       .type = T::kEnum,
       .choices = {"no"},
       .runtime = false,
       .doc = "Redis's; always no: tidekv stays in the foreground (a service manager runs it "
              "in the background).",
       .field = &Config::daemonize},

      // [limits]
      {.key = "limits.max_bulk_bytes",
       .redis_name = "proto-max-bulk-len",
       .type = T::kBytes,
       .min = kMiB,  // as Redis: below it a client could not even send CONFIG SET to undo it
       .max = 4 * kGiB,
       .runtime = true,
       .doc = "Largest bulk string a client may send; a bigger $ length is a protocol error.",
       .field = &Config::max_bulk_bytes},
      {.key = "limits.max_multibulk_len",
       .type = T::kInt,
       .min = 1024,  // a floor that keeps every admin command possible
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Most elements a command array may have; a bigger * length is a protocol error.",
       .field = &Config::max_multibulk_len},
      {.key = "limits.max_query_buffer_bytes",
       .redis_name = "client-query-buffer-limit",
       .type = T::kBytes,
       .min = kMiB,  // Redis's floor
       .max = kNoMax,
       .runtime = true,
       .doc = "Most unparsed input buffered for one client; past it the client is closed.",
       .field = &Config::max_query_buffer_bytes},
      {.key = "limits.max_clients",
       .redis_name = "maxclients",
       .type = T::kInt,
       .min = 1,
       .max = 1'000'000,
       .runtime = true,
       .doc = "Most clients connected at once; more are refused with an error reply.",
       .field = &Config::max_clients},
      {.key = "limits.client_output_bytes",
       .type = T::kBytes,
       .min = kKiB,
       .max = kNoMax,
       .runtime = true,
       .doc = "Most pending reply bytes for one normal client; past it the client is closed.",
       .field = &Config::client_output_bytes},
      {.key = "limits.client_output_pubsub_bytes",
       .type = T::kBytes,
       .min = kKiB,
       .max = kNoMax,
       .runtime = true,
       .doc = "Most pending output bytes for a client with pub/sub subscriptions (Redis's "
              "pubsub class hard limit); a subscriber that falls this far behind is closed.",
       .field = &Config::client_output_pubsub_bytes},
      {.key = "limits.maxmemory",
       .redis_name = "maxmemory",
       .type = T::kBytes,
       .min = 0,
       .max = kNoMax,
       .runtime = true,
       .doc = "Memory limit for the dataset; past it maxmemory_policy applies. 0 = no limit.",
       .field = &Config::maxmemory},
      {.key = "limits.maxmemory_policy",
       .redis_name = "maxmemory-policy",
       .type = T::kEnum,
       .choices = {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
                   "allkeys-lfu", "allkeys-random", "noeviction"},
       .runtime = true,
       .doc = "What happens past maxmemory: noeviction refuses writes with -OOM; the others "
              "evict keys first (all keys or only those with a TTL, by approximated LRU, LFU, "
              "at random, or nearest expiry first). See docs/eviction.md.",
       .field = &Config::maxmemory_policy},
      {.key = "limits.tracking_table_max_keys",
       .redis_name = "tracking-table-max-keys",
       .type = T::kInt,
       .min = 0,
       .max = kNoMax,
       .runtime = true,
       .doc = "Most keys CLIENT TRACKING remembers for the clients that read them; past it the "
              "server invalidates keys (clients drop them from their caches) until it is back "
              "under. 0 = no limit.",
       .field = &Config::tracking_table_max_keys},
      {.key = "limits.maxmemory_samples",
       .redis_name = "maxmemory-samples",
       .type = T::kInt,
       .min = 1,
       .max = 64,
       .runtime = true,
       .doc = "Keys sampled per database for each eviction (LRU, LFU, TTL policies): more is "
              "closer to the exact policy and costs more CPU.",
       .field = &Config::maxmemory_samples},
      {.key = "limits.maxmemory_clients",
       .redis_name = "maxmemory-clients",
       .type = T::kString,
       .runtime = true,
       .doc = "Redis's limit on the memory of all clients together, bytes or a percentage of "
              "maxmemory (\"5%\"); accepted, validated and reported, no effect: "
              "client_output_bytes and max_query_buffer_bytes bound each client.",
       .validate = ValidMemoryOrPercent,
       .canonical = CanonicalMemoryOrPercent,
       .field = &Config::maxmemory_clients},
      {.key = "limits.maxmemory_eviction_tenacity",
       .redis_name = "maxmemory-eviction-tenacity",
       .type = T::kInt,
       .min = 0,
       .max = 100,
       .runtime = true,
       .doc = "How long one eviction pass may run before the command proceeds and the cron "
              "continues it: 10 is 500 us, each step above adds 15%, 100 is no limit.",
       .field = &Config::maxmemory_eviction_tenacity},
      {.key = "limits.lfu_log_factor",
       .redis_name = "lfu-log-factor",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "LFU counter growth: an access increments a counter c with probability "
              "1 / ((c - 5) * factor + 1); larger factors need more hits to saturate.",
       .field = &Config::lfu_log_factor},
      {.key = "limits.lfu_decay_time",
       .redis_name = "lfu-decay-time",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Minutes after which an idle key's LFU counter loses one (0 = never decays).",
       .field = &Config::lfu_decay_time},

      // [security]
      {.key = "security.password",
       .redis_name = "requirepass",
       .type = T::kString,
       .runtime = true,
       .doc = "Password clients must send with AUTH; empty = no AUTH (protected mode applies).",
       .field = &Config::password,
       .sensitive = true},
      {.key = "security.protected_mode",
       .redis_name = "protected-mode",
       .type = T::kBool,
       .runtime = true,
       .doc = "With no password set, only clients on loopback addresses are served.",
       .field = &Config::protected_mode},
      {.key = "security.enable_protected_configs",
       .redis_name = "enable-protected-configs",
       .type = T::kEnum,
       .choices = {"no", "yes", "local"},
       .runtime = false,
       .doc = "Which clients may CONFIG SET options that name files (trace.path): no, yes "
              "(any), local (loopback clients only).",
       .field = &Config::enable_protected_configs},
      {.key = "security.enable_debug_command",
       .redis_name = "enable-debug-command",
       .type = T::kEnum,
       .choices = {"no", "yes", "local"},
       .runtime = false,
       .doc = "Which clients may run DEBUG: no, yes (any), local (loopback clients only).",
       .field = &Config::enable_debug_command},

      // [replication]
      {.key = "replication.replicaof",
       .redis_name = "replicaof",
       .type = T::kString,
       .runtime = false,
       .doc = "host:port of the primary to replicate from; empty = this node is a primary. "
              "REPLICAOF changes it at runtime (CONFIG GET replicaof shows \"host port\").",
       .validate = ValidHostPort,
       .redis_alias = "slaveof",
       .field = &Config::replicaof,
       .redis_form = HostSpacePort},
      {.key = "replication.primary_auth",
       .redis_name = "masterauth",
       .type = T::kString,
       .runtime = true,
       .doc = "Password a replica sends with AUTH to its primary; empty = none.",
       .field = &Config::primary_auth,
       .sensitive = true},
      {.key = "replication.backlog_bytes",
       .redis_name = "repl-backlog-size",
       .type = T::kBytes,
       .min = 16 * kKiB,
       .max = 64 * kGiB,
       .runtime = true,
       .doc = "Memory for recent frames replicas resume from; older offsets are read from "
              "the log store.",
       .field = &Config::backlog_bytes},
      {.key = "replication.reconnect_window_ms",
       .type = T::kInt,
       .min = 1000,
       .max = 7 * 24 * 3'600'000ll,
       .runtime = true,
       .doc = "How long a disconnected replica's slot (and the log it still needs) is kept.",
       .field = &Config::reconnect_window_ms},
      {.key = "replication.replica_output_limit",
       .type = T::kBytes,
       .min = 64 * kKiB,
       .max = 16 * kGiB,
       .runtime = true,
       .doc = "Bytes of frames queued for one replica's socket; past it the primary stops "
              "queueing and the replica reads on from the backlog and the log at its pace.",
       .field = &Config::replica_output_limit},
      {.key = "replication.min_replicas_to_write",
       .redis_name = "min-replicas-to-write",
       .type = T::kInt,
       .min = 0,
       .max = 1000,
       .runtime = true,
       .doc = "Refuse writes (-NOREPLICAS) unless this many replicas acked within "
              "min_replicas_max_lag_ms; 0 = off.",
       .field = &Config::min_replicas_to_write},
      {.key = "replication.min_replicas_max_lag_ms",
       .type = T::kInt,
       .min = 1,
       .max = 3'600'000,
       .runtime = true,
       .doc = "A replica counts for min_replicas_to_write when its last ack is this recent.",
       .field = &Config::min_replicas_max_lag_ms},
      {.key = "replication.serve_stale_data",
       .redis_name = "replica-serve-stale-data",
       .type = T::kBool,
       .runtime = true,
       .doc = "While a replica is not in sync, answer reads with the data it has (yes) or "
              "with -LOADING / -MASTERDOWN (no).",
       .field = &Config::serve_stale_data},
      {.key = "replication.replica_read_only",
       .redis_name = "replica-read-only",
       .type = T::kBool,
       .runtime = true,
       .doc = "A replica refuses writes from normal clients with -READONLY.",
       .field = &Config::replica_read_only},
      {.key = "replication.heartbeat_ms",
       .type = T::kInt,
       .min = 10,
       .max = 60'000,
       .runtime = true,
       .doc = "Interval of the primary's PING and the replica's REPLCONF ACK when idle.",
       .field = &Config::heartbeat_ms},

      // [logstore]
      {.key = "logstore.mode",
       .type = T::kEnum,
       .choices = {"wal", "spill"},
       .runtime = false,
       .doc = "wal: every write's effect is logged and a restart recovers every logged write; "
              "spill: a cache without durability: nothing is logged per write, batches are "
              "sealed only by SAVE/BGSAVE, and a restart loads the last SAVE.",
       .field = &Config::logstore_mode},
      {.key = "logstore.fsync",
       .redis_name = "appendfsync",
       .type = T::kEnum,
       .choices = {"always", "everysec", "no"},
       .runtime = true,
       .doc = "always: reply only after the log chunk holding the write is fsynced (one fsync "
              "per group of writes); everysec: fsync once a second (a power loss can lose about "
              "a second of writes, a process crash none); no: leave flushing to the OS.",
       .field = &Config::fsync},
      {.key = "logstore.retention_bytes",
       .type = T::kBytes,
       .min = 0,
       .max = 1024 * kGiB,
       .runtime = true,
       .doc = "Log kept below the last seal for replicas that are behind (their slots hold "
              "it); past this many bytes a replica that far behind gets a full sync instead.",
       .field = &Config::retention_bytes},
      // [compaction]
      {.key = "compaction.seal_interval_ms",
       .type = T::kInt,
       .min = 10,
       .max = 3'600'000,
       .runtime = true,
       .doc = "Milliseconds between seals: the keys changed since the last seal are written as "
              "a new batch and the log below it can be truncated.",
       .field = &Config::seal_interval_ms},
      {.key = "compaction.seal_dirty_bytes",
       .type = T::kBytes,
       .min = 4 * kKiB,
       .max = 16 * kGiB,
       .runtime = true,
       .doc = "Seal early when the keys changed since the last seal hold about this many bytes.",
       .field = &Config::seal_dirty_bytes},
      {.key = "compaction.max_inflight",
       .type = T::kInt,
       .min = 1,
       .max = 64,
       .runtime = true,
       .doc = "Most batch merges running at once on the compaction pool.",
       .field = &Config::compaction_max_inflight},
      {.key = "compaction.threads",
       .type = T::kInt,
       .min = 1,
       .max = 64,
       .runtime = false,
       .doc = "Threads of the compaction pool (sealed batch writing, merges, loading at start-up).",
       .field = &Config::compaction_threads},
      {.key = "compaction.save",
       .redis_name = "save",
       .type = T::kString,
       .runtime = true,
       .doc = "Redis's save rules, \"seconds changes\" pairs (\"3600 1 300 100\"): in "
              "logstore.mode spill a seal starts when that many seconds passed since the last "
              "seal and at least that many changes were made, as Redis's BGSAVE. Empty = only "
              "SAVE and BGSAVE seal. No effect in wal mode, which seals on its own schedule.",
       .validate = ValidSaveRules,
       .field = &Config::save},
      // [encoding]
      {.key = "encoding.hash_max_listpack_entries",
       .redis_name = "hash-max-listpack-entries",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A hash with more fields than this is stored as a hash table instead of a listpack.",
       .redis_alias = "hash-max-ziplist-entries",
       .field = &Config::hash_max_listpack_entries},
      {.key = "encoding.hash_max_listpack_value",
       .redis_name = "hash-max-listpack-value",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A hash with a field or value longer than this many bytes is stored as a hash table.",
       .redis_alias = "hash-max-ziplist-value",
       .field = &Config::hash_max_listpack_value},
      {.key = "encoding.set_max_intset_entries",
       .redis_name = "set-max-intset-entries",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A set of integers only is an intset up to this many members.",
       .field = &Config::set_max_intset_entries},
      {.key = "encoding.set_max_listpack_entries",
       .redis_name = "set-max-listpack-entries",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A set with more members than this (and not an intset) is stored as a hash table.",
       .field = &Config::set_max_listpack_entries},
      {.key = "encoding.set_max_listpack_value",
       .redis_name = "set-max-listpack-value",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A set with a member longer than this many bytes is stored as a hash table.",
       .field = &Config::set_max_listpack_value},
      {.key = "encoding.zset_max_listpack_entries",
       .redis_name = "zset-max-listpack-entries",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A sorted set with more members than this is stored as a skiplist instead of a "
              "listpack.",
       .redis_alias = "zset-max-ziplist-entries",
       .field = &Config::zset_max_listpack_entries},
      {.key = "encoding.zset_max_listpack_value",
       .redis_name = "zset-max-listpack-value",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "A sorted set with a member longer than this many bytes is stored as a skiplist.",
       .redis_alias = "zset-max-ziplist-value",
       .field = &Config::zset_max_listpack_value},
      {.key = "encoding.stream_node_max_entries",
       .redis_name = "stream-node-max-entries",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int64_t>::max(),
       .runtime = true,
       .doc = "Entries per stream node (0: unlimited). Approximate trimming (MAXLEN ~, "
              "MINID ~) removes whole nodes only, as in Redis.",
       .field = &Config::stream_node_max_entries},
      {.key = "encoding.stream_node_max_bytes",
       .redis_name = "stream-node-max-bytes",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int64_t>::max(),
       .runtime = true,
       .doc = "Bytes per stream node, estimated as Redis's listpack would hold them (0: "
              "unlimited).",
       .field = &Config::stream_node_max_bytes},
      {.key = "encoding.list_max_listpack_size",
       .redis_name = "list-max-listpack-size",
       .type = T::kInt,
       .min = std::numeric_limits<int32_t>::min(),
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Size of each list node: positive = at most this many elements; -1..-5 = at most "
              "4, 8, 16, 32 or 64 KiB (Redis's meaning). A list that fits one node is a "
              "listpack, a longer one a quicklist of such nodes.",
       .redis_alias = "list-max-ziplist-size",
       .field = &Config::list_max_listpack_size},
      {.key = "encoding.list_compress_depth",
       .redis_name = "list-compress-depth",
       .type = T::kInt,
       .min = 0,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Quicklist nodes kept uncompressed at each end of a list; 0 compresses none.",
       .field = &Config::list_compress_depth},
      {.key = "encoding.hll_sparse_max_bytes",
       .redis_name = "hll-sparse-max-bytes",
       .type = T::kBytes,
       .min = 0,
       .max = kNoMax,
       .runtime = true,
       .doc = "A HyperLogLog in the sparse encoding that would grow past this many bytes (its "
              "16-byte header included) becomes dense (12304 bytes), as in Redis.",
       .field = &Config::hll_sparse_max_bytes},
      // [trace]
      {.key = "trace.enabled",
       .type = T::kBool,
       .runtime = true,
       .doc = "Record every command (argv, reply, timing) and lifecycle event to trace.path "
              "for tidekv-replay (docs/trace.md).",
       .field = &Config::trace_enabled},
      {.key = "trace.path",
       .type = T::kString,
       .runtime = true,
       .protected_config = true,
       .doc = "Trace file; a relative path is inside server.dir. Takes effect when tracing "
              "(re)starts. CONFIG SET only as security.enable_protected_configs allows.",
       .validate = NotEmpty,
       .field = &Config::trace_path},
      {.key = "trace.max_bytes",
       .type = T::kBytes,
       .min = 64 * kKiB,
       .max = 1024 * kGiB,
       .runtime = true,
       .doc = "Size at which the trace file is rotated (to <path>.1) or tracing stops, per "
              "trace.on_full.",
       .field = &Config::trace_max_bytes},
      {.key = "trace.on_full",
       .type = T::kEnum,
       .choices = {"rotate", "stop"},
       .runtime = true,
       .doc = "At trace.max_bytes: rotate (keep one previous file) or stop tracing; both are "
              "logged.",
       .field = &Config::trace_on_full},
      {.key = "trace.sample",
       .type = T::kString,
       .runtime = true,
       .doc = "Trace only part of the traffic: space-separated filters group=<command group>, "
              "db=<n>, prefix=<key prefix>; a command is traced when it matches one value of "
              "every kind given. Empty = everything.",
       .validate = ValidSample,
       .field = &Config::trace_sample},
      {.key = "trace.queue_bytes",
       .type = T::kBytes,
       .min = 64 * kKiB,
       .max = 16 * kGiB,
       .runtime = false,
       .doc = "Bytes of records waiting for the trace writer thread; records past it are "
              "dropped and counted (INFO trace), never waited for.",
       .field = &Config::trace_queue_bytes},

      // [latency]
      {.key = "latency.slowlog_log_slower_than_us",
       .redis_name = "slowlog-log-slower-than",
       .type = T::kInt,
       .min = -1,
       .max = kNoMax,
       .runtime = true,
       .doc = "Commands that run at least this many microseconds go into the slow log "
              "(SLOWLOG GET); -1 = none, 0 = every command.",
       .field = &Config::slowlog_log_slower_than},
      {.key = "latency.slowlog_max_len",
       .redis_name = "slowlog-max-len",
       .type = T::kInt,
       .min = 0,
       .max = kNoMax,
       .runtime = true,
       .doc = "Most entries the slow log keeps; the oldest go first (a smaller value takes "
              "effect at the next entry, as in Redis). 0 = no slow log.",
       .field = &Config::slowlog_max_len},
      {.key = "latency.monitor_threshold_ms",
       .redis_name = "latency-monitor-threshold",
       .type = T::kInt,
       .min = 0,
       .max = kNoMax,
       .runtime = true,
       .doc = "The latency monitor (LATENCY LATEST, HISTORY, DOCTOR) samples events (commands, "
              "expiry cycles, evictions, seals) that block the loop at least this many "
              "milliseconds; 0 = off.",
       .field = &Config::latency_monitor_threshold},
      {.key = "latency.tracking",
       .redis_name = "latency-tracking",
       .type = T::kBool,
       .runtime = true,
       .doc = "Keeps a latency histogram per command (LATENCY HISTOGRAM).",
       .field = &Config::latency_tracking},
      {.key = "latency.tracking_info_percentiles",
       .redis_name = "latency-tracking-info-percentiles",
       .type = T::kString,
       .runtime = true,
       .doc = "The percentiles of each command's latency INFO latencystats reports, separated "
              "by spaces.",
       .validate = PercentilesError,
       .canonical = CanonicalPercentiles,
       .field = &Config::latency_tracking_percentiles},

      // [debug]
      {.key = "debug.key_load_delay",
       .redis_name = "key-load-delay",
       .type = T::kInt,
       .min = std::numeric_limits<int32_t>::min(),
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Redis's hidden test hook (a delay per key loaded); accepted, no effect.",
       .field = &Config::key_load_delay,
       .hidden = true},
      {.key = "debug.rdb_key_save_delay",
       .redis_name = "rdb-key-save-delay",
       .type = T::kInt,
       .min = std::numeric_limits<int32_t>::min(),
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Redis's hidden test hook (a delay per key saved); accepted, no effect.",
       .field = &Config::rdb_key_save_delay,
       .hidden = true},
      {.key = "debug.loading_process_events_interval_bytes",
       .redis_name = "loading-process-events-interval-bytes",
       .type = T::kInt,
       .min = 1024,
       .max = std::numeric_limits<int32_t>::max(),
       .runtime = true,
       .doc = "Redis's hidden test hook (how often loading serves events); accepted, no "
              "effect.",
       .field = &Config::loading_process_events_interval_bytes,
       .hidden = true},

      // [log]
      {.key = "log.level",
       .redis_name = "loglevel",
       .type = T::kEnum,
       .choices = {"trace", "debug", "info", "warn", "error", "critical", "off"},
       .runtime = true,
       .doc = "Least severe message logged; Redis's verbose, notice, warning are also accepted.",
       .aliases = {{"verbose", "debug"}, {"notice", "info"}, {"warning", "warn"}},
       .field = &Config::log_level},
      {.key = "log.file",
       .redis_name = "logfile",
       .type = T::kString,
       .runtime = false,
       .doc = "File log lines are appended to; empty = standard error.",
       .field = &Config::log_file},
  };
}

// Optimal string alignment distance on lower-cased text: a swapped pair costs one, which is
// the commonest typo ("prot" for "port").
size_t EditDistance(std::string_view a_in, std::string_view b_in) {
  const std::string a = AsciiLower(a_in);
  const std::string b = AsciiLower(b_in);
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Maps text to the canonical choice of an enum option, honouring aliases; "" when invalid.
std::string_view CanonicalChoice(const OptionSpec& option, std::string_view text) {
  for (std::string_view choice : option.choices) {
    if (EqualsIgnoreCase(choice, text)) return choice;
  }
  for (const auto& [alias, choice] : option.aliases) {
    if (EqualsIgnoreCase(alias, text)) return choice;
  }
  return {};
}

std::string JoinChoices(const OptionSpec& option, std::string_view separator) {
  std::string out;
  for (std::string_view choice : option.choices) {
    if (!out.empty()) out += separator;
    out += choice;
  }
  return out;
}

}  // namespace

const std::vector<OptionSpec>& Options() {
  static const std::vector<OptionSpec> options = BuildOptions();
  return options;
}

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& option : Options()) {
    if (EqualsIgnoreCase(option.key, name) ||
        (!option.redis_name.empty() && EqualsIgnoreCase(option.redis_name, name)) ||
        (!option.redis_alias.empty() && EqualsIgnoreCase(option.redis_alias, name))) {
      return &option;
    }
  }
  return nullptr;
}

void MatchOptionNames(std::string_view pattern,
                      const std::function<void(std::string_view, const OptionSpec&)>& fn) {
  const bool plain = pattern.find_first_of("*?[\\") == std::string_view::npos;
  const bool dotted = pattern.find('.') != std::string_view::npos;
  for (const OptionSpec& option : Options()) {
    if (plain) {
      if (EqualsIgnoreCase(option.key, pattern) ||
          (!option.redis_name.empty() && EqualsIgnoreCase(option.redis_name, pattern)) ||
          (!option.redis_alias.empty() && EqualsIgnoreCase(option.redis_alias, pattern))) {
        fn(pattern, option);
      }
      continue;
    }
    if (option.hidden) continue;
    if (dotted) {
      if (GlobMatch(pattern, option.key, true)) fn(option.key, option);
      continue;
    }
    if (!option.redis_name.empty() && GlobMatch(pattern, option.redis_name, true)) {
      fn(option.redis_name, option);
    }
    if (!option.redis_alias.empty() && GlobMatch(pattern, option.redis_alias, true)) {
      fn(option.redis_alias, option);
    }
  }
}

std::string GetOptionAs(const Config& config, const OptionSpec& option, std::string_view name) {
  std::string value = GetOption(config, option);
  if (option.redis_form != nullptr && !EqualsIgnoreCase(name, option.key)) {
    return option.redis_form(value);
  }
  return value;
}

std::string GetOption(const Config& config, const OptionSpec& option) {
  if (auto* b = std::get_if<bool Config::*>(&option.field)) return config.**b ? "yes" : "no";
  if (auto* i = std::get_if<int64_t Config::*>(&option.field)) return std::to_string(config.**i);
  if (auto* s = std::get_if<std::string Config::*>(&option.field)) return config.**s;
  TIDEKV_CHECK(false && "option without a field");
  return {};
}

std::optional<int64_t> ParseBytes(std::string_view text) {
  size_t digits = 0;
  if (digits < text.size() && text[digits] == '-') ++digits;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::optional<int64_t> number = ParseInt64(text.substr(0, digits));
  if (!number) return std::nullopt;
  const std::string unit = AsciiLower(text.substr(digits));
  int64_t multiplier = 0;
  if (unit.empty() || unit == "b") {
    multiplier = 1;
  } else if (unit == "k") {
    multiplier = 1000;
  } else if (unit == "kb") {
    multiplier = kKiB;
  } else if (unit == "m") {
    multiplier = 1000 * 1000;
  } else if (unit == "mb") {
    multiplier = kMiB;
  } else if (unit == "g") {
    multiplier = 1000 * 1000 * 1000;
  } else if (unit == "gb") {
    multiplier = kGiB;
  } else {
    return std::nullopt;
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(*number, multiplier, &bytes)) return std::nullopt;
  return bytes;
}

std::optional<bool> ParseBool(std::string_view text) {
  if (EqualsIgnoreCase(text, "yes") || EqualsIgnoreCase(text, "true")) return true;
  if (EqualsIgnoreCase(text, "no") || EqualsIgnoreCase(text, "false")) return false;
  return std::nullopt;
}

Status SetOption(Config* config, const OptionSpec& option, std::string_view value) {
  switch (option.type) {
    case OptionType::kBool: {
      const std::optional<bool> b = ParseBool(value);
      if (!b) {
        return Status::InvalidArgument(fmt::format(
            "'{}' is not a boolean (use yes/no or true/false)", internal::Printable(value)));
      }
      config->*std::get<bool Config::*>(option.field) = *b;
      return Status::Ok();
    }
    case OptionType::kInt: {
      const std::optional<int64_t> i = ParseInt64(value);
      if (!i) {
        return Status::InvalidArgument(
            fmt::format("'{}' is not an integer", internal::Printable(value)));
      }
      return internal::SetInteger(config, option, *i, value);
    }
    case OptionType::kBytes: {
      const std::optional<int64_t> bytes = ParseBytes(value);
      if (!bytes) {
        return Status::InvalidArgument(fmt::format(
            "'{}' is not a byte size (an integer with an optional unit: b, k, kb, m, mb, g, gb)",
            internal::Printable(value)));
      }
      return internal::SetInteger(config, option, *bytes, value);
    }
    case OptionType::kString: {
      if (option.validate != nullptr) {
        const std::string_view why = option.validate(value);
        if (!why.empty()) return Status::InvalidArgument(std::string(why));
      }
      config->*std::get<std::string Config::*>(option.field) =
          option.canonical != nullptr ? option.canonical(value) : std::string(value);
      return Status::Ok();
    }
    case OptionType::kEnum: {
      const std::string_view choice = CanonicalChoice(option, value);
      if (choice.empty()) {
        std::string message = fmt::format("'{}' is not one of: {}", internal::Printable(value),
                                          JoinChoices(option, ", "));
        const std::string_view near = internal::ClosestMatch(value, option.choices);
        if (!near.empty()) message += fmt::format(" (did you mean {}?)", near);
        return Status::InvalidArgument(std::move(message));
      }
      config->*std::get<std::string Config::*>(option.field) = std::string(choice);
      return Status::Ok();
    }
  }
  return Status::Internal("unknown option type");
}

namespace internal {

const std::vector<Section>& Sections() {
  static const std::vector<Section> sections = {
      {"server", false, "Listening, databases and the background task clock."},
      {"limits", false, "Bounds on what clients may send and hold, and on memory (DESIGN.md §9)."},
      {"security", false, "Authentication and protected mode."},
      {"replication", false, "Primary/replica settings (docs/replication.md)."},
      {"logstore", false, "The RocksDB frame log (<dir>/log): mode, fsync policy, retention."},
      {"compaction", false, "Sealing and merging of batches (<dir>/batches)."},
      {"encoding", false,
       "When compact encodings (small collections, sparse HyperLogLogs) convert to their full "
       "structure."},
      {"scripting", false, "Lua scripts and functions (EVAL, FCALL): how long one may run."},
      {"trace", false, "The op trace recorder (docs/trace.md)."},
      {"latency", false,
       "The slow log, the latency monitor and per-command latency histograms (SLOWLOG, "
       "LATENCY)."},
      {"debug", false, "Redis's hidden test hooks, accepted so Redis's tools and tests run."},
      {"log", false, "Server log output."},
  };
  return sections;
}

const Section* FindSection(std::string_view name) {
  for (const Section& section : Sections()) {
    if (section.name == name) return &section;
  }
  return nullptr;
}

std::string_view SectionOf(const OptionSpec& option) {
  return option.key.substr(0, option.key.find('.'));
}

std::string_view NameOf(const OptionSpec& option) {
  return option.key.substr(option.key.find('.') + 1);
}

std::string_view TypeName(OptionType type) {
  switch (type) {
    case OptionType::kBool:
      return "bool";
    case OptionType::kInt:
      return "int";
    case OptionType::kBytes:
      return "bytes";
    case OptionType::kString:
      return "string";
    case OptionType::kEnum:
      return "enum";
  }
  return "?";
}

std::string QuoteToml(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string TomlValue(const Config& config, const OptionSpec& option) {
  switch (option.type) {
    case OptionType::kBool:
      return config.*std::get<bool Config::*>(option.field) ? "true" : "false";
    case OptionType::kInt:
    case OptionType::kBytes:
      return GetOption(config, option);
    case OptionType::kString:
    case OptionType::kEnum:
      return QuoteToml(GetOption(config, option));
  }
  return {};
}

std::string DefaultText(const OptionSpec& option) {
  const Config defaults;
  std::string text = TomlValue(defaults, option);
  if (option.type == OptionType::kBytes) {
    const std::string human = HumanBytes(defaults.*std::get<int64_t Config::*>(option.field));
    if (!human.empty()) text += fmt::format(" ({})", human);
  }
  return text;
}

std::string HumanBytes(int64_t bytes) {
  if (bytes <= 0) return {};
  if (bytes % kGiB == 0) return fmt::format("{}gb", bytes / kGiB);
  if (bytes % kMiB == 0) return fmt::format("{}mb", bytes / kMiB);
  if (bytes % kKiB == 0) return fmt::format("{}kb", bytes / kKiB);
  return {};
}

std::string BoundsText(const OptionSpec& option) {
  switch (option.type) {
    case OptionType::kInt:
    case OptionType::kBytes:
      if (option.max == kNoMax) return fmt::format(">= {}", option.min);
      return fmt::format("[{}, {}]", option.min, option.max);
    case OptionType::kEnum:
      return JoinChoices(option, " | ");
    case OptionType::kBool:
    case OptionType::kString:
      return {};
  }
  return {};
}

std::string Printable(std::string_view text) {
  constexpr size_t kMaxShown = 80;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

Status SetInteger(Config* config, const OptionSpec& option, int64_t value,
                  std::string_view as_written) {
  if (value < option.min || value > option.max) {
    std::string shown = std::to_string(value);
    if (!as_written.empty() && as_written != shown) {
      shown = fmt::format("{} ({})", Printable(as_written), value);
    }
    if (option.max == kNoMax) {
      return Status::OutOfRange(fmt::format("{} is below the minimum {}", shown, option.min));
    }
    return Status::OutOfRange(
        fmt::format("{} is out of range [{}, {}]", shown, option.min, option.max));
  }
  config->*std::get<int64_t Config::*>(option.field) = value;
  return Status::Ok();
}

std::string_view ClosestMatch(std::string_view wrong,
                              const std::vector<std::string_view>& candidates) {
  // Allow roughly one typo per five characters, and at least two: enough for "prot"/"port"
  // and "maxmemroy", not so much that unrelated names are offered.
  const size_t allowed = std::max<size_t>(2, wrong.size() / 5);
  std::string_view best;
  size_t best_distance = allowed + 1;
  for (std::string_view candidate : candidates) {
    const size_t distance = EditDistance(wrong, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string_view SuggestOptionKey(std::string_view wrong) {
  if (const OptionSpec* exact = FindOption(wrong)) return exact->key;
  // A known name in the wrong section, or a Redis name: "server.maxmemory", "maxclients".
  const size_t dot = wrong.rfind('.');
  const std::string_view bare = dot == std::string_view::npos ? wrong : wrong.substr(dot + 1);
  for (const OptionSpec& option : Options()) {
    if (EqualsIgnoreCase(NameOf(option), bare) ||
        (!option.redis_name.empty() && EqualsIgnoreCase(option.redis_name, bare))) {
      return option.key;
    }
  }
  std::vector<std::string_view> keys;
  for (const OptionSpec& option : Options()) keys.push_back(option.key);
  return ClosestMatch(wrong, keys);
}

}  // namespace internal
}  // namespace tidekv::config
