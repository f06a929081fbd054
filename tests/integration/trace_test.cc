// Op trace and replay end to end (DESIGN.md §7, docs/trace.md): the real tidekv-server
// records a workload (redis-benchmark plus scripted hiredis clients), and the real
// tidekv-replay binary replays the file in-process, against a live server (--target) and
// from a copy of a data directory (--data-dir); damaged files are refused with the messages
// an operator needs; tracing is turned on and off and bounded at runtime.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_summary.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

// One line of `tidekv-replay --dump`: "<id> conn=<c> db=<d> t=<us> <type> ...".
struct DumpLine {
  uint64_t id = 0;
  uint64_t conn = 0;
  uint32_t db = 0;
  std::string type;
  std::vector<std::string> argv;  // commands: the quoted arguments (printable ones as is)
  std::string rest;               // after the type
};

std::vector<DumpLine> ParseDump(const std::string& out) {
  std::vector<DumpLine> lines;
  std::istringstream in(out);
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty() || text[0] == '#') continue;
    DumpLine d;
    unsigned long long id = 0, conn = 0, t = 0;
    unsigned db = 0;
    char type[32] = {};
    if (std::sscanf(text.c_str(), "%llu conn=%llu db=%u t=%llu %31s", &id, &conn, &db, &t, type) !=
        5) {
      continue;
    }
    d.id = id;
    d.conn = conn;
    d.db = db;
    d.type = type;
    const size_t at = text.find(d.type + " ", text.find(" t="));
    d.rest = at == std::string::npos ? "" : text.substr(at + d.type.size() + 1);
    if (d.type == "command") {
      // "arg" "arg" ... -> reply; arguments here are plain words (no quotes inside).
      size_t pos = 0;
      while (pos < d.rest.size() && d.rest[pos] == '"') {
        const size_t end = d.rest.find('"', pos + 1);
        if (end == std::string::npos) break;
        d.argv.push_back(d.rest.substr(pos + 1, end - pos - 1));
        pos = end + 2;
      }
    }
    lines.push_back(std::move(d));
  }
  return lines;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint32_t LoadU32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= uint32_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
  return v;
}

// Where the records of a trace file are (format.h): the header is magic, u32 version, u32 n,
// n bytes, u32 crc; each record is u32 n, u32 crc, n bytes.
struct Layout {
  size_t header_bytes = 0;
  std::vector<std::pair<size_t, size_t>> records;  // offset, size (prefix included)
};

Layout ParseLayout(const std::string& bytes) {
  Layout layout;
  REQUIRE(bytes.size() >= 16);
  layout.header_bytes = 16 + LoadU32(bytes, 12) + 4;
  size_t pos = layout.header_bytes;
  while (pos + 8 <= bytes.size()) {
    const size_t size = 8 + LoadU32(bytes, pos);
    REQUIRE(pos + size <= bytes.size());
    layout.records.emplace_back(pos, size);
    pos += size;
  }
  REQUIRE(pos == bytes.size());
  return layout;
}

// SHUTDOWN over a fresh connection and a clean exit: the trace is complete afterwards.
void Shutdown(ServerProcess& server) {
  RedisConnection c = server.Connect();
  CHECK(Command(c.get(), {"SHUTDOWN"}) == nullptr);
  const std::optional<int> code = server.WaitExit();
  INFO(server.Log());
  REQUIRE(code == 0);
}

// A pipeline of commands (no MULTI): all sent, then all replies read.
std::vector<std::string> PipelineCalls(redisContext* c,
                                       const std::vector<std::vector<std::string>>& commands) {
  for (const auto& argv : commands) AppendCommand(c, argv);
  std::vector<std::string> replies;
  for (size_t i = 0; i < commands.size(); i++) replies.push_back(Describe(GetReply(c)));
  return replies;
}

