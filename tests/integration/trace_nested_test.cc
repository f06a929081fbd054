// Nested trace records end to end (docs/trace.md, "Transactions and scripts"): the real
// tidekv-server records the commands that EXEC, EVAL, EVALSHA and FCALL ran as `nested`
// records just before the record of the command that ran them, and the real tidekv-replay
// runs the enclosing command again and checks what it ran against them.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_summary.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/server_process.h"
#include "trace/format.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
// (Record, unqualified, is replay_util.h's: record a workload.)
using TraceRecord = trace::Record;
using trace::RecordType;

using Argv = std::vector<std::string>;

// The script and function the workload runs: several calls each, one of them a pcall that
// fails (its error is what the script returns).
constexpr const char* kEval =
    "redis.call('SET', KEYS[1], ARGV[1])\n"
    "local r = redis.pcall('INCR', KEYS[1])\n"
    "redis.call('RPUSH', KEYS[2], 'a', 'b')\n"
    "return {r['err'], redis.call('LLEN', KEYS[2])}";
constexpr const char* kTwice =
    "return redis.call('INCRBY', KEYS[1], ARGV[1]) + redis.call('INCRBY', KEYS[1], ARGV[1])";
constexpr const char* kLibrary =
    "#!lua name=nestlib\n"
    "redis.register_function('bump', function(keys, args)\n"
    "  redis.call('HSET', keys[1], 'f', args[1])\n"
    "  return redis.call('HGET', keys[1], 'f')\n"
    "end)";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range\r\n";

// Runs the transactions and scripts; returns the recorded server's digest at the end.
std::string RecordWorkload(const fs::path& trace) {
  return Record(trace, [](ServerProcess& server) {
    RedisConnection c = server.Connect();
    RedisConnection other = server.Connect();
    redisContext* a = c.get();
    auto multi = [&](const std::vector<Argv>& queued) {
      REQUIRE(Call(a, {"MULTI"}) == "OK");
      for (const Argv& argv : queued) REQUIRE(Call(a, argv) == "QUEUED");
      return Call(a, {"EXEC"});
    };
    // 1. A plain transaction.
    CHECK(multi({{"SET", "tx:a", "1"}, {"INCR", "tx:a"}, {"LPUSH", "tx:l", "x"}}) ==
          "[OK, (integer) 2, (integer) 1]");
    // 2. A runtime error inside: the other commands still run.
    CHECK(multi({{"SET", "tx:s", "hello"}, {"INCR", "tx:s"}, {"GET", "tx:s"}}) ==
          "[OK, (error) ERR value is not an integer or out of range, hello]");
    // 3. Aborted by WATCH: nothing runs, so nothing nested is recorded.
    REQUIRE(Call(a, {"WATCH", "tx:w"}) == "OK");
    REQUIRE(Call(other.get(), {"SET", "tx:w", "theirs"}) == "OK");
    CHECK(multi({{"SET", "tx:w", "mine"}}) == "(nil)");
    // 4. EVAL with a failing pcall, EVALSHA twice, FCALL.
    CHECK(Call(a, {"EVAL", kEval, "2", "sc:k", "sc:l", "abc"}) ==
          "[ERR value is not an integer or out of range, (integer) 2]");
    const std::string sha = Call(a, {"SCRIPT", "LOAD", kTwice});
    REQUIRE(sha.size() == 40);
    CHECK(Call(a, {"EVALSHA", sha, "1", "sc:n", "5"}) == "(integer) 15");
    CHECK(Call(a, {"EVALSHA", sha, "1", "sc:n", "5"}) == "(integer) 35");
    REQUIRE(Call(a, {"FUNCTION", "LOAD", kLibrary}) == "nestlib");
    CHECK(Call(a, {"FCALL", "bump", "1", "fn:h", "v1"}) == "v1");
    // 5. A script inside a transaction: its calls, then the EVAL, then the EXEC.
    CHECK(multi({{"EVAL", "return redis.call('INCR', KEYS[1])", "1", "tx:e"}, {"GET", "tx:e"}}) ==
          "[(integer) 1, 1]");
    // 6. A volatile reply inside: recorded, its argv checked, its reply not compared.
    CHECK(multi({{"TIME"}, {"SET", "tx:t", "1"}}).rfind("[[", 0) == 0);
  });
}

