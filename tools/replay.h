// Replay: runs a trace file's records against a fresh in-process engine, in record order,
// with the engine's clock set to each record's recorded time, and compares every reply
// with the recorded one, and what each EXEC or script ran with its nested records
// (DESIGN.md §7, docs/trace.md). Used by tidekv-replay and tests.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/command_table.h"
#include "trace/format.h"

namespace tidekv::tools {

struct ReplayOptions {
  std::string trace_path;
  std::string data_dir;    // start from this data directory (copy it: it is opened)
  bool no_verify = false;  // allow a start that does not match the trace's
  size_t show_mismatches = 10;
  bool stats = false;  // per-command counts and latency percentiles
  // Test hook: a deliberately different engine behaviour (INCR adds 2) to prove that
  // replay reports the first record that differs.
  bool test_break_incr = false;
  std::function<void(const std::string&)> print;  // progress and report lines
};

struct Mismatch {
  uint64_t record_id = 0;
  uint64_t connection = 0;
  std::string command;  // argv, quoted
  std::string expected;
  std::string actual;
  // A nested record's mismatch: the record of the EXEC or EVAL that ran it (0: none).
  uint64_t enclosing_id = 0;
  std::string enclosing;  // its argv, quoted
};

struct ReplayResult {
  uint64_t records = 0;
  uint64_t commands = 0;
  uint64_t compared = 0;  // commands whose reply was compared
  // Nested records (what EXEC and scripts ran) checked against what the replayed EXEC or
  // script ran: argv and database always, the reply as for a command of that name.
  uint64_t nested_compared = 0;
  uint64_t mismatches = 0;
  std::vector<Mismatch> first_mismatches;
  bool torn_tail = false;
  uint64_t torn_bytes = 0;
  double seconds = 0;
  std::string digest;  // DEBUG DIGEST of the replayed dataset at the end
  // --stats: command -> (count, latencies in ns); nested commands as "<name> (nested)".
  std::map<std::string, std::vector<uint64_t>> latencies;
};

// Replies that describe the server around the engine (INFO, CLIENT LIST, TIME, ...) or
// random draws are skipped; listings in table order are compared as multisets.
// Ordered from strictest to loosest.
enum class ReplyCheck { kExact, kMultiset, kSkip };
// How a replayed reply is compared with the recorded one, from the command-table flags
// (engine::CommandFlag::kVolatileReply, kUnorderedReply).
// Random draws (kRandomReply) are compared only when `draws_reproduced`: the trace began on
// an empty server, so the seeds in its header make the replay draw what the server drew.
ReplyCheck HowToCompare(const engine::CommandTable& table, std::string_view command,
                        bool draws_reproduced);
// A reply's lines (bulk strings with their bytes) as a sorted list, for kMultiset checks.
std::vector<std::string> ReplyLeaves(std::string_view resp);

// Quotes bytes for reports: printable ASCII as is, others as \xNN, CRLF as \r\n.
std::string Quote(std::string_view bytes, size_t max = 200);

Result<ReplayResult> ReplayInProcess(const ReplayOptions& options);

// Prints the totals (and --stats) through options.print.
void ReportReplay(const ReplayOptions& options, const ReplayResult& result);

}  // namespace tidekv::tools