// The scripted half of the mixed workload: strings, counters, floats, TTLs of every kind
// ending both lazily and actively, several databases, RESP3, error replies and pipelines.
// A few replies are checked here so that a server misbehaving while recording shows up as
// such rather than as a replay mismatch.
void ScriptedWorkload(ServerProcess& server) {
  RedisConnection c = server.Connect();
  RedisConnection other = server.Connect();
  RedisConnection resp3 = server.Connect();
  redisContext* a = c.get();

  // Counters first: the first INCR of the trace is on a key that does not exist yet (or is
  // one of redis-benchmark's, equally new), so --test-break-incr changes its reply.
  CHECK(Call(a, {"INCR", "s:counter"}) == "(integer) 1");
  CHECK(Call(a, {"INCR", "s:counter"}) == "(integer) 2");
  CHECK(Call(a, {"INCRBY", "s:counter", "40"}) == "(integer) 42");
  CHECK(Call(a, {"DECR", "s:counter"}) == "(integer) 41");
  CHECK(Call(a, {"DECRBY", "s:counter", "-9"}) == "(integer) 50");
  CHECK(Call(a, {"INCRBYFLOAT", "s:float", "1.5"}) == "1.5");
  CHECK(Call(a, {"INCRBYFLOAT", "s:float", "0.1"}) == "1.6");
  // Long double arithmetic, printed as Redis prints it.
  CHECK(Call(a, {"INCRBYFLOAT", "s:float", "-3e2"}) == "-298.39999999999999999");

  // Strings, binary values, APPEND, RENAME, DEL.
  CHECK(Call(a, {"SET", "s:plain", "hello"}) == "OK");
  CHECK(Call(a, {"APPEND", "s:plain", " world"}) == "(integer) 11");
  Call(a, {"STRLEN", "s:plain"});
  Call(a, {"GETRANGE", "s:plain", "2", "-3"});
  Call(a, {"SETRANGE", "s:plain", "20", "tail"});
  Call(a, {"GET", "s:plain"});
  Call(a, {"SET", "s:binary", std::string("a\0b\r\nc\xff", 8)});
  Call(a, {"APPEND", "s:binary", std::string("\0\0", 2)});
  Call(a, {"GET", "s:binary"});
  Call(a, {"MSET", "s:m1", "1", "s:m2", "2", "s:m3", "3"});
  Call(a, {"MGET", "s:m1", "s:nope", "s:m3", "s:counter"});
  Call(a, {"SETNX", "s:m1", "x"});
  Call(a, {"GETSET", "s:m2", "22"});
  Call(a, {"GETDEL", "s:m3"});
  CHECK(Call(a, {"RENAME", "s:m1", "s:renamed"}) == "OK");
  Call(a, {"RENAME", "s:missing", "s:x"});
  Call(a, {"EXISTS", "s:m1", "s:renamed", "s:renamed"});
  CHECK(Call(a, {"DEL", "s:renamed", "s:m2", "s:never"}) == "(integer) 2");
  Call(a, {"SETBIT", "s:bits", "77", "1"});
  Call(a, {"BITCOUNT", "s:bits"});

  // Error replies: not an integer, not a float, wrong arity, unknown command, bad option.
  CHECK(Call(a, {"INCR", "s:plain"}).rfind("(error) ERR", 0) == 0);
  CHECK(Call(a, {"INCRBYFLOAT", "s:plain", "1"}).rfind("(error) ERR", 0) == 0);
  CHECK(Call(a, {"GET"}).rfind("(error) ERR wrong number of arguments", 0) == 0);
  CHECK(Call(a, {"NOSUCHCOMMAND", "x", "y"}).rfind("(error) ERR unknown command", 0) == 0);
  CHECK(Call(a, {"SET", "s:x", "v", "EX", "-5"}).rfind("(error)", 0) == 0);
  CHECK(Call(a, {"SELECT", "9999"}).rfind("(error)", 0) == 0);
  Call(a, {"INCRBY", "s:counter", "9223372036854775807"});

  // Environment commands: recorded, executed, not compared.
  Call(a, {"INFO", "server"});
  Call(a, {"CLIENT", "SETNAME", "scripted"});
  Call(a, {"CLIENT", "ID"});
  Call(a, {"TIME"});
  Call(a, {"CONFIG", "GET", "hz"});
  Call(a, {"PING"});
  Call(a, {"ECHO", "hi"});

  // TTLs. Active expiry is paused so that the "lazy" keys can only go when read; the
  // "active" keys (in db 2, never read) can only go by the active cycle, resumed below.
  CHECK(Call(a, {"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == "OK");
  CHECK(Call(a, {"SET", "t:ex", "v", "EX", "100"}) == "OK");
  CHECK(Call(a, {"SET", "t:long", "v", "PX", "500000"}) == "OK");
  Call(a, {"TTL", "t:ex"});
  Call(a, {"PTTL", "t:long"});
  Call(a, {"EXPIRE", "s:plain", "1000"});
  Call(a, {"TTL", "s:plain"});
  Call(a, {"PERSIST", "s:plain"});
  Call(a, {"TTL", "s:plain"});
  Call(a, {"SET", "t:at", "v"});
  Reply time = Command(a, {"TIME"});
  REQUIRE(time != nullptr);
  REQUIRE(time->type == REDIS_REPLY_ARRAY);
  const int64_t now_ms =
      std::stoll(time->element[0]->str) * 1000 + std::stoll(time->element[1]->str) / 1000;
  CHECK(Call(a, {"PEXPIREAT", "t:at", std::to_string(now_ms + 150)}) == "(integer) 1");
  CHECK(Call(a, {"PEXPIREAT", "t:at-past", std::to_string(now_ms - 1000)}) == "(integer) 0");
  std::vector<std::vector<std::string>> lazy;
  for (int i = 0; i < 10; i++)
    lazy.push_back({"SET", "t:lazy:" + std::to_string(i), "v", "PX", "100"});
  for (const std::string& r : PipelineCalls(a, lazy)) CHECK(r == "OK");
  REQUIRE(Call(a, {"SELECT", "2"}) == "OK");
  std::vector<std::vector<std::string>> active;
  for (int i = 0; i < 20; i++) {
    active.push_back({"SET", "t:active:" + std::to_string(i), "v", "PX", "100"});
  }
  for (const std::string& r : PipelineCalls(a, active)) CHECK(r == "OK");
  CHECK(Call(a, {"DBSIZE"}) == "(integer) 20");
  REQUIRE(Call(a, {"SELECT", "0"}) == "OK");

  // Meanwhile, another connection in db 1 and a RESP3 connection.
  redisContext* b = other.get();
  REQUIRE(Call(b, {"SELECT", "1"}) == "OK");
  CHECK(Call(b, {"SET", "s:counter", "db1"}) == "OK");  // same name, other db
  Call(b, {"INCR", "s:counter"});                       // an error: not an integer
  Call(b, {"APPEND", "db1:log", "x"});
  Call(b, {"APPEND", "db1:log", "y"});
  Call(b, {"DBSIZE"});
  Call(b, {"SWAPDB", "1", "3"});
  Call(b, {"DBSIZE"});
  redisContext* r3 = resp3.get();
  Call(r3, {"HELLO", "3"});
  Call(r3, {"SET", "r3:float", "2.5"});
  Call(r3, {"INCRBYFLOAT", "r3:float", "0.25"});
  Call(r3, {"GET", "s:nope"});
  Call(r3, {"MGET", "s:counter", "s:nope"});
  Call(r3, {"TTL", "t:ex"});

  std::this_thread::sleep_for(300ms);
  // Lazy expiry: each read finds its key expired and deletes it.
  std::vector<std::vector<std::string>> reads;
  for (int i = 0; i < 10; i++) reads.push_back({"GET", "t:lazy:" + std::to_string(i)});
  for (const std::string& r : PipelineCalls(a, reads)) CHECK(r == "(nil)");
  CHECK(Call(a, {"EXISTS", "t:at"}) == "(integer) 0");
  Call(a, {"TTL", "t:ex"});
  // Active expiry: the db 2 keys go without being touched.
  CHECK(Call(a, {"DEBUG", "SET-ACTIVE-EXPIRE", "1"}) == "OK");
  REQUIRE(Call(a, {"SELECT", "2"}) == "OK");
  CHECK(WaitFor([&] { return Call(a, {"DBSIZE"}) == "(integer) 0"; }));
  REQUIRE(Call(a, {"SELECT", "0"}) == "OK");

  // A longer pipeline mixing everything, errors included.
  std::vector<std::vector<std::string>> mixed;
  for (int i = 0; i < 200; i++) {
    const std::string k = "p:" + std::to_string(i % 17);
    switch (i % 7) {
      case 0:
        mixed.push_back({"SET", k, std::to_string(i)});
        break;
      case 1:
        mixed.push_back({"INCR", k});
        break;
      case 2:
        mixed.push_back({"APPEND", k, "z"});
        break;
      case 3:
        mixed.push_back({"GET", k});
        break;
      case 4:
        mixed.push_back({"PEXPIRE", k, "100000"});
        break;
      case 5:
        mixed.push_back({"DEL", k});
        break;
      default:
        mixed.push_back({"INCRBYFLOAT", k, "0.5"});
        break;
    }
  }
  PipelineCalls(a, mixed);
  Call(a, {"DBSIZE"});
}

// redis-benchmark and the scripted clients at once against a traced server, then SHUTDOWN.
void RecordMixedWorkload(const fs::path& trace) {
  ServerProcess server({"--trace-file", trace.string()});
  ProcessResult bench;
  std::thread load([&] {
    bench =
        RunProcess({"redis-benchmark", "-h", "127.0.0.1", "-p", std::to_string(server.port()), "-n",
                    "20000", "-r", "1000", "-t", "set,get,incr,mset", "-P", "4", "-c", "4", "-q"},
                   "", 300s);
  });
  // The benchmark thread must be joined before a failed REQUIRE leaves this function.
  try {
    ScriptedWorkload(server);
  } catch (...) {
    load.join();
    throw;
  }
  load.join();
  INFO("redis-benchmark: " << Output(bench));
  REQUIRE(bench.exit_code == 0);
  {
    RedisConnection c = server.Connect();
    const std::string info = InfoText(c.get(), "trace");
    CHECK(InfoField(info, "trace_enabled") == "1");
    CHECK(InfoField(info, "trace_dropped") == "0");
    CHECK(InfoField(info, "trace_error").empty());
  }
  Shutdown(server);
}

// A short single-client trace for the damaged-file tests.
void RecordSmallTrace(const fs::path& trace) {
  ServerProcess server({"--trace-file", trace.string()});
  RedisConnection c = server.Connect();
  for (int i = 0; i < 100; i++) {
    const std::string k = "k" + std::to_string(i % 10);
    Call(c.get(), {"SET", k, std::string(static_cast<size_t>(i), 'v')});
    Call(c.get(), {"INCR", "n"});
    Call(c.get(), {"GET", k});
  }
  c.reset();
  Shutdown(server);
}

TEST_CASE("a mixed workload replays in-process without a mismatch", "[integration][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "mixed.trace";
  RecordMixedWorkload(trace);

  const ProcessResult r = RunReplay({trace.string()});
  INFO(Output(r));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("MISMATCH") == std::string::npos);
  const Summary s = ParseSummary(r.out);
  REQUIRE(s.found);
  CHECK(s.mismatches == 0);
  CHECK_FALSE(s.torn);
  // 20,000 benchmark requests plus the script, nearly all of them compared.
  CHECK(s.records > 20000);
  CHECK(s.commands > 20000);
  CHECK(s.compared > 20000);

  // The trace holds what docs/trace.md says: connects, disconnects, and expiry as DEL
  // commands of connection 0, both lazy (just before the read that met the key) and active
  // (keys nobody read).
  const ProcessResult dump = RunReplay({"--dump", trace.string()});
  REQUIRE(dump.exit_code == 0);
  const std::vector<DumpLine> lines = ParseDump(dump.out);
  REQUIRE(lines.size() == s.records);
  size_t connects = 0, disconnects = 0, lazy = 0, active = 0;
  for (size_t i = 0; i < lines.size(); i++) {
    const DumpLine& d = lines[i];
    if (i > 0) CHECK(d.id > lines[i - 1].id);
    if (d.type == "connect") connects++;
    if (d.type == "disconnect") disconnects++;
    if (d.type != "command" || d.conn != 0 || d.argv.size() != 2) continue;
    CHECK(d.argv[0] == "DEL");
    if (d.argv[1].rfind("t:active:", 0) == 0) {
      CHECK(d.db == 2);
      active++;
    }
    if (d.argv[1].rfind("t:lazy:", 0) == 0 && i + 1 < lines.size() &&
        lines[i + 1].type == "command" && lines[i + 1].argv.size() == 2 &&
        lines[i + 1].argv[1] == d.argv[1]) {
      lazy++;
    }
  }
  CHECK(connects >= 7);  // 4 benchmark clients, 3 scripted, 1 for INFO, 1 for SHUTDOWN
  CHECK(disconnects >= 7);
  CHECK(lazy == 10);
  CHECK(active == 20);
}

TEST_CASE("replay names the first record that behaves differently", "[integration][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "mixed.trace";
  RecordMixedWorkload(trace);

  const ProcessResult dump = RunReplay({"--dump", trace.string()});
  REQUIRE(dump.exit_code == 0);
  uint64_t first_incr = 0;
  for (const DumpLine& d : ParseDump(dump.out)) {
    if (d.type == "command" && d.conn != 0 && !d.argv.empty() && Upper(d.argv[0]) == "INCR") {
      first_incr = d.id;
      break;
    }
  }
  REQUIRE(first_incr > 0);

  const ProcessResult r = RunReplay({trace.string(), "--test-break-incr"});
  INFO("first INCR is record " << first_incr << "\n" << Output(r));
  CHECK(r.exit_code == 1);
  const size_t at = r.out.find("MISMATCH record ");
  REQUIRE(at != std::string::npos);
  CHECK(r.out.substr(at, r.out.find(' ', at + 16) - at) ==
        "MISMATCH record " + std::to_string(first_incr));
  const Summary s = ParseSummary(r.out);
  REQUIRE(s.found);
  CHECK(s.mismatches > 0);
}

TEST_CASE("damaged trace files are refused or cut at the torn tail", "[integration][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "small.trace";
  RecordSmallTrace(trace);
  const std::string bytes = ReadFile(trace);
  const Layout layout = ParseLayout(bytes);
  const size_t n = layout.records.size();
  REQUIRE(n > 300);  // 300 commands, connect and disconnect records

  const ProcessResult whole = RunReplay({trace.string()});
  INFO(Output(whole));
  REQUIRE(whole.exit_code == 0);
  REQUIRE(ParseSummary(whole.out).records == n);

  SECTION("a torn last record: the records before it replay, the tail is reported") {
    const auto [offset, size] = layout.records.back();
    for (size_t keep : {size_t{2}, size_t{7}, size / 2, size - 1}) {
      INFO("keeping " << keep << " of the last record's " << size << " bytes");
      const fs::path torn = dir.path() / "torn.trace";
      WriteFile(torn, bytes.substr(0, offset + keep));
      const ProcessResult r = RunReplay({torn.string()});
      INFO(Output(r));
      CHECK(r.exit_code == 0);
      const Summary s = ParseSummary(r.out);
      REQUIRE(s.found);
      CHECK(s.records == n - 1);
      CHECK(s.mismatches == 0);
      CHECK(s.torn);
      const ProcessResult d = RunReplay({"--dump", torn.string()});
      CHECK(d.exit_code == 0);
      CHECK(d.err.find(std::to_string(n - 1) + " records (the file ends in a torn record") !=
            std::string::npos);
    }
    // Cut exactly between records: nothing is torn.
    const fs::path cut = dir.path() / "cut.trace";
    WriteFile(cut, bytes.substr(0, offset));
    const ProcessResult r = RunReplay({cut.string()});
    INFO(Output(r));
    CHECK(r.exit_code == 0);
    CHECK(ParseSummary(r.out).records == n - 1);
    CHECK_FALSE(ParseSummary(r.out).torn);
  }

  SECTION("a file that is not a trace") {
    std::string bad = bytes;
    bad[0] = 'X';
    const fs::path path = dir.path() / "magic.trace";
    WriteFile(path, bad);
    for (const auto& args : {std::vector<std::string>{path.string()},
                             std::vector<std::string>{"--dump", path.string()}}) {
      const ProcessResult r = RunReplay(args);
      INFO(Output(r));
      CHECK(r.exit_code == 2);
      CHECK(r.err.find("not a tidekv trace file") != std::string::npos);
      CHECK(r.err.find(path.string()) != std::string::npos);
    }
    WriteFile(path, "");
    const ProcessResult empty = RunReplay({path.string()});
    INFO(Output(empty));
    CHECK(empty.exit_code == 2);
    const ProcessResult missing = RunReplay({(dir.path() / "no-such.trace").string()});
    INFO(Output(missing));
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("no-such.trace") != std::string::npos);
  }

  SECTION("a format version this build does not read") {
    std::string bad = bytes;
    bad[8] = 7;  // u32 version, little-endian, after the 8-byte magic
    const fs::path path = dir.path() / "version.trace";
    WriteFile(path, bad);
    const ProcessResult r = RunReplay({path.string()});
    INFO(Output(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("trace format version 7 is not supported") != std::string::npos);
  }

  SECTION("a flipped byte in a middle record is corruption naming that record") {
    const size_t index = n / 2;
    const auto [offset, size] = layout.records[index];
    const std::string where =
        "record " + std::to_string(index) + " at byte " + std::to_string(offset);
    // A payload byte (checksum mismatch) and the top byte of the length (impossible size).
    for (size_t at : {offset + 8 + (size - 8) / 2, offset + 3}) {
      INFO("inverting byte " << at << "; expecting '" << where << "'");
      std::string bad = bytes;
      bad[at] = static_cast<char>(~bad[at]);
      const fs::path path = dir.path() / "flipped.trace";
      WriteFile(path, bad);
      for (const auto& args : {std::vector<std::string>{path.string()},
                               std::vector<std::string>{"--dump", path.string()}}) {
        const ProcessResult r = RunReplay(args);
        INFO(Output(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(where) != std::string::npos);
      }
    }
  }
}

TEST_CASE("CONFIG SET trace.enabled turns tracing on and off at runtime", "[integration][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "runtime.trace";
  // trace.path names a file outside the data directory: an operator must allow that.
  ServerProcess server({"--security.enable_protected_configs", "local"});
  RedisConnection c = server.Connect();
  std::string info = InfoText(c.get(), "trace");
  CHECK(InfoField(info, "trace_enabled") == "0");
  CHECK(InfoField(info, "trace_records") == "0");

  REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.path", trace.string()}) == "OK");
  REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.enabled", "yes"}) == "OK");
  info = InfoText(c.get(), "trace");
  CHECK(InfoField(info, "trace_enabled") == "1");
  CHECK(InfoField(info, "trace_file") == trace.string());
  CHECK(fs::exists(trace));
  for (int i = 0; i < 50; i++) {
    Call(c.get(), {"SET", "k" + std::to_string(i), "v"});
    Call(c.get(), {"INCR", "n"});
  }
  CHECK(WaitFor([&] { return InfoInt(c.get(), "trace_records", "trace") >= 100; }));
  info = InfoText(c.get(), "trace");
  CHECK(std::stoll(InfoField(info, "trace_next_record_id")) > 100);
  CHECK(std::stoll(InfoField(info, "trace_bytes")) > 0);

  // Off again: the server keeps serving, INFO keeps the totals of the finished trace.
  REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.enabled", "no"}) == "OK");
  REQUIRE(Call(c.get(), {"PING"}) == "PONG");
  info = InfoText(c.get(), "trace");
  CHECK(InfoField(info, "trace_enabled") == "0");
  CHECK(std::stoll(InfoField(info, "trace_records")) >= 100);
  const uint64_t size = fs::file_size(trace);
  CHECK(Call(c.get(), {"SET", "after", "off"}) == "OK");
  CHECK(fs::file_size(trace) == size);

  // The trace began on an empty server: it replays as is.
  const ProcessResult r = RunReplay({trace.string()});
  INFO(Output(r));
  CHECK(r.exit_code == 0);
  CHECK(ParseSummary(r.out).compared >= 100);
  CHECK(ParseSummary(r.out).mismatches == 0);
}

TEST_CASE("trace.max_bytes stops or rotates the trace", "[integration][trace]") {
  TempDir dir;
  ServerProcess server({"--security.enable_protected_configs", "local"});
  RedisConnection c = server.Connect();
  const std::string value(100, 'x');
  // The writer checks the size between batches of records: a file may end up to one record
  // (here about 150 bytes) past trace.max_bytes.
  constexpr uintmax_t kOneRecord = 512;
  auto write_200kb = [&] {
    std::vector<std::vector<std::string>> sets;
    for (int i = 0; i < 2000; i++) sets.push_back({"SET", "k" + std::to_string(i % 100), value});
    for (const std::string& r : PipelineCalls(c.get(), sets)) REQUIRE(r == "OK");
  };

  SECTION("on_full = stop: tracing stops with an error and the server keeps serving") {
    const fs::path trace = dir.path() / "stop.trace";
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.path", trace.string()}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.max_bytes", "64kb"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.on_full", "stop"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.enabled", "yes"}) == "OK");
    write_200kb();
    CHECK(WaitFor([&] { return InfoInt(c.get(), "trace_enabled", "trace") == 0; }));
    const std::string info = InfoText(c.get(), "trace");
    INFO(info);
    CHECK(InfoField(info, "trace_error").find("trace.max_bytes") != std::string::npos);
    CHECK(std::stoll(InfoField(info, "trace_records")) > 100);
    CHECK(Call(c.get(), {"CONFIG", "GET", "trace.enabled"}).find("no") != std::string::npos);
    CHECK(Call(c.get(), {"SET", "still", "serving"}) == "OK");
    CHECK(Call(c.get(), {"GET", "still"}) == "serving");
    CHECK(fs::file_size(trace) <= 64 * 1024 + kOneRecord);
    CHECK(server.Log().find("tracing stopped") != std::string::npos);
    // What was written is a complete trace of the start of the traffic.
    const ProcessResult r = RunReplay({trace.string()});
    INFO(Output(r));
    CHECK(r.exit_code == 0);
    CHECK_FALSE(ParseSummary(r.out).torn);
    CHECK(ParseSummary(r.out).mismatches == 0);
  }

  SECTION("CONFIG SET after the recorder stopped, before the server noticed") {
    // The server detaches a stopped recorder on its next cron tick, or on any CONFIG SET
    // (which re-reads the [trace] options). At hz 1 the CONFIG SET comes first.
    const fs::path trace = dir.path() / "stop.trace";
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "hz", "1"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.path", trace.string()}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.max_bytes", "64kb"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.on_full", "stop"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.enabled", "yes"}) == "OK");
    write_200kb();
    CHECK(WaitFor([&] { return !InfoField(InfoText(c.get(), "trace"), "trace_error").empty(); }));
    CHECK(Call(c.get(), {"CONFIG", "SET", "loglevel", "info"}) == "OK");
    CHECK(Call(c.get(), {"PING"}) == "PONG");
    CHECK(InfoInt(c.get(), "trace_enabled", "trace") == 0);
  }

  SECTION("on_full = rotate: the previous file becomes <path>.1") {
    const fs::path trace = dir.path() / "rotate.trace";
    const fs::path previous = dir.path() / "rotate.trace.1";
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.path", trace.string()}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.max_bytes", "64kb"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.on_full", "rotate"}) == "OK");
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.enabled", "yes"}) == "OK");
    write_200kb();
    CHECK(WaitFor([&] { return InfoInt(c.get(), "trace_rotations", "trace") >= 2; }));
    const std::string info = InfoText(c.get(), "trace");
    INFO(info);
    CHECK(InfoField(info, "trace_enabled") == "1");
    CHECK(InfoField(info, "trace_error").empty());
    // The writer may still be rotating (between renaming the file and creating the next):
    // turning tracing off waits for it, so the files below are final.
    REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.enabled", "no"}) == "OK");
    REQUIRE(fs::exists(previous));
    CHECK(fs::file_size(previous) <= 64 * 1024 + kOneRecord);
    CHECK(fs::file_size(previous) > 32 * 1024);
    // Both are whole trace files; a rotated one continues a server that held data.
    for (const fs::path& p : {trace, previous}) {
      const ProcessResult d = RunReplay({"--dump", p.string()});
      INFO(Output(d));
      CHECK(d.exit_code == 0);
      CHECK(d.out.find("holding data at start") != std::string::npos);
      const ProcessResult refused = RunReplay({p.string()});
      INFO(Output(refused));
      CHECK(refused.exit_code == 2);
      CHECK(refused.err.find("--data-dir") != std::string::npos);
      const ProcessResult forced = RunReplay({p.string(), "--no-verify"});
      INFO(Output(forced));
      CHECK(ParseSummary(forced.out).found);
    }
  }
}

