#include "engine/info.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "common/cycle_clock.h"
#include "common/strings.h"
#include "common/version.h"
#include "engine/acl.h"
#include "engine/blocking.h"
#include "engine/engine.h"
#include "engine/pubsub.h"
#include "engine/script_host.h"

namespace tidekv::engine {

namespace {
#ifdef TIDEKV_WITH_MIMALLOC
constexpr std::string_view kAllocatorName = "mimalloc";
#else
constexpr std::string_view kAllocatorName = "libc";
#endif
}  // namespace

using keyspace::Database;
using keyspace::Keyspace;
using keyspace::KeyspaceStats;

namespace {

std::string HumanBytes(double n) {
  const char* units[] = {"B", "K", "M", "G", "T", "P"};
  int u = 0;
  while (n >= 1024 && u < 5) {
    n /= 1024;
    u++;
  }
  return u == 0 ? fmt::format("{}B", static_cast<long long>(n))
                : fmt::format("{:.2f}{}", n, units[u]);
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void Line(std::string& out, std::string_view key, const auto& value) {
  out += fmt::format("{}:{}\r\n", key, value);
}

void ServerSection(Engine& engine, const InfoSource* src, std::string& out) {
  struct utsname uts {};
  uname(&uts);
  const int64_t uptime_s = (engine.clock().NowMs() - engine.stats().start_ms) / 1000;
  out += "# Server\r\n";
  Line(out, "redis_version", kRedisCompatVersion);
  Line(out, "tidekv_version", kVersion);
  Line(out, "redis_mode", "standalone");
  Line(out, "os", fmt::format("{} {} {}", uts.sysname, uts.release, uts.machine));
  Line(out, "arch_bits", 64);
  Line(out, "multiplexing_api", "epoll (boost.asio)");
  Line(out, "process_id", getpid());
  Line(out, "tcp_port", src != nullptr ? src->port() : 0);
  Line(out, "server_time_usec", engine.clock().NowUs());
  Line(out, "uptime_in_seconds", uptime_s);
  Line(out, "uptime_in_days", uptime_s / 86400);
  Line(out, "hz", engine.config().hz);
  Line(out, "lru_clock", engine.lru_clock());
  Line(out, "config_file", "");
}

void ClientsSection(Engine& engine, const InfoSource* src, std::string& out) {
  size_t clients = 0, max_in = 0, max_out = 0;
  if (src != nullptr) src->ClientTotals(&clients, &max_in, &max_out);
  out += "# Clients\r\n";
  Line(out, "connected_clients", clients);
  Line(out, "maxclients", engine.config().max_clients);
  Line(out, "client_recent_max_input_buffer", max_in);
  Line(out, "client_recent_max_output_buffer", max_out);
  Line(out, "blocked_clients", engine.blocking().blocked_clients() + engine.pause().waiting());
  Line(out, "tracking_clients", engine.tracking().clients());
}

void MemorySection(Engine& engine, const InfoSource* src, std::string& out) {
  const size_t used = Engine::UsedMemory();
  const size_t rss = ResidentBytes();
  const size_t peak =
      std::max<size_t>(used, src != nullptr ? static_cast<size_t>(src->peak_memory()) : 0);
  const size_t keys = engine.keyspace().TotalKeys();
  const size_t dataset = used > engine.startup_memory() ? used - engine.startup_memory() : 0;
  out += "# Memory\r\n";
  Line(out, "used_memory", used);
  Line(out, "used_memory_human", HumanBytes(static_cast<double>(used)));
  Line(out, "used_memory_rss", rss);
  Line(out, "used_memory_rss_human", HumanBytes(static_cast<double>(rss)));
  Line(out, "used_memory_peak", peak);
  Line(out, "used_memory_peak_human", HumanBytes(static_cast<double>(peak)));
  Line(out, "used_memory_startup", engine.startup_memory());
  Line(out, "used_memory_dataset", dataset);
  Line(out, "used_memory_per_key", keys == 0 ? 0 : dataset / keys);
  Line(out, "used_memory_storage", engine.storage_memory());
  // Lua (engine/script_host.h): its state's heap, and the scripts EVAL / SCRIPT LOAD cached.
  const size_t lua = engine.has_scripts() ? engine.scripts().memory_bytes() : 0;
  Line(out, "used_memory_lua", lua);
  Line(out, "used_memory_lua_human", HumanBytes(static_cast<double>(lua)));
  Line(out, "used_memory_scripts", lua);
  Line(out, "number_of_cached_scripts",
       engine.has_scripts() ? engine.scripts().cached_scripts() : 0);
  Line(out, "maxmemory", engine.config().maxmemory);
  Line(out, "maxmemory_human", HumanBytes(static_cast<double>(engine.config().maxmemory)));
  Line(out, "maxmemory_policy", engine.config().maxmemory_policy);
  Line(out, "mem_not_counted_for_evict", engine.memory_not_counted_for_evict());
  Line(out, "mem_fragmentation_ratio",
       fmt::format("{:.2f}",
                   used == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used)));
  Line(out, "mem_allocator", kAllocatorName);
  // UNLINK's large values wait here for the lazy-free thread (keyspace/lazy_free.h).
  Line(out, "lazyfree_pending_objects", engine.keyspace().lazy_free().pending());
}

void StatsSection(Engine& engine, const InfoSource* src, std::string& out) {
  const NetStats net = src != nullptr ? src->net_stats() : NetStats{};
  const KeyspaceStats& ks = engine.keyspace().stats();
  out += "# Stats\r\n";
  Line(out, "total_connections_received", net.connections_received);
  Line(out, "total_commands_processed", engine.stats().total_commands);
  Line(out, "instantaneous_ops_per_sec",
       static_cast<int64_t>(src != nullptr ? src->instantaneous_ops() : 0));
  Line(out, "total_net_input_bytes", net.input_bytes);
  Line(out, "total_net_output_bytes", net.output_bytes);
  Line(out, "rejected_connections", net.rejected_connections);
  Line(out, "client_output_limit_disconnections", net.client_output_limit_disconnections);
  Line(out, "client_query_buffer_limit_disconnections", net.query_buffer_limit_disconnections);
  Line(out, "total_protocol_errors", net.protocol_errors);
  Line(out, "expired_keys", ks.expired_keys);
  Line(out, "expired_subkeys", ks.expired_subkeys);
  Line(out, "expire_cycle_cpu_milliseconds", ks.expire_cycle_time_us / 1000);
  Line(out, "evicted_keys", engine.evictor().evicted_keys());
  Line(out, "lazyfreed_objects", engine.keyspace().lazy_free().freed());
  Line(out, "keyspace_hits", ks.keyspace_hits);
  Line(out, "keyspace_misses", ks.keyspace_misses);
  const PubSubRegistry& pubsub = engine.pubsub();
  Line(out, "pubsub_channels", pubsub.Count(PubSubRegistry::Kind::kChannel));
  Line(out, "pubsub_patterns", pubsub.Count(PubSubRegistry::Kind::kPattern));
  Line(out, "pubsubshard_channels", pubsub.Count(PubSubRegistry::Kind::kShardChannel));
  Line(out, "migrate_cached_sockets", engine.migrate_targets().size());
  Line(out, "tracking_total_keys", engine.tracking().total_keys());
  Line(out, "tracking_total_items", engine.tracking().total_items());
  Line(out, "tracking_total_prefixes", engine.tracking().total_prefixes());
  const AclStats& acl = engine.acl().stats();
  Line(out, "acl_access_denied_auth", acl.denied_auth);
  Line(out, "acl_access_denied_cmd", acl.denied_cmd);
  Line(out, "acl_access_denied_key", acl.denied_key);
  Line(out, "acl_access_denied_channel", acl.denied_channel);
  Line(out, "total_error_replies", engine.stats().total_errors);
  Line(out, "unknown_commands", engine.stats().rejected_unknown);
  Line(out, "total_writes_processed", engine.stats().dirty);
  if (src != nullptr) src->AppendLoopStats(out);
}

void ReplicationSection(Engine&, const InfoSource* src, std::string& out) {
  out += "# Replication\r\n";
  if (src == nullptr) {
    Line(out, "role", "master");
    Line(out, "connected_slaves", 0);
    return;
  }
  src->AppendReplication(out);
}

void PersistenceSection(Engine&, const InfoSource* src, std::string& out) {
  out += "# Persistence\r\n";
  if (src == nullptr) {
    Line(out, "loading", 0);
    Line(out, "aof_enabled", 0);
    return;
  }
  src->AppendPersistence(out);
}

void CpuSection(Engine&, const InfoSource*, std::string& out) {
  struct rusage self {};
  getrusage(RUSAGE_SELF, &self);
  auto secs = [](const timeval& tv) {
    return fmt::format("{}.{:06d}", tv.tv_sec, static_cast<int>(tv.tv_usec));
  };
  out += "# CPU\r\n";
  Line(out, "used_cpu_sys", secs(self.ru_stime));
  Line(out, "used_cpu_user", secs(self.ru_utime));
}

// No modules can be loaded; the empty section is there because Redis always prints it.
void ModulesSection(Engine&, const InfoSource*, std::string& out) { out += "# Modules\r\n"; }

// Standalone only: tools read cluster_enabled to decide whether to speak cluster.
void ClusterSection(Engine&, const InfoSource*, std::string& out) {
  out += "# Cluster\r\n";
  Line(out, "cluster_enabled", 0);
}

void CommandstatsSection(Engine& engine, const InfoSource*, std::string& out) {
  out += "# Commandstats\r\n";
  auto emit = [&out](const CommandSpec& c) {
    if (c.stats.calls == 0 && c.stats.rejected_calls == 0 && c.stats.failed_calls == 0) return;
    const auto usec =
        static_cast<uint64_t>(CycleClock::ToMicros(static_cast<int64_t>(c.stats.ticks)));
    const double per_call =
        c.stats.calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(c.stats.calls);
    out += fmt::format(
        "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
        c.name, c.stats.calls, usec, per_call, c.stats.rejected_calls, c.stats.failed_calls);
  };
  for (const CommandSpec* c : engine.commands().all()) {
    emit(*c);
    for (const auto& sub : c->subcommands) emit(*sub);
  }
}

void ErrorstatsSection(Engine& engine, const InfoSource*, std::string& out) {
  out += "# Errorstats\r\n";
  for (const auto& [code, count] : engine.stats().errors_by_code) {
    out += fmt::format("errorstat_{}:count={}\r\n", code, count);
  }
}

// Redis 7's per-command latency percentiles (latency-tracking-info-percentiles), for the
// commands called since the last CONFIG RESETSTAT; empty while latency-tracking is off.
void LatencystatsSection(Engine& engine, const InfoSource*, std::string& out) {
  out += "# Latencystats\r\n";
  if (!engine.config().latency_tracking) return;
  const std::vector<double> percentiles =
      config::ParsePercentiles(engine.config().latency_tracking_percentiles)
          .value_or(std::vector<double>{});
  auto emit = [&](const CommandSpec& c) {
    const LatencyHistogram& h = c.stats.latency;
    if (h.total() == 0) return;
    out += fmt::format("latency_percentiles_usec_{}:", c.name);
    for (size_t i = 0; i < percentiles.size(); i++) {
      out += fmt::format("{}p{}={:.3f}", i == 0 ? "" : ",", config::PercentileText(percentiles[i]),
                         h.MicrosAtPercentile(percentiles[i]));
    }
    out += "\r\n";
  };
  for (const CommandSpec* c : engine.commands().all()) {
    emit(*c);
    for (const auto& sub : c->subcommands) emit(*sub);
  }
}

void KeyspaceSection(Engine& engine, const InfoSource*, std::string& out) {
  out += "# Keyspace\r\n";
  Keyspace& ks = engine.keyspace();
  for (int i = 0; i < ks.num_databases(); i++) {
    const Database& db = ks.db(i);
    if (db.size() == 0) continue;
    out += fmt::format("db{}:keys={},expires={},avg_ttl=0\r\n", i, db.size(), db.volatile_size());
  }
}

void TraceSection(Engine&, const InfoSource* src, std::string& out) {
  out += "# Trace\r\n";
  if (src == nullptr) {
    Line(out, "trace_enabled", 0);
    return;
  }
  src->AppendTrace(out);
}

struct Section {
  std::string_view name;
  void (*render)(Engine&, const InfoSource*, std::string&);
  bool in_default;
};

// In Redis's order; Trace is tidekv's own.
constexpr Section kSections[] = {
    {"server", ServerSection, true},
    {"clients", ClientsSection, true},
    {"memory", MemorySection, true},
    {"persistence", PersistenceSection, true},
    {"stats", StatsSection, true},
    {"replication", ReplicationSection, true},
    {"cpu", CpuSection, true},
    {"modules", ModulesSection, true},
    {"commandstats", CommandstatsSection, false},
    {"errorstats", ErrorstatsSection, true},
    {"latencystats", LatencystatsSection, false},
    {"cluster", ClusterSection, true},
    {"keyspace", KeyspaceSection, true},
    {"trace", TraceSection, false},
};

}  // namespace

std::string BuildInfo(Engine& engine, std::span<const std::string_view> sections,
                      const InfoSource* source) {
  bool all = false, defaults = sections.empty();
  std::vector<bool> wanted(std::size(kSections), false);
  for (std::string_view s : sections) {
    if (EqualsIgnoreCase(s, "all") || EqualsIgnoreCase(s, "everything")) all = true;
    if (EqualsIgnoreCase(s, "default")) defaults = true;
    for (size_t i = 0; i < std::size(kSections); i++) {
      if (EqualsIgnoreCase(s, kSections[i].name)) wanted[i] = true;
    }
  }
  std::string out;
  for (size_t i = 0; i < std::size(kSections); i++) {
    if (all || wanted[i] || (defaults && kSections[i].in_default)) {
      if (!out.empty()) out += "\r\n";
      kSections[i].render(engine, source, out);
    }
  }
  return out;
}

}  // namespace tidekv::engine