std::vector<TraceRecord> ReadAll(const fs::path& path, trace::Header* header = nullptr) {
  auto opened = trace::Reader::Open(path.string());
  INFO(opened.status().message());
  REQUIRE(opened.ok());
  trace::Reader& reader = *opened.value();
  if (header != nullptr) *header = reader.header();
  std::vector<TraceRecord> records;
  TraceRecord record;
  for (;;) {
    auto next = reader.Next(&record);
    REQUIRE(next.ok());
    if (!*next) break;
    records.push_back(record);
  }
  CHECK_FALSE(reader.torn_tail());
  return records;
}

void WriteAll(const fs::path& path, const trace::Header& header,
              const std::vector<TraceRecord>& records) {
  auto writer = trace::Writer::Create(path.string(), header);
  REQUIRE(writer.ok());
  std::string bytes;
  for (const TraceRecord& record : records) trace::EncodeRecord(record, &bytes);
  REQUIRE((*writer)->Append(bytes).ok());
}

// Writes records as a trace at dir/name and replays it in-process, expecting it to fail
// (exit 1) with a summary line.
ProcessResult ReplayAltered(const fs::path& dir, const std::string& name,
                            const trace::Header& header, const std::vector<TraceRecord>& records,
                            Summary* summary) {
  const fs::path path = dir / name;
  WriteAll(path, header, records);
  ProcessResult r = RunReplay({path.string()});
  INFO(Output(r));
  CHECK(r.exit_code == 1);
  *summary = ParseSummary(r.out);
  REQUIRE(summary->found);
  return r;
}

// A command record with the nested records right before it.
struct Enclosing {
  const TraceRecord* record = nullptr;
  std::vector<const TraceRecord*> nested;
};

// The client commands named `name` (not queued ones), in order, each with the nested
// records just before it (records of other connections in between would break the run:
// this workload has none).
std::vector<Enclosing> Find(const std::vector<TraceRecord>& records, const std::string& name) {
  std::vector<Enclosing> found;
  for (size_t i = 0; i < records.size(); i++) {
    const TraceRecord& r = records[i];
    if (r.type != RecordType::kCommand || r.argv.empty() || r.argv[0] != name ||
        r.reply == "+QUEUED\r\n") {
      continue;
    }
    Enclosing e{&r, {}};
    for (size_t j = i; j > 0 && records[j - 1].type == RecordType::kNested; j--) {
      e.nested.insert(e.nested.begin(), &records[j - 1]);
    }
    found.push_back(std::move(e));
  }
  return found;
}

// What a nested record holds: argv and reply, of the enclosing command's connection and db.
void CheckNested(const Enclosing& e, const std::vector<std::pair<Argv, std::string>>& want) {
  INFO("the nested records before record " << e.record->id << " " << e.record->argv[0]);
  REQUIRE(e.nested.size() == want.size());
  for (size_t i = 0; i < want.size(); i++) {
    const TraceRecord& n = *e.nested[i];
    INFO("nested record " << n.id);
    CHECK(n.connection == e.record->connection);
    CHECK(n.db == e.record->db);
    CHECK(n.argv == want[i].first);
    if (!want[i].second.empty()) CHECK(n.reply == want[i].second);
    // The time the group ran with: EXEC and scripts run on the millisecond clock.
    CHECK(n.wall_us == e.record->wall_us / 1000 * 1000);
    if (i > 0) CHECK(n.id > e.nested[i - 1]->id);
  }
}

