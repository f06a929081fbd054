// Config: every tidekv option, its default, bounds and documentation, in one table.
//
// Sources, in increasing precedence: built-in defaults < TOML file (--config) < command-line
// flags. Loading is done once at start-up on the main thread; afterwards the loop thread owns
// the Config and changes runtime-changeable options through SetOption (CONFIG SET).
//
// Errors never throw out of this module: they come back as a Status whose message names the
// file, the line when known, the key and the reason, ready to print as the one start-up error.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace tidekv::config {

// The effective configuration. Field defaults here are the only place defaults are written;
// the option table (options.cc) points at these fields and reads defaults from a
// default-constructed Config.
struct Config {
  // [server]
  std::string bind = "0.0.0.0";
  int64_t port = 6379;
  std::string dir = "./data";
  int64_t databases = 16;
  int64_t hz = 10;
  int64_t tcp_backlog = 511;
  int64_t timeout = 0;  // seconds a client may be idle before it is closed; 0 = never
  int64_t tcp_keepalive = 300;
  int64_t busy_reply_threshold_ms = 5000;  // a script running longer is busy (SCRIPT KILL)
  int64_t busy_poll_us = 50;           // event loop polling before it sleeps (server/event_loop.h)
  std::string notify_keyspace_events;  // Redis's flag letters, canonical order; "" = off
  std::string daemonize = "no";        // Redis's; tidekv never forks into the background

  // [limits]
  int64_t max_bulk_bytes = 512ll * 1024 * 1024;
  int64_t max_multibulk_len = 16ll * 1024 * 1024;
  int64_t max_query_buffer_bytes = 1024ll * 1024 * 1024;
  int64_t max_clients = 10000;
  int64_t client_output_bytes = 256ll * 1024 * 1024;
  int64_t client_output_pubsub_bytes = 32ll * 1024 * 1024;  // clients with subscriptions
  int64_t maxmemory = 0;                                    // bytes; 0 = no limit
  std::string maxmemory_policy = "noeviction";
  int64_t tracking_table_max_keys = 1'000'000;  // CLIENT TRACKING's table; 0 = no limit
  int64_t maxmemory_samples = 5;
  std::string maxmemory_clients = "0";  // Redis's: bytes or "N%" of maxmemory; no effect
  int64_t maxmemory_eviction_tenacity = 10;
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_time = 1;  // minutes

  // [security]
  std::string password;  // empty = no AUTH required, protected mode applies
  bool protected_mode = true;
  // Who may change options that name files (OptionSpec::protected_config) and run DEBUG:
  // "no" (nobody, Redis 7's default), "yes" (any client), "local" (loopback clients).
  std::string enable_protected_configs = "no";
  std::string enable_debug_command = "no";

  // [replication]
  std::string replicaof;     // "host:port" of the primary; empty = this node is a primary
  std::string primary_auth;  // password sent with AUTH to the primary
  int64_t backlog_bytes = 64ll * 1024 * 1024;
  int64_t reconnect_window_ms = 3'600'000;
  int64_t replica_output_limit = 64ll * 1024 * 1024;
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag_ms = 10'000;
  bool serve_stale_data = true;
  bool replica_read_only = true;
  int64_t heartbeat_ms = 1000;

  // [logstore]
  std::string logstore_mode = "wal";
  std::string fsync = "everysec";
  int64_t retention_bytes = 1024ll * 1024 * 1024;

  // [compaction]
  int64_t seal_interval_ms = 1000;
  int64_t seal_dirty_bytes = 64ll * 1024 * 1024;
  int64_t compaction_max_inflight = 1;
  int64_t compaction_threads = 2;
  // Redis's save rules, "seconds changes" pairs: in logstore.mode spill, a seal starts
  // when that many seconds passed since the last one and at least that many changes were
  // made (as Redis's BGSAVE); "" = only SAVE/BGSAVE seal. No effect in wal mode.
  std::string save;

  // [encoding]: when small collections convert to their full structure (Redis's names)
  int64_t hash_max_listpack_entries = 128;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t set_max_listpack_entries = 128;
  int64_t set_max_listpack_value = 64;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  int64_t stream_node_max_entries = 100;
  int64_t stream_node_max_bytes = 4096;
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  int64_t hll_sparse_max_bytes = 3000;

  // [trace]
  bool trace_enabled = false;
  std::string trace_path = "tidekv.trace";  // relative paths are inside server.dir
  int64_t trace_max_bytes = 1024ll * 1024 * 1024;
  std::string trace_on_full = "rotate";
  std::string trace_sample;  // empty = every command
  int64_t trace_queue_bytes = 64ll * 1024 * 1024;