TEST_CASE("trace.sample records only the matching commands", "[integration][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "sample.trace";
  ServerProcess server(
      {"--trace-file", trace.string(), "--trace.sample", "group=string prefix=user: prefix=u2:"});
  RedisConnection c = server.Connect();
  Call(c.get(), {"SET", "user:1", "a"});     // traced
  Call(c.get(), {"SET", "other", "b"});      // another prefix
  Call(c.get(), {"GET", "u2:x"});            // traced
  Call(c.get(), {"DEL", "user:1"});          // another group
  Call(c.get(), {"DBSIZE"});                 // no key
  Call(c.get(), {"APPEND", "user:2", "c"});  // traced
  // Changed at runtime: from now on only db 1, any command.
  REQUIRE(Call(c.get(), {"CONFIG", "SET", "trace.sample", "db=1"}) == "OK");
  Call(c.get(), {"SET", "user:3", "d"});
  REQUIRE(Call(c.get(), {"SELECT", "1"}) == "OK");
  Call(c.get(), {"SET", "x", "e"});  // traced
  Call(c.get(), {"DEL", "x"});       // traced
  c.reset();
  Shutdown(server);

  const ProcessResult dump = RunReplay({"--dump", trace.string()});
  INFO(Output(dump));
  REQUIRE(dump.exit_code == 0);
  std::vector<std::string> traced;
  for (const DumpLine& d : ParseDump(dump.out)) {
    if (d.type != "command") continue;
    std::string text;
    for (const std::string& a : d.argv) text += (text.empty() ? "" : " ") + a;
    traced.push_back(text);
  }
  CHECK(traced == std::vector<std::string>{"SET user:1 a", "GET u2:x", "APPEND user:2 c", "SET x e",
                                           "DEL x"});
}

