#include "tools/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "commands/commands.h"
#include "common/asio.h"
#include "common/clock.h"
#include "common/strings.h"
#include "config/config.h"
#include "ds/hash.h"
#include "engine/engine.h"
#include "engine/script_host.h"
#include "persistence/persistence.h"
#include "types/value.h"

namespace tidekv::tools {

using engine::Engine;
using engine::Session;
using persistence::Persistence;

namespace {

using SteadyClock = std::chrono::steady_clock;

// The reply of a script that SCRIPT KILL, FUNCTION KILL or SHUTDOWN NOSAVE ended.
bool KilledReply(std::string_view reply) {
  return reply.starts_with("-ERR Script killed by user with SCRIPT KILL...") ||
         reply.starts_with("-ERR Script killed by user with FUNCTION KILL...");
}

bool RunsScript(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  for (std::string_view name : {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}) {
    if (EqualsIgnoreCase(argv[0], name)) return true;
  }
  return false;
}

// Where the scripts a command ran were ended by SCRIPT KILL, FUNCTION KILL or SHUTDOWN
// NOSAVE when recorded: the command itself (a script: after all its nested records), and
// scripts among its nested records (EXEC's: after the records before theirs). A command
// recorded after its connection's disconnect is one SHUTDOWN NOSAVE ended (the server
// closed the connections first).
std::vector<engine::ScriptHost::ReplayKill> KillPoints(const trace::Record& record,
                                                       const std::vector<trace::Record>* nested,
                                                       bool after_disconnect) {
  std::vector<engine::ScriptHost::ReplayKill> kills;
  const size_t count = nested != nullptr ? nested->size() : 0;
  for (size_t i = 0; i < count; i++) {
    const trace::Record& r = (*nested)[i];
    if (RunsScript(r.argv) && KilledReply(r.reply)) kills.push_back({i, after_disconnect});
  }
  if (KilledReply(record.reply)) kills.push_back({count, after_disconnect});
  return kills;
}

uint64_t NanosSince(SteadyClock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count());
}

std::string QuoteArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    out += '"' + Quote(a, 64) + '"';
    if (out.size() > 200) break;
  }
  return out;
}

bool SameReply(ReplyCheck check, std::string_view actual, std::string_view expected) {
  if (check == ReplyCheck::kSkip || actual == expected) return true;
  return check == ReplyCheck::kMultiset && ReplyLeaves(actual) == ReplyLeaves(expected);
}

void AddMismatch(const ReplayOptions& options, Mismatch mismatch, ReplayResult* result) {
  result->mismatches++;
  if (result->first_mismatches.size() < options.show_mismatches) {
    result->first_mismatches.push_back(std::move(mismatch));
  }
}

// A command that an atomic group ran during replay (Engine::NestedExecution, copied).
struct NestedRun {
  int db = 0;
  std::vector<std::string> argv;
  std::string reply;
};

std::string DescribeRun(const std::vector<std::string>& argv, std::string_view reply, int64_t db,
                        bool show_db) {
  return (show_db ? fmt::format("(db {}) ", db) : std::string()) + QuoteArgv(argv) + " -> " +
         Quote(reply);
}