  // [latency]: the slow log, the latency monitor and per-command latency histograms
  int64_t slowlog_log_slower_than = 10'000;  // microseconds; -1 = off, 0 = every command
  int64_t slowlog_max_len = 128;
  int64_t latency_monitor_threshold = 0;  // milliseconds; 0 = off
  bool latency_tracking = true;
  std::string latency_tracking_percentiles = "50 99 99.9";  // INFO latencystats

  // [debug]: Redis's hidden test hooks (CONFIG GET only by exact name); no effect here
  int64_t key_load_delay = 0;
  int64_t rdb_key_save_delay = 0;
  int64_t loading_process_events_interval_bytes = 2ll * 1024 * 1024;

  // [log]
  std::string log_level = "info";
  std::string log_file;  // empty = standard error

  bool operator==(const Config&) const = default;
};

enum class OptionType {
  kBool,    // TOML boolean; CONFIG SET accepts yes/no, true/false
  kInt,     // TOML integer within [min, max]
  kBytes,   // TOML integer, or string with a unit as Redis writes it: "512mb", "100k" (ParseBytes)
  kString,  // TOML string
  kEnum,    // TOML string, one of choices
};

struct OptionSpec {
  std::string_view key = {};         // "section.name" as written in TOML, e.g. "server.port"
  std::string_view redis_name = {};  // name CONFIG GET/SET also accept, e.g. "port"; may be empty
  OptionType type = OptionType::kString;
  int64_t min = 0;  // kInt / kBytes bounds (inclusive)
  int64_t max = 0;
  std::vector<std::string_view> choices = {};  // kEnum
  bool runtime = false;                        // changeable with CONFIG SET while running
  // Names a file the server writes: changeable at runtime only when
  // security.enable_protected_configs allows the client (no runtime command may otherwise
  // make the server write outside its data directory).
  bool protected_config = false;
  std::string_view doc = {};  // one line: what it does (default and runtime are added by renderers)

  // Additions beyond the first contract; all have defaults so existing initialisers still work.
  // kEnum: other spellings accepted on input and stored as the canonical choice
  // (Redis's "notice" -> "info").
  std::vector<std::pair<std::string_view, std::string_view>> aliases = {};
  // kString: extra check on the text; returns the reason it is rejected, or "" when valid.
  std::string_view (*validate)(std::string_view value) = nullptr;
  // A second name CONFIG GET/SET accept: Redis's older name for the same option
  // ("hash-max-ziplist-entries" for "hash-max-listpack-entries"), which Redis 7 still takes.
  std::string_view redis_alias = {};
  // kString: the form a valid value is stored (and CONFIG GET shows) in, e.g. the
  // notify-keyspace-events letters in Redis's order ("KA" -> "AK").
  std::string (*canonical)(std::string_view value) = nullptr;
  // The Config field this option reads and writes; its alternative matches the type
  // (kBool: bool, kInt/kBytes: int64_t, kString/kEnum: std::string).
  std::variant<std::monostate, bool Config::*, int64_t Config::*, std::string Config::*> field = {};
  // Redis's hidden configs: CONFIG GET answers them only when asked by their exact name.
  bool hidden = false;
  // The value as CONFIG GET shows it under the Redis name, when Redis writes it in another
  // form than the TOML key does (replicaof: "host port" rather than "host:port").
  std::string (*redis_form)(std::string_view stored) = nullptr;
  // A secret (a password): the slow log shows CONFIG SET's value for it as "(redacted)",
  // as Redis does for its sensitive configs.
  bool sensitive = false;
};

// Every option, in file order (grouped by section).
const std::vector<OptionSpec>& Options();

// Finds an option by "section.name" or by its Redis name, case-insensitively.
const OptionSpec* FindOption(std::string_view name);

// The names CONFIG GET answers for pattern: an exact name (no glob characters) matches a
// TOML key, a Redis name or alias, hidden options included; a glob with a dot matches TOML
// keys ("compaction.*"), one without matches Redis names and aliases ("*", "maxmemory*"),
// hidden options never. Calls fn(name to show, option) for each, in table order.
void MatchOptionNames(std::string_view pattern,
                      const std::function<void(std::string_view, const OptionSpec&)>& fn);

// The value CONFIG GET shows under name (an option's key or one of its Redis names).
std::string GetOptionAs(const Config& config, const OptionSpec& option, std::string_view name);

// The option's current value as text (CONFIG GET, --dump-config): bytes and ints in decimal,
// bools as "yes"/"no".
std::string GetOption(const Config& config, const OptionSpec& option);

// Parses and validates text (CONFIG SET, command-line flags) and stores it. Does not look at
// the runtime flag: the caller decides whether a change is allowed now. On error the config is
// unchanged and the message is only the reason ("70000 is out of range [0, 65535]"), without
// the option's name, so each caller prefixes the context it has (file:line, flag, CONFIG SET).
Status SetOption(Config* config, const OptionSpec& option, std::string_view value);