TEST_CASE("replay --target replays each connection's commands in order against a live server",
          "[integration][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "target.trace";
  // What the recorded server held at the end: db -> key -> value.
  std::map<std::pair<int, std::string>, std::string> recorded;
  const std::vector<std::pair<int, std::string>> keys = {{0, "keyA"}, {0, "cntA"},   {0, "keyB"},
                                                         {0, "cntB"}, {0, "shared"}, {0, "total"},
                                                         {1, "keyC"}, {1, "cntC"},   {1, "shared"}};
  {
    ServerProcess server({"--trace-file", trace.string()});
    RedisConnection ca = server.Connect(), cb = server.Connect(), cc = server.Connect();
    REQUIRE(Call(cc.get(), {"SELECT", "1"}) == "OK");
    for (int i = 0; i < 150; i++) {
      const std::string n = std::to_string(i);
      Call(ca.get(), {"APPEND", "keyA", "a" + n});
      Call(cb.get(), {"APPEND", "keyB", "b" + n});
      Call(cc.get(), {"APPEND", "keyC", "c" + n});
      Call(ca.get(), {"INCR", "cntA"});
      Call(cb.get(), {"INCRBY", "cntB", n});
      Call(cc.get(), {"INCR", "cntC"});
      // Writes to shared keys: their value depends on the order across connections.
      Call(ca.get(), {"APPEND", "shared", "A" + n});
      Call(cb.get(), {"APPEND", "shared", "B" + n});
      Call(cc.get(), {"APPEND", "shared", "C" + n});
      Call(i % 2 ? ca.get() : cb.get(), {"INCRBY", "total", n});
      if (i % 10 == 9) {
        // A pipeline on one connection in the middle.
        std::vector<std::vector<std::string>> p;
        for (int j = 0; j < 5; j++) p.push_back({"APPEND", "keyB", "p" + std::to_string(j)});
        PipelineCalls(cb.get(), p);
      }
    }
    for (const auto& [db, key] : keys) {
      REQUIRE(Call(ca.get(), {"SELECT", std::to_string(db)}) == "OK");
      recorded[{db, key}] = Call(ca.get(), {"GET", key});
    }
    CHECK(recorded[{0, "cntA"}] == "150");
    ca.reset();
    cb.reset();
    cc.reset();
    Shutdown(server);
  }

  ServerProcess fresh;
  const ProcessResult r =
      RunReplay({trace.string(), "--target", "127.0.0.1:" + std::to_string(fresh.port())});
  INFO(Output(r));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("over 3 connections") != std::string::npos);
  CHECK(r.out.find("0 error replies, 0 failed sends") != std::string::npos);
  RedisConnection c = fresh.Connect();
  for (const auto& [db, key] : keys) {
    INFO("db " << db << " key " << key);
    REQUIRE(Call(c.get(), {"SELECT", std::to_string(db)}) == "OK");
    CHECK(Call(c.get(), {"GET", key}) == recorded[{db, key}]);
  }

  // Bad arguments are refused before anything is sent.
  const ProcessResult bad_target = RunReplay({trace.string(), "--target", "nowhere"});
  CHECK(bad_target.exit_code == 2);
  const ProcessResult bad_speed = RunReplay(
      {trace.string(), "--target", "127.0.0.1:" + std::to_string(fresh.port()), "--speed", "0"});
  CHECK(bad_speed.exit_code == 2);
}