TEST_CASE("EXEC and scripts record their commands as nested records, which replay checks",
          "[integration][trace]") {
  TempDir dir;
  const fs::path path = dir.path() / "nested.trace";
  const std::string digest = RecordWorkload(path);
  trace::Header header;
  const std::vector<TraceRecord> records = ReadAll(path, &header);
  CHECK(header.version == trace::kFormatVersion);

  size_t nested = 0;
  for (const TraceRecord& r : records) nested += r.type == RecordType::kNested ? 1 : 0;
  CHECK(nested == 21);

  const std::vector<Enclosing> execs = Find(records, "EXEC");
  REQUIRE(execs.size() == 5);
  CheckNested(execs[0], {{{"SET", "tx:a", "1"}, "+OK\r\n"},
                         {{"INCR", "tx:a"}, ":2\r\n"},
                         {{"LPUSH", "tx:l", "x"}, ":1\r\n"}});
  CHECK(execs[0].record->reply == "*3\r\n+OK\r\n:2\r\n:1\r\n");
  CheckNested(execs[1], {{{"SET", "tx:s", "hello"}, "+OK\r\n"},
                         {{"INCR", "tx:s"}, kNotInteger},
                         {{"GET", "tx:s"}, "$5\r\nhello\r\n"}});
  CheckNested(execs[2], {});
  CHECK(execs[2].record->reply == "*-1\r\n");
  // A script inside EXEC: its call, then the EVAL itself, then GET.
  const std::string inner = "return redis.call('INCR', KEYS[1])";
  CheckNested(execs[3], {{{"INCR", "tx:e"}, ":1\r\n"},
                         {{"EVAL", inner, "1", "tx:e"}, ":1\r\n"},
                         {{"GET", "tx:e"}, "$1\r\n1\r\n"}});
  CheckNested(execs[4], {{{"TIME"}, ""}, {{"SET", "tx:t", "1"}, "+OK\r\n"}});

  const std::vector<Enclosing> evals = Find(records, "EVAL");
  REQUIRE(evals.size() == 1);
  CheckNested(evals[0], {{{"SET", "sc:k", "abc"}, "+OK\r\n"},
                         {{"INCR", "sc:k"}, kNotInteger},
                         {{"RPUSH", "sc:l", "a", "b"}, ":2\r\n"},
                         {{"LLEN", "sc:l"}, ":2\r\n"}});
  const std::vector<Enclosing> evalshas = Find(records, "EVALSHA");
  REQUIRE(evalshas.size() == 2);
  CheckNested(evalshas[0],
              {{{"INCRBY", "sc:n", "5"}, ":5\r\n"}, {{"INCRBY", "sc:n", "5"}, ":10\r\n"}});
  CheckNested(evalshas[1],
              {{{"INCRBY", "sc:n", "5"}, ":15\r\n"}, {{"INCRBY", "sc:n", "5"}, ":20\r\n"}});
  const std::vector<Enclosing> fcalls = Find(records, "FCALL");
  REQUIRE(fcalls.size() == 1);
  CheckNested(fcalls[0],
              {{{"HSET", "fn:h", "f", "v1"}, ":1\r\n"}, {{"HGET", "fn:h", "f"}, "$2\r\nv1\r\n"}});

  SECTION("replay reproduces them with no mismatch, and --target replays the trace") {
    CheckReplays(path, digest, 20);
    const ProcessResult r = RunReplay({path.string()});
    INFO(Output(r));
    const Summary s = ParseSummary(r.out);
    REQUIRE(s.found);
    CHECK(s.mismatches == 0);
    CHECK(s.nested_compared == nested);
    CHECK(s.records == records.size());
    // Every record, nested ones included, is in --dump; --stats names nested commands apart.
    const ProcessResult dump = RunReplay({"--dump", path.string()});
    CHECK(dump.exit_code == 0);
    size_t dumped = 0;
    for (size_t at = dump.out.find(" nested \""); at != std::string::npos;
         at = dump.out.find(" nested \"", at + 1)) {
      dumped++;
    }
    CHECK(dumped == nested);
    const ProcessResult stats = RunReplay({path.string(), "--stats"});
    INFO(Output(stats));
    CHECK(stats.exit_code == 0);
    CHECK(stats.out.find("\nincrby (nested) ") != std::string::npos);
    CHECK(stats.out.find("\nevalsha ") != std::string::npos);
  }

  SECTION("an altered nested reply is a mismatch naming the nested record and its EXEC") {
    std::vector<TraceRecord> altered = records;
    const uint64_t id = execs[0].nested[1]->id;
    for (TraceRecord& r : altered) {
      if (r.id == id) r.reply = ":7\r\n";
    }
    Summary s;
    const ProcessResult r = ReplayAltered(dir.path(), "altered.trace", header, altered, &s);
    INFO(Output(r));
    CHECK(s.mismatches == 1);
    CHECK(s.nested_compared == nested);
    CHECK(r.out.find("MISMATCH nested record " + std::to_string(id) + " (connection " +
                     std::to_string(execs[0].record->connection) + ", run by record " +
                     std::to_string(execs[0].record->id) + " \"EXEC\"): \"INCR\" \"tx:a\"\n" +
                     "  expected: :7\\r\\n\n  actual:   :2\\r\\n") != std::string::npos);
  }

  SECTION("a nested record missing from the trace is a mismatch") {
    std::vector<TraceRecord> fewer;
    const uint64_t dropped = evals[0].nested.back()->id;  // the script's LLEN
    for (const TraceRecord& r : records) {
      if (r.id != dropped) fewer.push_back(r);
    }
    Summary s;
    const ProcessResult r = ReplayAltered(dir.path(), "fewer.trace", header, fewer, &s);
    INFO(Output(r));
    CHECK(s.mismatches == 1);
    CHECK(r.out.find("MISMATCH record " + std::to_string(evals[0].record->id)) !=
          std::string::npos);
    CHECK(r.out.find("expected: 3 nested commands\n  actual:   4 nested commands, the first "
                     "extra: \"LLEN\" \"sc:l\" -> :2\\r\\n") != std::string::npos);
  }

  SECTION("a different engine shows up in the nested records too") {
    // INCR queued inside MULTI is rewritten to INCRBY ... 2: EXEC runs something else.
    const ProcessResult r = RunReplay({path.string(), "--test-break-incr"});
    INFO(Output(r));
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("MISMATCH nested record " + std::to_string(execs[0].nested[1]->id)) !=
          std::string::npos);
    CHECK(r.out.find("expected: \"INCR\" \"tx:a\" -> :2\\r\\n\n  actual:   \"INCRBY\" \"tx:a\" "
                     "\"2\" -> :3\\r\\n") != std::string::npos);
  }

  SECTION("a format 1 trace, which has no nested records, still replays") {
    trace::Header v1 = header;
    v1.version = 1;
    std::vector<TraceRecord> commands;
    for (const TraceRecord& r : records) {
      if (r.type != RecordType::kNested) commands.push_back(r);
    }
    const fs::path old = dir.path() / "v1.trace";
    WriteAll(old, v1, commands);
    const ProcessResult r = RunReplay({old.string()});
    INFO(Output(r));
    CHECK(r.exit_code == 0);
    const Summary s = ParseSummary(r.out);
    REQUIRE(s.found);
    CHECK(s.mismatches == 0);
    CHECK(s.nested_compared == 0);
    CHECK(r.out.find("digest " + digest) != std::string::npos);
    // ... but a nested record in a format 1 file is damage.
    WriteAll(old, v1, records);
    const ProcessResult damaged = RunReplay({old.string()});
    CHECK(damaged.exit_code == 2);
    CHECK(damaged.err.find("record type 8 (nested) does not exist in format version 1") !=
          std::string::npos);
  }
}

