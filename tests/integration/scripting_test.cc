// Lua scripts against the real server ([script]): a script's effects reach a replica and
// the log as one group (never the script), redis-cli --eval works, and a traced script
// workload replays without a mismatch.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

// Moves `amount` from one counter to another only when the source has enough: a classic
// script that must never be seen half done.
constexpr const char* kTransfer = R"lua(
local from = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if from < amount then return 0 end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('RPUSH', 'log', ARGV[1])
return 1
)lua";

TEST_CASE("a script's effects replicate and survive kill -9 as one group",
          "[integration][script][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"SET", "a", "1000"}) == "OK");
  const std::string sha = Call(p.get(), {"SCRIPT", "LOAD", kTransfer});
  REQUIRE(sha.size() == 40);
  int64_t moved = 0;
  for (int i = 0; i < 300; i++) {
    const std::string amount = std::to_string(i % 7 + 1);
    const std::string r = Call(p.get(), {"EVALSHA", sha, "2", "a", "b", amount});
    REQUIRE((r == "(integer) 1" || r == "(integer) 0"));
    if (r == "(integer) 1") moved += i % 7 + 1;
  }
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  CHECK(Call(r.get(), {"GET", "b"}) == std::to_string(moved));
  CHECK(Call(r.get(), {"GET", "a"}) == std::to_string(1000 - moved));
  // The replica never ran the script: it has no script cache entry for it.
  CHECK(Call(r.get(), {"SCRIPT", "EXISTS", sha}) == "[(integer) 0]");
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[0] == digests[1]);

  // Recovery replays the groups from the log.
  WaitLogged(p.get());
  KillHard(*primary);
  primary = StartServerOn(dir.path() / "p");
  p = primary->Connect();
  CHECK(Call(p.get(), {"GET", "b"}) == std::to_string(moved));
  CHECK(Call(p.get(), {"LLEN", "log"}) == Call(r.get(), {"LLEN", "log"}));
}

constexpr const char* kLibrary = R"lua(#!lua name=bank
redis.register_function('deposit', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)
redis.register_function{function_name = 'balance', flags = {'no-writes'},
                        callback = function(keys) return redis.call('GET', keys[1]) end}
)lua";

TEST_CASE("FUNCTION libraries persist with the data, replicate and survive kill -9",
          "[integration][script][function][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"FUNCTION", "LOAD", kLibrary}) == "bank");
  REQUIRE(Call(p.get(), {"FCALL", "deposit", "1", "acct", "5"}) == "(integer) 5");
  CHECK(Call(p.get(), {"FCALL_RO", "balance", "1", "acct"}) == "5");
  CHECK(Call(p.get(), {"FCALL_RO", "deposit", "1", "acct", "1"})
            .rfind("(error) ERR Can not execute a script with write flag using *_ro command.", 0) ==
        0);

  // Sealed: a clean restart loads the library from the batches.
  ShutdownClean(*primary);
  primary = StartServerOn(dir.path() / "p");
  p = primary->Connect();
  CHECK(Call(p.get(), {"FCALL", "deposit", "1", "acct", "1"}) == "(integer) 6");

  // Only in the log: a kill -9 replays the FUNCTION commands.
  REQUIRE(Call(p.get(), {"FUNCTION", "LOAD",
                         "#!lua name=extra\nredis.register_function('two', "
                         "function() return 2 end)"}) == "extra");
  REQUIRE(Call(p.get(), {"FUNCTION", "DELETE", "bank"}) == "OK");
  WaitLogged(p.get());
  KillHard(*primary);
  primary = StartServerOn(dir.path() / "p");
  p = primary->Connect();
  CHECK(Call(p.get(), {"FCALL", "two", "0"}) == "(integer) 2");
  CHECK(Call(p.get(), {"FCALL", "deposit", "1", "acct", "1"}) == "(error) ERR Function not found");

  // A replica gets the libraries by full sync (from the batches) and then by the stream.
  REQUIRE(Call(p.get(), {"FUNCTION", "LOAD", kLibrary}) == "bank");
  REQUIRE(Call(p.get(), {"SAVE"}) == "OK");
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  CHECK(Call(r.get(), {"FCALL_RO", "balance", "1", "acct"}) == "6");
  REQUIRE(Call(p.get(), {"FUNCTION", "DELETE", "extra"}) == "OK");
  REQUIRE(Call(p.get(), {"FCALL", "deposit", "1", "acct", "4"}) == "(integer) 10");
  WaitCaughtUp(*primary, *replica);
  CHECK(Call(r.get(), {"FCALL", "two", "0"}) == "(error) ERR Function not found");
  CHECK(Call(r.get(), {"FCALL_RO", "balance", "1", "acct"}) == "10");
  CHECK(Call(r.get(), {"FUNCTION", "DUMP"}) == Call(p.get(), {"FUNCTION", "DUMP"}));

  // FUNCTION FLUSH reaches the batches too.
  REQUIRE(Call(p.get(), {"FUNCTION", "FLUSH"}) == "OK");
  REQUIRE(Call(p.get(), {"SAVE"}) == "OK");
  ShutdownClean(*primary);
  primary = StartServerOn(dir.path() / "p");
  p = primary->Connect();
  CHECK(Call(p.get(), {"FUNCTION", "LIST"}) == "[]");
}