TEST_CASE("replay --data-dir replays a trace that began on a server holding data",
          "[integration][trace]") {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  const fs::path copy = dir.path() / "copy";
  const fs::path trace = dir.path() / "data-dir.trace";
  {
    auto server = StartServerOn(data);
    RedisConnection c = server->Connect();
    SetAll(c.get(), 500, [](size_t i) {
      return std::pair{"key:" + std::to_string(i), "value-" + std::to_string(i)};
    });
    REQUIRE(Call(c.get(), {"SET", "counter", "100"}) == "OK");
    REQUIRE(Call(c.get(), {"SET", "ttl", "v", "EX", "100000"}) == "OK");
    REQUIRE(Call(c.get(), {"SELECT", "4"}) == "OK");
    REQUIRE(Call(c.get(), {"SET", "other", "db"}) == "OK");
    c.reset();
    ShutdownClean(*server);
  }
  fs::copy(data, copy, fs::copy_options::recursive);
  {
    auto server = StartServerOn(data, {"--trace-file", trace.string()});
    RedisConnection c = server->Connect();
    CHECK(Call(c.get(), {"GET", "key:7"}) == "value-7");
    CHECK(Call(c.get(), {"INCR", "counter"}) == "(integer) 101");
    Call(c.get(), {"APPEND", "key:8", "-more"});
    Call(c.get(), {"MGET", "key:1", "key:2", "key:499", "key:500"});
    Call(c.get(), {"DEL", "key:3", "key:4"});
    Call(c.get(), {"TTL", "ttl"});
    Call(c.get(), {"DBSIZE"});
    Call(c.get(), {"RENAME", "key:5", "key:five"});
    REQUIRE(Call(c.get(), {"SELECT", "4"}) == "OK");
    Call(c.get(), {"GET", "other"});
    c.reset();
    ShutdownClean(*server);
  }

  // From a copy of the data directory as it was when tracing began: identical replies.
  const fs::path scratch = dir.path() / "scratch";
  fs::copy(copy, scratch, fs::copy_options::recursive);
  const ProcessResult r = RunReplay({trace.string(), "--data-dir", scratch.string()});
  INFO(Output(r));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("loaded 503 keys") != std::string::npos);
  const Summary s = ParseSummary(r.out);
  REQUIRE(s.found);
  CHECK(s.mismatches == 0);
  CHECK(s.compared >= 10);

  // Without the data: refused, since the replies would differ.
  const ProcessResult refused = RunReplay({trace.string()});
  INFO(Output(refused));
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--data-dir") != std::string::npos);
  // --no-verify runs it anyway, and the reads of missing keys then differ.
  const ProcessResult forced = RunReplay({trace.string(), "--no-verify"});
  INFO(Output(forced));
  CHECK(forced.exit_code == 1);
  CHECK(ParseSummary(forced.out).found);
  CHECK(ParseSummary(forced.out).mismatches > 0);
  // A data directory from another point in time is refused too.
  const ProcessResult later = RunReplay({trace.string(), "--data-dir", data.string()});
  INFO(Output(later));
  CHECK(later.exit_code == 2);
  CHECK(later.err.find("not the data the trace started from") != std::string::npos);
}

