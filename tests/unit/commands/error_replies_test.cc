// Error replies through the in-process engine: INFO errorstats and total_error_replies
// (counted once per error, including the errors of commands a script calls), and the
// error tables scripts build (redis.error_reply's "CODE message" form, tables with hostile
// metatables).
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

// The INFO field `name` (e.g. "errorstat_ERR"), "" when absent.
std::string InfoField(EngineFixture& f, std::string_view section, std::string_view name) {
  const std::string info = f.Run({"INFO", section});
  const std::string key = std::string(name) + ":";
  const size_t at = info.find(key);
  if (at == std::string::npos) return "";
  const size_t end = info.find("\r\n", at);
  return info.substr(at + key.size(), end - at - key.size());
}

TEST_CASE("INFO errorstats counts error replies by their code", "[errors]") {
  EngineFixture f;
  CHECK(InfoField(f, "errorstats", "errorstat_ERR").empty());
  f.Run({"GET"});            // refused: wrong number of arguments
  f.Run({"NOSUCHCOMMAND"});  // refused: unknown command
  f.Run({"SET", "s", "v"});
  f.Run({"LPUSH", "s", "x"});  // ran and failed: WRONGTYPE
  CHECK(InfoField(f, "errorstats", "errorstat_ERR") == "count=2");
  CHECK(InfoField(f, "errorstats", "errorstat_WRONGTYPE") == "count=1");
  CHECK(InfoField(f, "stats", "total_error_replies") == "3");
  // In the default sections, as in Redis 7.
  CHECK(f.Run({"INFO"}).find("# Errorstats") != std::string::npos);
  CHECK(f.Run({"CONFIG", "RESETSTAT"}) == kOk);
  CHECK(InfoField(f, "errorstats", "errorstat_ERR").empty());
  CHECK(InfoField(f, "stats", "total_error_replies") == "0");
}

TEST_CASE("a script's errors count once, where they arise", "[errors][script]") {
  EngineFixture f;
  f.Run({"SET", "s", "v"});
  // A redis.call error the script fails with: counted by the call, not again by EVAL.
  CHECK(f.Run({"EVAL", "return redis.call('lpush', KEYS[1], 'x')", "1", "s"})
            .rfind("-WRONGTYPE", 0) == 0);
  CHECK(InfoField(f, "errorstats", "errorstat_WRONGTYPE") == "count=1");
  CHECK(InfoField(f, "stats", "total_error_replies") == "1");
  CHECK(InfoField(f, "commandstats", "cmdstat_eval").find("failed_calls=1") != std::string::npos);
  // Caught by pcall, still counted once; returned as the reply, not counted again.
  f.Run({"CONFIG", "RESETSTAT"});
  CHECK(f.Run({"EVAL", "local t = redis.pcall('lpush', KEYS[1], 'x'); return 1", "1", "s"}) ==
        Int(1));
  CHECK(f.Run({"EVAL", "return redis.pcall('lpush', KEYS[1], 'x')", "1", "s"})
            .rfind("-WRONGTYPE", 0) == 0);
  CHECK(InfoField(f, "errorstats", "errorstat_WRONGTYPE") == "count=2");
  CHECK(InfoField(f, "stats", "total_error_replies") == "2");
  // A refused call (wrong arity) counts as it is refused.
  f.Run({"CONFIG", "RESETSTAT"});
  CHECK(f.Run({"EVAL", "return redis.call('get')", "0"})
            .rfind("-ERR Wrong number of args calling Redis command from script", 0) == 0);
  CHECK(InfoField(f, "errorstats", "errorstat_ERR") == "count=1");
  // An error the script makes itself counts when EVAL replies it.
  f.Run({"CONFIG", "RESETSTAT"});
  CHECK(f.Run({"EVAL", "return redis.error_reply('MY_CODE custom msg')", "0"}) ==
        Err("MY_CODE custom msg"));
  CHECK(InfoField(f, "errorstats", "errorstat_MY_CODE") == "count=1");
  CHECK(InfoField(f, "stats", "total_error_replies") == "1");
}