TEST_CASE("a busy script answers -BUSY to others and ends by SCRIPT KILL or SHUTDOWN NOSAVE",
          "[integration][script][busy]") {
  TempDir dir;
  auto server = StartServerOn(dir.path() / "d", {"--scripting.busy_reply_threshold_ms", "50"});
  RedisConnection c = server->Connect();
  RedisConnection other = server->Connect();
  // A read-only endless script: killed, even though it catches errors with pcall.
  AppendCommand(c.get(),
                {"EVAL", "while true do pcall(function() while true do end end) end", "0"});
  REQUIRE(redisBufferWrite(c.get(), nullptr) == REDIS_OK);
  REQUIRE(WaitFor([&] { return Call(other.get(), {"PING"}).find("BUSY") != std::string::npos; }));
  CHECK(Call(other.get(), {"GET", "k"}) ==
        "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
        "SHUTDOWN NOSAVE.");
  // FUNCTION KILL does not end a script, nor FUNCTION STATS describe one: the answer says
  // which KILL does.
  CHECK(Call(other.get(), {"FUNCTION", "KILL"}) ==
        "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
        "SHUTDOWN NOSAVE.");
  CHECK(Call(other.get(), {"FUNCTION", "STATS"}) ==
        "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
        "SHUTDOWN NOSAVE.");
  CHECK(Call(other.get(), {"SCRIPT", "KILL"}) == "OK");
  CHECK(Describe(GetReply(c.get())).find("ERR Script killed by user with SCRIPT KILL") !=
        std::string::npos);
  CHECK(Call(other.get(), {"PING"}) == "PONG");

  // A library whose load code never ends is stopped (FUNCTION LOAD timeout, 500 ms).
  CHECK(Call(other.get(), {"FUNCTION", "LOAD", "#!lua name=endless\nwhile true do end"})
            .find("FUNCTION LOAD timeout") != std::string::npos);
  CHECK(Call(other.get(), {"PING"}) == "PONG");

  // One that wrote cannot be killed; SHUTDOWN NOSAVE ends it and its writes never persist.
  AppendCommand(c.get(), {"EVAL", "redis.call('SET', 'x', '1'); while true do end", "0"});
  REQUIRE(redisBufferWrite(c.get(), nullptr) == REDIS_OK);
  REQUIRE(WaitFor([&] { return Call(other.get(), {"PING"}).find("BUSY") != std::string::npos; }));
  CHECK(Call(other.get(), {"SCRIPT", "KILL"}).rfind("(error) UNKILLABLE", 0) == 0);
  CHECK(Call(other.get(), {"SHUTDOWN"}).rfind("(error) BUSY", 0) == 0);
  Call(other.get(), {"SHUTDOWN", "NOSAVE"});
  REQUIRE(server->WaitExit().has_value());
  server = StartServerOn(dir.path() / "d");
  RedisConnection again = server->Connect();
  CHECK(Call(again.get(), {"EXISTS", "x"}) == "(integer) 0");
}

TEST_CASE("redis-cli --eval runs a script file", "[integration][script]") {
  ServerProcess server;
  TempDir dir;
  const fs::path file = dir.path() / "incr.lua";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("return redis.call('INCRBY', KEYS[1], ARGV[1])\n", f);
    std::fclose(f);
  }
  const ProcessResult r =
      RunRedisCli(server.port(), {"--eval", file.string(), "counter", ",", "5"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "5\n");  // redis-cli prints bare values when not on a terminal
}

TEST_CASE("a traced script workload replays without a mismatch", "[integration][script][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "script.trace";
  size_t commands = 0;
  const std::string digest = Record(trace, [&](ServerProcess& server) {
    RedisConnection c = server.Connect();
    const std::string sha = Call(c.get(), {"SCRIPT", "LOAD", kTransfer});
    commands++;
    REQUIRE(Call(c.get(), {"SET", "a", "500"}) == "OK");
    commands++;
    for (int i = 0; i < 150; i++) {
      const std::string n = std::to_string(i);
      Call(c.get(), {"EVALSHA", sha, "2", "a", "b", std::to_string(i % 5 + 1)});
      Call(c.get(), {"EVAL", "return {math.random(100), redis.call('INCR', KEYS[1])}", "1",
                     "r" + std::to_string(i % 3)});
      Call(c.get(), {"EVAL", "return redis.pcall('LPUSH', KEYS[1], ARGV[1])", "1", "a", n});
      commands += 3;
    }
  });
  CheckReplays(trace, digest, commands);
}

}  // namespace
}  // namespace tidekv::integration