// Compares, in order, what the replayed `enclosing` command (EXEC, EVAL...) ran with the
// nested records the trace holds for it: the same commands in the same databases, and
// replies that agree as those of top-level commands must (HowToCompare). Each differing
// pair is a mismatch, and so is a different number of nested commands.
void CompareNested(const engine::CommandTable& table, bool draws_reproduced,
                   const trace::Record& enclosing, const std::vector<trace::Record>& recorded,
                   const std::vector<NestedRun>& ran, const ReplayOptions& options,
                   ReplayResult* result) {
  const std::string where = QuoteArgv(enclosing.argv);
  const size_t pairs = std::min(recorded.size(), ran.size());
  for (size_t i = 0; i < pairs; i++) {
    const trace::Record& want = recorded[i];
    const NestedRun& got = ran[i];
    result->nested_compared++;
    const bool same_db = static_cast<int64_t>(want.db) == got.db;
    const bool same_command = same_db && want.argv == got.argv;
    const ReplyCheck check = want.argv.empty()
                                 ? ReplyCheck::kExact
                                 : HowToCompare(table, want.argv[0], draws_reproduced);
    if (same_command && SameReply(check, got.reply, want.reply)) continue;
    Mismatch m{want.id,
               want.connection,
               QuoteArgv(want.argv),
               Quote(want.reply),
               Quote(got.reply),
               enclosing.id,
               where};
    if (!same_command) {
      m.expected = DescribeRun(want.argv, want.reply, want.db, !same_db);
      m.actual = DescribeRun(got.argv, got.reply, got.db, !same_db);
    }
    AddMismatch(options, std::move(m), result);
  }
  if (recorded.size() > ran.size()) {
    const trace::Record& missing = recorded[pairs];
    AddMismatch(options,
                {missing.id, missing.connection, QuoteArgv(missing.argv), Quote(missing.reply),
                 fmt::format("(not run: the replay ran {} nested commands, the trace has {})",
                             ran.size(), recorded.size()),
                 enclosing.id, where},
                result);
  } else if (ran.size() > recorded.size()) {
    const NestedRun& extra = ran[pairs];
    AddMismatch(options,
                {enclosing.id, enclosing.connection, where,
                 fmt::format("{} nested commands", recorded.size()),
                 fmt::format("{} nested commands, the first extra: {}", ran.size(),
                             DescribeRun(extra.argv, extra.reply, extra.db, false))},
                result);
  }
}

}  // namespace

ReplyCheck HowToCompare(const engine::CommandTable& table, std::string_view command,
                        bool draws_reproduced) {
  // The container's row decides for its subcommands (CLIENT, CONFIG, OBJECT...): the trace
  // names the command by argv[0]. An unknown command's error reply is data-independent.
  const engine::CommandSpec* spec = table.Find(command);
  if (spec == nullptr) return ReplyCheck::kExact;
  if (HasFlag(spec->flags, engine::CommandFlag::kVolatileReply)) return ReplyCheck::kSkip;
  if (HasFlag(spec->flags, engine::CommandFlag::kRandomReply) && !draws_reproduced) {
    return ReplyCheck::kSkip;
  }
  if (HasFlag(spec->flags, engine::CommandFlag::kUnorderedReply)) return ReplyCheck::kMultiset;
  return ReplyCheck::kExact;
}