// Sends `script` as an EVAL on `runner` without waiting, then waits (bounded) until `other`
// gets -BUSY: the script runs past the busy threshold.
void StartBusyScript(redisContext* runner, redisContext* other, const std::string& script) {
  AppendCommand(runner, {"EVAL", script, "1", "k"});
  int done = 0;
  while (done == 0) REQUIRE(redisBufferWrite(runner, &done) == REDIS_OK);
  CHECK(WaitFor([&] { return Call(other, {"PING"}).rfind("(error) BUSY", 0) == 0; }, 20s));
}

TEST_CASE("scripts ended by SCRIPT KILL or SHUTDOWN NOSAVE replay the same way",
          "[integration][trace]") {
  // The kill came from another client while the script was busy; replay has neither that
  // client nor the clock, so it ends the script after the calls the trace holds for it.
  // Without that, the replayed script would loop forever.
  TempDir dir;
  const std::string reads = "while true do redis.call('GET', KEYS[1]) end";
  const std::string writes = "while true do redis.call('INCR', KEYS[1]) end";
  const std::vector<std::string> busy = {"--scripting.busy_reply_threshold_ms", "100"};
  // The in-process replay of `path`: ends, no mismatch, the recorded server's digest.
  const auto replay_matches = [](const fs::path& path, const std::string& digest) {
    const ProcessResult r = RunReplay({path.string()});
    INFO(Output(r));
    CHECK_FALSE(r.timed_out);
    const Summary s = ParseSummary(r.out);
    REQUIRE(s.found);
    CHECK(s.mismatches == 0);
    CHECK(r.out.find("digest " + digest) != std::string::npos);
    return s;
  };

  SECTION("SCRIPT KILL of a script that only read") {
    const fs::path path = dir.path() / "killed.trace";
    ServerProcess server({"--trace-file", path.string(), busy[0], busy[1]});
    RedisConnection runner = server.Connect();
    RedisConnection other = server.Connect();
    REQUIRE(Call(other.get(), {"SET", "k", "v"}) == "OK");
    StartBusyScript(runner.get(), other.get(), reads);
    CHECK(Call(other.get(), {"SCRIPT", "KILL"}) == "OK");
    Reply killed = GetReply(runner.get());
    REQUIRE(killed != nullptr);
    CHECK(std::string(killed->str, killed->len).rfind("ERR Script killed by user", 0) == 0);
    CHECK(Call(runner.get(), {"SET", "after", "1"}) == "OK");
    const std::string digest = Digest(other.get());
    runner.reset();
    other.reset();
    ShutdownClean(server);
    // The GETs it ran before the kill, each compared.
    CHECK(replay_matches(path, digest).nested_compared > 100);
  }

  SECTION("SCRIPT KILL of a script that EXEC ran") {
    // The kill ends one of EXEC's commands; the others run. Replay finds the script by its
    // nested record's reply and ends it after the records before that one.
    const fs::path path = dir.path() / "exec-killed.trace";
    ServerProcess server({"--trace-file", path.string(), busy[0], busy[1]});
    RedisConnection runner = server.Connect();
    RedisConnection other = server.Connect();
    REQUIRE(Call(other.get(), {"SET", "k", "v"}) == "OK");
    REQUIRE(Call(runner.get(), {"MULTI"}) == "OK");
    REQUIRE(Call(runner.get(), {"SET", "first", "1"}) == "QUEUED");
    // A script before the killed one that wrote (so SCRIPT KILL cannot end it) and makes
    // many calls: replay must end the second script, not this one.
    REQUIRE(Call(runner.get(), {"EVAL",
                                "redis.call('INCR', 'n') "
                                "for i = 1, 200000 do redis.call('GET', KEYS[1]) end "
                                "return 'done'",
                                "1", "k"}) == "QUEUED");
    REQUIRE(Call(runner.get(), {"EVAL", reads, "1", "k"}) == "QUEUED");
    REQUIRE(Call(runner.get(), {"SET", "last", "1"}) == "QUEUED");
    AppendCommand(runner.get(), {"EXEC"});
    int done = 0;
    while (done == 0) REQUIRE(redisBufferWrite(runner.get(), &done) == REDIS_OK);
    // UNKILLABLE while the first script runs (or the reply waits for the loop), OK once the
    // second one is busy.
    REQUIRE(WaitFor([&] { return Call(other.get(), {"SCRIPT", "KILL"}) == "OK"; }, 30s));
    Reply exec = GetReply(runner.get());
    REQUIRE(exec != nullptr);
    REQUIRE(exec->type == REDIS_REPLY_ARRAY);
    REQUIRE(exec->elements == 4);
    CHECK(Call(other.get(), {"GET", "last"}) == "1");
    const std::string digest = Digest(other.get());
    runner.reset();
    other.reset();
    ShutdownClean(server);
    // The first script's 200000 GETs and the killed one's, each compared.
    CHECK(replay_matches(path, digest).nested_compared > 200000);
  }

  SECTION("a script that only says it was killed runs to its end") {
    // Its reply reads like a kill, but it wrote, and only a shutdown ends such a script.
    const fs::path path = dir.path() / "spoof.trace";
    const std::string digest = Record(path, [](ServerProcess& server) {
      RedisConnection c = server.Connect();
      CHECK(Call(c.get(), {"EVAL",
                           "for i = 1, 50000 do redis.call('INCR', KEYS[1]) end "
                           "return redis.error_reply('ERR Script killed by user with SCRIPT "
                           "KILL... (not really)')",
                           "1", "k"})
                .rfind("(error) ERR Script killed", 0) == 0);
      CHECK(Call(c.get(), {"GET", "k"}) == "50000");
    });
    replay_matches(path, digest);
  }

  SECTION("SHUTDOWN NOSAVE of a script that wrote") {
    const fs::path path = dir.path() / "shutdown.trace";
    ServerProcess server({"--trace-file", path.string(), busy[0], busy[1]});
    RedisConnection runner = server.Connect();
    RedisConnection other = server.Connect();
    REQUIRE(Call(other.get(), {"SET", "before", "1"}) == "OK");
    StartBusyScript(runner.get(), other.get(), writes);
    CHECK(Call(other.get(), {"SCRIPT", "KILL"}).rfind("(error) UNKILLABLE", 0) == 0);
    Command(other.get(), {"SHUTDOWN", "NOSAVE"});
    REQUIRE(server.WaitExit().has_value());

    const ProcessResult r = RunReplay({path.string()});
    INFO(Output(r));
    const Summary s = ParseSummary(r.out);
    REQUIRE(s.found);
    CHECK(r.exit_code == 0);
    CHECK(s.mismatches == 0);
    CHECK(s.nested_compared > 100);  // the INCRs it ran before the shutdown, each compared
  }
}

}  // namespace
}  // namespace tidekv::integration