TEST_CASE("redis.error_reply and status_reply build Redis's tables", "[errors][script]") {
  EngineFixture f;
  CHECK(f.Run({"EVAL", "return redis.error_reply('')", "0"}) == "-ERR \r\n");
  CHECK(f.Run({"EVAL", "return redis.error_reply('x')", "0"}) == Err("ERR x"));
  CHECK(f.Run({"EVAL", "return redis.error_reply('-X  y\\r\\n')", "0"}) == Err("X  y"));
  CHECK(f.Run({"EVAL", "return redis.error_reply('-CODE')", "0"}) == Err("ERR CODE"));
  CHECK(f.Run({"EVAL", "return redis.error_reply()", "0"}) ==
        Err("ERR wrong number or type of arguments"));
  CHECK(f.Run({"EVAL", "return redis.status_reply(1, 2)", "0"}) ==
        Err("ERR wrong number or type of arguments"));
  CHECK(f.Run({"EVAL", "return redis.status_reply('')", "0"}) == "+\r\n");
  CHECK(f.Run({"EVAL", "return redis.error_reply('x').err", "0"}) == Bulk("ERR x"));
}

TEST_CASE("tables with raising metatables as a script's reply or error", "[errors][script]") {
  EngineFixture f;
  // The reply conversion and the error path read fields raw: no metamethod runs outside a
  // protected call (which would abort the process).
  CHECK(f.Run({"EVAL", "return _G", "0"}) == "*0\r\n");
  const std::string raising = "setmetatable({}, {__index = function() error('boom') end})";
  CHECK(f.Run({"EVAL", "return " + raising, "0"}) == "*0\r\n");
  CHECK(f.Run({"EVAL", "error(" + raising + ")", "0"}).rfind("-", 0) == 0);
  // No debug library (as Redis 7.0): its getmetatable/getregistry reached the real globals,
  // where a raising __newindex made the next EVAL's KEYS assignment abort the server.
  CHECK(f.Run({"EVAL",
               "local G = debug.getmetatable(_G).__index; "
               "debug.setmetatable(G, {__newindex = function() error('x') end})",
               "0"})
            .find("nonexistent global variable 'debug'") != std::string::npos);
  CHECK(f.Run({"EVAL", "return 1", "0"}) == Int(1));
  CHECK(f.Run({"PING"}) == "+PONG\r\n");
}

TEST_CASE("past maxmemory a script's deny-oom calls are refused unless allow-oom", "[script]") {
  EngineFixture f;
  f.Run({"SET", "x", "123"});
  CHECK(f.Run({"CONFIG", "SET", "maxmemory", "1"}) == kOk);
  CHECK(f.Run({"EVAL", "return redis.call('set', KEYS[1], 1)", "1", "x"}).rfind("-OOM ", 0) == 0);
  CHECK(InfoField(f, "commandstats", "cmdstat_set").find("rejected_calls=1") != std::string::npos);
  CHECK(f.Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "x"}) == Bulk("123"));
  CHECK(f.Run({"EVAL", "#!lua flags=\nreturn 1", "0"}).rfind("-OOM ", 0) == 0);
  CHECK(f.Run({"EVAL", "#!lua flags=allow-oom\nredis.call('set', KEYS[1], 1)\nreturn 1", "1",
               "x"}) == Int(1));
  CHECK(f.Run({"GET", "x"}) == Bulk("1"));
  CHECK(f.Run({"EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "x"}) ==
        Bulk("1"));
  // A write-from-read-only refusal counts as the command's rejection too.
  f.Run({"CONFIG", "SET", "maxmemory", "0"});
  f.Run({"CONFIG", "RESETSTAT"});
  CHECK(f.Run({"EVAL_RO", "return redis.call('set', KEYS[1], 'y')", "1", "x"})
            .rfind("-ERR Write commands are not allowed from read-only scripts", 0) == 0);
  CHECK(InfoField(f, "commandstats", "cmdstat_set").rfind("calls=0,", 0) == 0);
  CHECK(InfoField(f, "commandstats", "cmdstat_set").find("rejected_calls=1,failed_calls=0") !=
        std::string::npos);
  CHECK(InfoField(f, "errorstats", "errorstat_ERR") == "count=1");
}

}  // namespace
}  // namespace tidekv::commands