std::vector<std::string> ReplyLeaves(std::string_view resp) {
  // Each line's type byte, its text, and for bulk strings the bytes that follow; sorted, so
  // two replies listing the same elements in different orders compare equal. Headers
  // (array, map, set lengths) are leaves too: the counts must agree.
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < resp.size()) {
    const size_t end = resp.find("\r\n", pos);
    if (end == std::string_view::npos) {
      out.emplace_back(resp.substr(pos));
      break;
    }
    std::string leaf(resp.substr(pos, end - pos));
    pos = end + 2;
    if ((leaf[0] == '$' || leaf[0] == '=') && leaf != "$-1") {
      const std::optional<uint64_t> n = ParseUint64(std::string_view(leaf).substr(1));
      if (!n || *n > resp.size() - pos) {
        out.emplace_back(resp.substr(pos));
        break;
      }
      leaf += ":" + std::string(resp.substr(pos, *n));
      pos += *n + 2;
    }
    out.push_back(std::move(leaf));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Quote(std::string_view bytes, size_t max) {
  std::string out;
  for (unsigned char c : bytes.substr(0, max)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (bytes.size() > max) out += fmt::format("...({} bytes)", bytes.size());
  return out;
}

Result<ReplayResult> ReplayInProcess(const ReplayOptions& options) {
  auto print = [&](const std::string& line) {
    if (options.print) options.print(line);
  };
  auto opened = trace::Reader::Open(options.trace_path);
  if (!opened.ok()) return opened.status();
  trace::Reader& reader = *opened.value();
  const trace::Header& header = reader.header();

  config::Config config;
  // The trace holds what clients ran, DEBUG included when the server allowed it: replay it.
  config.enable_debug_command = "yes";
  uint64_t start_offset = 0;
  for (const auto& [key, value] : header.config) {
    if (key == "databases") {
      if (auto n = ParseInt64(value); n && *n >= 1 && *n <= 1024) config.databases = *n;
    } else if (key == "start_offset") {
      start_offset = ParseUint64(value).value_or(0);
    } else if (key == "rng_seed") {
      types::SeedRng(ParseUint64(value).value_or(0));
    } else if (key == "hash_seed") {
      // Before the engine exists: every table it builds is laid out as the server's were.
      ds::SetHashSeed(ParseUint64(value).value_or(0));
    }
  }
  ManualClock clock(header.start_unix_ms);
  Engine engine(config, clock, commands::BuildCommandTable());
  // A traced MIGRATE is not sent again: its target may be a live server. It replies -IOERR
  // and moves nothing, so the keys it moved stay in the replayed dataset.
  engine.migrate_targets().Disable();
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<Persistence> persistence;
  if (!options.data_dir.empty()) {
    config.dir = options.data_dir;
    io = std::make_unique<asio::io_context>();
    persistence = std::make_unique<Persistence>(engine, *io, config);
    engine.set_effect_sink(persistence.get());
    if (Status s = persistence->Recover(); !s.ok()) return s;
    // As the server did after its recovery (before tracing began): keys whose time had
    // passed are deleted, as DEL frames that move the offset the trace header recorded.
    for (int i = 0; i < engine.keyspace().num_databases(); i++) {
      engine.keyspace().db(i).ExpireAll(header.start_unix_ms);
    }
    // The replayed writes are the trace's, not the data directory's.
    engine.set_effect_sink(nullptr);
    engine.RemoveKeyListener(persistence.get());
    const uint64_t at = persistence->next_offset();
    if (at != start_offset && !options.no_verify) {
      return Status::InvalidArgument(fmt::format(
          "{} is at offset {}, but the trace began at offset {}: not the data the trace "
          "started from (use a copy of the data directory taken when tracing began, or "
          "--no-verify)",
          options.data_dir, at, start_offset));
    }
    print(fmt::format("loaded {} keys from {} (offset {})", engine.keyspace().TotalKeys(),
                      options.data_dir, at));
  } else if (!header.empty_at_start && !options.no_verify) {
    return Status::InvalidArgument(
        fmt::format("{}: the trace began on a server that held data; replay it with "
                    "--data-dir (a copy of that server's data directory) or --no-verify",
                    options.trace_path));
  }

  ReplayResult result;
  // Nested records per connection, waiting for the connection's next command (the EXEC or
  // script that ran them, recorded after them), and what that command ran in replay.
  // Format 1 has no nested records: what its EXECs and scripts ran is not checked.
  std::unordered_map<uint64_t, std::vector<trace::Record>> nested;
  std::unordered_set<uint64_t> disconnected;  // connections whose disconnect was read
  std::vector<NestedRun> ran;
  if (header.version >= 2) {
    engine.set_nested_observer([&](const Engine::NestedExecution& n) {
      ran.push_back({n.db, {n.argv.begin(), n.argv.end()}, std::string(n.reply)});
      if (options.stats && !n.argv.empty()) {
        result.latencies[AsciiLower(n.argv[0]) + " (nested)"].push_back(n.ns);
      }
    });
  }
  std::unordered_map<uint64_t, Session> sessions;
  std::unordered_map<uint64_t, ReplyCheck> queued_checks;  // per connection, inside MULTI
  Session internal;
  internal.internal = true;
  std::string out;
  proto::ReplyBuilder reply(&out);
  trace::Record record;
  std::vector<std::string_view> argv;
  std::string incr_by;  // the test hook's rewritten argument
  const auto start = SteadyClock::now();
  auto last_progress = start;
  for (;;) {
    auto next = reader.Next(&record);
    if (!next.ok()) return next.status();
    if (!*next) break;
    result.records++;
    if (record.type == trace::RecordType::kNested) {
      nested[record.connection].push_back(std::move(record));
      continue;
    }
    if (record.type == trace::RecordType::kConnect) {
      // Nested records whose command never made it into the trace are not compared. They
      // are kept past a disconnect: a script that SHUTDOWN NOSAVE ended is recorded after
      // its connection's disconnect, and connection ids are not reused within a run.
      nested.erase(record.connection);
      disconnected.erase(record.connection);
    }
    if (record.type == trace::RecordType::kDisconnect) disconnected.insert(record.connection);
    if (record.type == trace::RecordType::kConnect) {
      Session& s = sessions[record.connection];
      engine.SessionClosed(s);  // an id seen again is a new client
      s = Session{};
      s.id = record.connection;
      continue;
    }
    if (record.type == trace::RecordType::kDisconnect) {
      if (auto it = sessions.find(record.connection); it != sessions.end()) {
        engine.SessionClosed(it->second);
        sessions.erase(it);
      }
      continue;
    }
    if (record.type != trace::RecordType::kCommand || record.argv.empty()) continue;
    result.commands++;
    Session* session = &internal;
    if (record.connection != 0) {
      auto [it, created] = sessions.try_emplace(record.connection);
      if (created) it->second.id = record.connection;
      session = &it->second;
    }
    session->db = static_cast<int>(record.db);
    argv.assign(record.argv.begin(), record.argv.end());
    if (options.test_break_incr && argv.size() == 2 && EqualsIgnoreCase(argv[0], "incr")) {
      incr_by = "2";
      argv = {"INCRBY", argv[1], incr_by};
    }
    clock.SetUs(record.wall_us);
    out.clear();
    reply.set_resp3(session->resp == 3);
    ran.clear();
    // A script that SCRIPT KILL / FUNCTION KILL ended when recorded: the kill came from
    // another client while it was busy, which a replay has no clock or client for. It ends
    // at the same point of the command's nested records (ScriptHost::ReplayKill).
    const auto recorded_nested = nested.find(record.connection);
    std::vector<engine::ScriptHost::ReplayKill> kills =
        KillPoints(record, recorded_nested != nested.end() ? &recorded_nested->second : nullptr,
                   disconnected.contains(record.connection));
    const bool killed = !kills.empty();
    if (killed) {
      // A diverged replay ends the script anyway after 4 times as long as it ran when
      // recorded (its last nested record's start), at least 10 s.
      std::chrono::steady_clock::duration grace = std::chrono::seconds(10);
      if (recorded_nested != nested.end() && !recorded_nested->second.empty() &&
          recorded_nested->second.back().mono_ns > record.mono_ns) {
        grace = std::max<std::chrono::steady_clock::duration>(
            grace, std::chrono::nanoseconds(
                       4 * (recorded_nested->second.back().mono_ns - record.mono_ns)));
      }
      engine.scripts().set_replay_kills(std::move(kills), grace);
    }
    const auto t0 = SteadyClock::now();
    engine.Execute(*session, argv, reply, nullptr, record.wall_us);
    const uint64_t ns = NanosSince(t0);
    if (killed) engine.scripts().set_replay_kills({});
    if (options.stats) result.latencies[AsciiLower(record.argv[0])].push_back(ns);
    // (Execute adds to `ran` only: recorded_nested is still valid.)
    if (recorded_nested != nested.end() || !ran.empty()) {
      static const std::vector<trace::Record> kNone;
      CompareNested(engine.commands(), header.empty_at_start, record,
                    recorded_nested != nested.end() ? recorded_nested->second : kNone, ran, options,
                    &result);
      if (recorded_nested != nested.end()) nested.erase(recorded_nested);
    }
    // Blocked commands (SAVE, WAIT) and the server's own records carry no reply.
    ReplyCheck check = HowToCompare(engine.commands(), record.argv[0], header.empty_at_start);
    // EXEC's reply is its queued commands' replies: compared as the strictest of theirs.
    ReplyCheck& queued_check = queued_checks[record.connection];
    if (record.reply == "+QUEUED\r\n") {
      queued_check = std::max(
          queued_check, HowToCompare(engine.commands(), record.argv[0], header.empty_at_start));
    } else if (const engine::CommandSpec* spec = engine.commands().Find(record.argv[0]);
               spec != nullptr && HasFlag(spec->flags, engine::CommandFlag::kQueuedReplies)) {
      check = std::max(check, queued_check);
      queued_check = ReplyCheck::kExact;
    }
    if (record.connection == 0 || record.reply.empty() || check == ReplyCheck::kSkip) {
      continue;
    }
    result.compared++;
    if (!SameReply(check, out, record.reply)) {
      AddMismatch(
          options,
          {record.id, record.connection, QuoteArgv(record.argv), Quote(record.reply), Quote(out)},
          &result);
    }
    if (SteadyClock::now() - last_progress > std::chrono::seconds(1)) {
      last_progress = SteadyClock::now();
      print(fmt::format("... {} records, {} commands, {} mismatches", result.records,
                        result.commands, result.mismatches));
    }
  }
  engine.set_nested_observer(nullptr);
  result.torn_tail = reader.torn_tail();
  result.torn_bytes = reader.torn_bytes();
  {
    // The replayed dataset's digest, comparable with DEBUG DIGEST on the traced server.
    Session digest_session;
    digest_session.internal = true;
    std::string digest_reply;
    proto::ReplyBuilder digest_builder(&digest_reply);
    const std::vector<std::string_view> digest_argv = {"DEBUG", "DIGEST"};
    engine.Execute(digest_session, digest_argv, digest_builder);
    if (digest_reply.size() > 3 && digest_reply[0] == '+') {
      result.digest = digest_reply.substr(1, digest_reply.size() - 3);
    }
  }
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return result;
}

void ReportReplay(const ReplayOptions& options, const ReplayResult& result) {
  auto print = [&](const std::string& line) {
    if (options.print) options.print(line);
  };
  for (const Mismatch& m : result.first_mismatches) {
    const std::string what =
        m.enclosing_id == 0 ? fmt::format("record {} (connection {})", m.record_id, m.connection)
                            : fmt::format("nested record {} (connection {}, run by record {} {})",
                                          m.record_id, m.connection, m.enclosing_id, m.enclosing);
    print(fmt::format("MISMATCH {}: {}\n  expected: {}\n  actual:   {}", what, m.command,
                      m.expected, m.actual));
  }
  if (result.mismatches > result.first_mismatches.size()) {
    print(fmt::format("... and {} more mismatches",
                      result.mismatches - result.first_mismatches.size()));
  }
  if (options.stats) {
    print(fmt::format("{:<24} {:>10} {:>10} {:>10} {:>10} {:>10}", "command", "count", "p50 us",
                      "p90 us", "p99 us", "max us"));
    for (const auto& [name, samples] : result.latencies) {
      std::vector<uint64_t> sorted = samples;
      std::sort(sorted.begin(), sorted.end());
      auto at = [&](double q) {
        const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
        return static_cast<double>(sorted[i]) / 1000.0;
      };
      print(fmt::format("{:<24} {:>10} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f}", name,
                        sorted.size(), at(0.5), at(0.9), at(0.99),
                        static_cast<double>(sorted.back()) / 1000.0));
    }
  }
  const double rate = result.seconds > 0 ? static_cast<double>(result.records) / result.seconds : 0;
  print(fmt::format(
      "replayed {} records ({} commands, {} replies compared, {} nested compared) in {:.3f} s "
      "({:.0f} records/s): {} mismatches{}",
      result.records, result.commands, result.compared, result.nested_compared, result.seconds,
      rate, result.mismatches,
      result.torn_tail
          ? fmt::format("; the trace ended in a torn record ({} bytes ignored)", result.torn_bytes)
          : ""));
  if (!result.digest.empty()) print("digest " + result.digest);
}

}  // namespace tidekv::tools