// Byte sizes as Redis writes them: digits with an optional case-insensitive unit; b, k, m, g
// are powers of 1000 and kb, mb, gb powers of 1024 ("100k" = 100000, "512mb" = 536870912).
// Empty on bad syntax or overflow. Bounds are the caller's business.
std::optional<int64_t> ParseBytes(std::string_view text);

// notify-keyspace-events (Redis's letters): K keyspace channel, E keyevent channel, then the
// classes g generic, $ string, l list, s set, h hash, z sorted set, x expired, e evicted,
// t stream, m key miss, d module, n new key; A = g$lshzxetd.
namespace notify {
inline constexpr uint32_t kKeyspace = 1u << 0;  // K
inline constexpr uint32_t kKeyevent = 1u << 1;  // E
inline constexpr uint32_t kGeneric = 1u << 2;   // g
inline constexpr uint32_t kString = 1u << 3;    // $
inline constexpr uint32_t kList = 1u << 4;      // l
inline constexpr uint32_t kSet = 1u << 5;       // s
inline constexpr uint32_t kHash = 1u << 6;      // h
inline constexpr uint32_t kZSet = 1u << 7;      // z
inline constexpr uint32_t kExpired = 1u << 8;   // x
inline constexpr uint32_t kEvicted = 1u << 9;   // e
inline constexpr uint32_t kStream = 1u << 10;   // t
inline constexpr uint32_t kKeyMiss = 1u << 11;  // m
inline constexpr uint32_t kModule = 1u << 13;   // d
inline constexpr uint32_t kNew = 1u << 14;      // n
}  // namespace notify
// The flags of a notify-keyspace-events value; nullopt on a letter Redis does not know.
std::optional<uint32_t> ParseKeyspaceEvents(std::string_view letters);
// The letters for flags in Redis's canonical order (CONFIG GET).
std::string KeyspaceEventsText(uint32_t flags);

// yes/no/true/false, case-insensitive.
std::optional<bool> ParseBool(std::string_view text);

// latency-tracking-info-percentiles: numbers in [0, 100] separated by single spaces (none
// is fine); nullopt when one is not. PercentilesError: why not, as Redis says it ("" = valid).
std::optional<std::vector<double>> ParsePercentiles(std::string_view text);
std::string_view PercentilesError(std::string_view text);
// A percentile as Redis writes it ("%f" without trailing zeros: "50", "99.9").
std::string PercentileText(double p);

// Loads a TOML document on top of base. source_name is used in error messages (the path).
Result<Config> LoadTomlString(std::string_view toml, std::string_view source_name,
                              Config base = {});
Result<Config> LoadTomlFile(const std::string& path, Config base = {});

// CONFIG REWRITE: text (a TOML file LoadTomlString accepts) updated to hold config. Lines
// of options whose value changed get the new value in place (their key, comments after it
// and every other line stay); options missing from the text are added to their section
// (created at the end when missing) only when they differ from the default. The result is
// checked to load as config.
Result<std::string> RewriteTomlText(std::string_view text, const Config& config);
// RewriteTomlText on the file at path (a missing file counts as empty), replaced atomically
// (temporary file, fsync, rename) and only when something changed.
Status RewriteTomlFile(const std::string& path, const Config& config);

// The effective configuration as a TOML document that LoadTomlString accepts.
// With docs, every option is preceded by comment lines: its doc, default and runtime flag.
std::string RenderToml(const Config& config, bool with_docs);

// config/tidekv.toml: a short header comment, then RenderToml(Config{}, true).
std::string RenderDefaultConfigFile();

// docs/configuration.md, generated from the table.
std::string RenderMarkdownReference();

// What the command line asked for.
struct CommandLine {
  Config config;             // defaults < --config file < flags
  std::string config_path;   // empty when no --config
  bool help = false;         // --help: usage() text should be printed, then exit 0
  bool version = false;      // --version
  bool dump_config = false;  // --dump-config: print RenderToml(config, true), then exit 0
  // --accept-data-loss: start even when the data directory proves that acknowledged writes
  // are missing (a damaged or deleted log); a flag for one start, never an option in a file.
  bool accept_data_loss = false;
  std::string usage;  // the help text
};

// tidekv-server [--config FILE] [--port N] [--bind ADDR] [--dir DIR] [--loglevel L]
//               [--dump-config] [--help] [--version] [--<section>.<name> VALUE ...]
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);

// The --help text (also CommandLine::usage): every flag, including one per option.
std::string UsageText();

}  // namespace tidekv::config