TEST_CASE("replay --data-dir accepts the copy when keys expired while the server was down",
          "[integration][trace]") {
  // The restart deletes what expired during the downtime (DEL frames, which move the log
  // offset) before tracing begins; replay does the same after loading the copy, so the copy
  // taken at shutdown is the trace's starting point.
  TempDir dir;
  const fs::path data = dir.path() / "data";
  const fs::path copy = dir.path() / "copy";
  const fs::path trace = dir.path() / "expired.trace";
  // PX 5000: long enough that even a slow sanitizer build stops (and the copy is taken)
  // before the key expires, so the copy holds it and the restart finds it expired.
  Clock::time_point expires;
  {
    auto server = StartServerOn(data);
    RedisConnection c = server->Connect();
    REQUIRE(Call(c.get(), {"SET", "kept", "1"}) == "OK");
    expires = Clock::now() + 5000ms;
    REQUIRE(Call(c.get(), {"SET", "gone", "2", "PX", "5000"}) == "OK");
    c.reset();
    ShutdownClean(*server);
  }
  fs::copy(data, copy, fs::copy_options::recursive);
  std::this_thread::sleep_until(expires + 300ms);
  {
    auto server = StartServerOn(data, {"--trace-file", trace.string()});
    RedisConnection c = server->Connect();
    CHECK(Call(c.get(), {"GET", "kept"}) == "1");
    CHECK(Call(c.get(), {"GET", "gone"}) == "(nil)");
    CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 1");
    c.reset();
    ShutdownClean(*server);
  }
  const ProcessResult r = RunReplay({trace.string(), "--data-dir", copy.string()});
  INFO(Output(r));
  CHECK(r.exit_code == 0);
  CHECK(ParseSummary(r.out).compared >= 3);
  CHECK(ParseSummary(r.out).mismatches == 0);
}

}  // namespace
}  // namespace tidekv::integration
