// SLOWLOG on the in-process engine: what goes into the slow log (engine/slowlog.h, the
// dispatcher's one compare per command) and how SLOWLOG GET shows it, against Redis 7.0.15.
#include "engine/slowlog.h"

#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using V = std::vector<std::string>;

// The argv of SLOWLOG GET's entries, newest first: {"set a 1", "ping", ...}.
std::vector<std::string> LoggedCommands(EngineFixture& f) {
  std::vector<std::string> out;
  for (const engine::SlowLogEntry& e : f.engine().slowlog().entries()) {
    std::string line;
    for (const std::string& a : e.argv) line += (line.empty() ? "" : " ") + a;
    out.push_back(line);
  }
  return out;
}

// Logs every command from now on, starting from an empty log.
void LogEverything(EngineFixture& f) {
  REQUIRE(f.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}) == kOk);
  REQUIRE(f.Run({"SLOWLOG", "RESET"}) == kOk);
}

TEST_CASE("SLOWLOG logs commands at or over the threshold, with Redis's entry", "[slowlog]") {
  EngineFixture f;
  // Default: 10 ms; a PING is never that slow.
  CHECK(f.Run({"CONFIG", "GET", "slowlog-log-slower-than"}) ==
        "*2\r\n" + Bulk("slowlog-log-slower-than") + Bulk("10000"));
  CHECK(f.Run({"CONFIG", "GET", "slowlog-max-len"}) ==
        "*2\r\n" + Bulk("slowlog-max-len") + Bulk("128"));
  f.Run({"PING"});
  CHECK(f.Run({"SLOWLOG", "LEN"}) == Int(0));
  f.Run({"DEBUG", "SLEEP", "0.012"});
  CHECK(f.Run({"SLOWLOG", "LEN"}) == Int(1));

  f.session().addr = "127.0.0.1:5000";
  f.Run({"CLIENT", "SETNAME", "worker"});
  f.Run({"DEBUG", "SLEEP", "0.011"});
  const V e = Elements(f.Run({"SLOWLOG", "GET", "1"}));
  REQUIRE(e.size() == 8);
  CHECK(e[0] == "1");                            // ids count up from 0
  CHECK(e[1] == std::to_string(1'700'000'000));  // the engine clock's second
  CHECK(std::stoll(e[2]) >= 11'000);             // microseconds
  CHECK(V(e.begin() + 3, e.begin() + 6) == V{"DEBUG", "SLEEP", "0.011"});
  CHECK(e[6] == "127.0.0.1:5000");
  CHECK(e[7] == "worker");

  // -1 turns it off; RESET keeps counting ids.
  f.Run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"});
  f.Run({"SLOWLOG", "RESET"});
  f.Run({"DEBUG", "SLEEP", "0.011"});
  CHECK(f.Run({"SLOWLOG", "LEN"}) == Int(0));
  f.Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  CHECK(Elements(f.Run({"SLOWLOG", "GET"}))[0] == "2");  // the CONFIG SET itself
}

TEST_CASE("SLOWLOG keeps slowlog-max-len entries, GET takes a count", "[slowlog]") {
  EngineFixture f;
  LogEverything(f);  // every command from here on, SLOWLOG's own included
  f.Run({"CONFIG", "SET", "slowlog-max-len", "3"});
  for (int i = 0; i < 10; i++) f.Run({"PING"});
  CHECK(LoggedCommands(f) == V{"PING", "PING", "PING"});
  CHECK(f.Run({"SLOWLOG", "LEN"}) == Int(3));
  CHECK(f.Run({"SLOWLOG", "GET", "0"}) == "*0\r\n");
  CHECK(f.Run({"SLOWLOG", "GET", "1"}).starts_with("*1\r\n*6\r\n"));
  CHECK(f.Run({"SLOWLOG", "GET", "-1"}).starts_with("*3\r\n"));
  CHECK(f.Run({"SLOWLOG", "GET", "100"}).starts_with("*3\r\n"));
  CHECK(f.Run({"SLOWLOG", "GET", "-2"}) == Err("ERR count should be greater than or equal to -1"));
  CHECK(f.Run({"SLOWLOG", "GET", "x"}) == Err("ERR count should be greater than or equal to -1"));
  // A smaller max-len takes effect with the next entry (as Redis): here the CONFIG SET's own.
  f.Run({"CONFIG", "SET", "slowlog-max-len", "1"});
  CHECK(LoggedCommands(f) == V{"CONFIG SET slowlog-max-len 1"});
  // 0 keeps nothing more, and drops nothing either.
  f.Run({"CONFIG", "SET", "slowlog-max-len", "0"});
  f.Run({"PING"});
  CHECK(LoggedCommands(f) == V{"CONFIG SET slowlog-max-len 1"});
  CHECK(f.Run({"SLOWLOG", "HELP", "x"}) ==
        Err("ERR wrong number of arguments for 'slowlog|help' command"));
  CHECK(f.Run({"SLOWLOG", "NOPE"}) == Err("ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP."));
}

TEST_CASE("SLOWLOG trims long entries as Redis does", "[slowlog]") {
  EngineFixture f;
  LogEverything(f);
  std::vector<std::string> argv = {"SADD", "set"};
  for (int i = 3; i <= 33; i++) argv.push_back(std::to_string(i));
  f.Run(argv);
  std::string expected = "SADD set";
  for (int i = 3; i <= 31; i++) expected += " " + std::to_string(i);
  CHECK(LoggedCommands(f)[0] == expected + " ... (2 more arguments)");

  f.Run(V{"SADD", "set", "foo", std::string(129, 'A')});
  CHECK(LoggedCommands(f)[0] == "SADD set foo " + std::string(128, 'A') + "... (1 more bytes)");
  f.Run(V{"SADD", "set", std::string(128, 'B')});
  CHECK(LoggedCommands(f)[0] == "SADD set " + std::string(128, 'B'));
}

TEST_CASE("SLOWLOG redacts secrets as Redis does", "[slowlog]") {
  EngineFixture f;
  LogEverything(f);
  f.Run({"ACL", "SETUSER", "slow user", "+get"});  // refused (a space), still logged
  f.Run({"ACL", "SETUSER", "slowuser", ">secret", "on", "+@all"});
  f.Run({"CONFIG", "SET", "masterauth", "pw", "slowlog-max-len", "50"});
  f.Run({"AUTH", "nopass"});
  f.Run({"AUTH", "slowuser", "secret"});
  f.Run({"HELLO", "2", "SETNAME", "me", "AUTH", "slowuser", "secret"});
  f.Run({"CONFIG", "SET", "requirepass", ""});
  CHECK(LoggedCommands(f) == V{
                                 "CONFIG SET requirepass (redacted)",
                                 "HELLO 2 SETNAME me AUTH (redacted) (redacted)",
                                 "AUTH (redacted) (redacted)",
                                 "AUTH (redacted)",
                                 "CONFIG SET masterauth (redacted) slowlog-max-len 50",
                                 "ACL SETUSER (redacted) (redacted) (redacted) (redacted)",
                                 "ACL SETUSER (redacted) (redacted)",
                                 "SLOWLOG RESET",
                             });
}

TEST_CASE("SLOWLOG: EXEC is logged as its commands, a script with its commands", "[slowlog]") {
  EngineFixture f;
  LogEverything(f);
  f.Run({"MULTI"});
  f.Run({"SET", "a", "1"});
  f.Run({"GET", "a"});
  f.Run({"EXEC"});
  CHECK(LoggedCommands(f) == V{"GET a", "SET a 1", "MULTI", "SLOWLOG RESET"});

  f.Run({"SLOWLOG", "RESET"});
  f.session().addr = "127.0.0.1:6000";
  f.Run({"EVAL", "return redis.call('set', 'k', 'v')", "0"});
  CHECK(LoggedCommands(f) ==
        V{"EVAL return redis.call('set', 'k', 'v') 0", "set k v", "SLOWLOG RESET"});
  // The script's own client has no address (Redis: "?:0").
  const auto& entries = f.engine().slowlog().entries();
  CHECK(entries[0].peer == "127.0.0.1:6000");
  CHECK(entries[1].peer == "?:0");
}

TEST_CASE("SlowLog: push order, ids and max length", "[slowlog]") {
  engine::SlowLog log;
  const std::string_view a[] = {"GET", "k"};
  log.Push(a, nullptr, 10, 5, "?:0", "", 2);
  log.Push(a, nullptr, 11, 6, "?:0", "", 2);
  log.Push(a, nullptr, 12, 7, "?:0", "", 2);
  REQUIRE(log.size() == 2);
  CHECK(log.entries()[0].id == 2);
  CHECK(log.entries()[1].id == 1);
  log.Push(a, nullptr, 13, 8, "?:0", "", 0);  // max 0: nothing kept, nothing dropped
  CHECK(log.size() == 2);
  log.Reset();
  log.Push(a, nullptr, 14, 9, "?:0", "", 2);
  CHECK(log.entries()[0].id == 3);
}

}  // namespace
}  // namespace tidekv::commands
