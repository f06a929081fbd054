// CLIENT PAUSE / UNPAUSE against an in-process engine: the arguments, which requests a pause
// holds (engine/pause.h's ClientPause::Holds, asked by the connection before it runs one),
// expiry while paused, and the end of a pause at its deadline. The waiting itself is the
// server's (tests/integration/pause_test.cc).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/sha1.h"
#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

bool Holds(EngineFixture& f, std::vector<std::string_view> argv) {
  return f.engine().pause().Holds(f.session(), argv);
}

std::string ExpiredKeys(EngineFixture& f) {
  const std::string info = f.Run({"INFO", "stats"});
  const size_t at = info.find("expired_keys:");
  REQUIRE(at != std::string::npos);
  return info.substr(at, info.find('\r', at) - at);
}

}  // namespace

TEST_CASE("CLIENT PAUSE checks its arguments as Redis does", "[pause]") {
  EngineFixture f;
  CHECK(f.Run({"CLIENT", "PAUSE", "abc"}) == "-ERR timeout is not an integer or out of range\r\n");
  CHECK(f.Run({"CLIENT", "PAUSE", "-1"}) == "-ERR timeout is negative\r\n");
  CHECK(f.Run({"CLIENT", "PAUSE", "100", "READ"}) ==
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
  CHECK(f.Run({"CLIENT", "PAUSE", "100", "WRITE", "x"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.\r\n");
  CHECK(f.Run({"CLIENT", "PAUSE"}) ==
        "-ERR wrong number of arguments for 'client|pause' command\r\n");
  CHECK_FALSE(f.engine().pause().active());
  CHECK(f.Run({"CLIENT", "PAUSE", "100"}) == "+OK\r\n");
  CHECK(f.engine().pause().mode() == engine::PauseMode::kAll);
  CHECK(f.Run({"CLIENT", "UNPAUSE"}) == "+OK\r\n");
  CHECK_FALSE(f.engine().pause().active());
  CHECK(f.Run({"CLIENT", "PAUSE", "100", "write"}) == "+OK\r\n");
  CHECK(f.engine().pause().mode() == engine::PauseMode::kWrite);
}

TEST_CASE("a WRITE pause holds what could change the data or reach the log", "[pause]") {
  EngineFixture f;
  REQUIRE(f.Run({"SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"}).starts_with("$40"));
  const std::string ro_sha = Sha1::Hex(Sha1::Of("#!lua flags=no-writes\nreturn 1"));
  REQUIRE(f.Run({"FUNCTION", "LOAD",
                 "#!lua name=lib\n"
                 "redis.register_function{function_name='ro', callback=function() return 1 end, "
                 "flags={'no-writes'}}\n"
                 "redis.register_function('rw', function() return 2 end)"}) == "$3\r\nlib\r\n");
  REQUIRE(f.Run({"CLIENT", "PAUSE", "100000", "WRITE"}) == "+OK\r\n");

  CHECK(Holds(f, {"SET", "k", "v"}));
  CHECK(Holds(f, {"del", "k"}));
  CHECK(Holds(f, {"PUBLISH", "ch", "m"}));  // may-replicate: it reaches the log
  CHECK_FALSE(Holds(f, {"GET", "k"}));
  CHECK_FALSE(Holds(f, {"PING"}));
  CHECK_FALSE(Holds(f, {"CLIENT", "UNPAUSE"}));
  // Refused before running: answered at once.
  CHECK_FALSE(Holds(f, {"SET", "k"}));
  CHECK_FALSE(Holds(f, {"NOSUCHCOMMAND", "k"}));
  // Scripts: as they declare.
  CHECK(Holds(f, {"EVAL", "return 1", "0"}));
  CHECK(Holds(f, {"EVAL", "#!lua\nreturn 1", "0"}));
  CHECK_FALSE(Holds(f, {"EVAL", "#!lua flags=no-writes\nreturn 1", "0"}));
  CHECK_FALSE(Holds(f, {"EVAL_RO", "return 1", "0"}));
  CHECK_FALSE(Holds(f, {"EVALSHA", ro_sha, "0"}));
  CHECK_FALSE(Holds(f, {"EVALSHA", "0000000000000000000000000000000000000000", "0"}));
  CHECK_FALSE(Holds(f, {"FCALL", "ro", "0"}));
  CHECK(Holds(f, {"FCALL", "rw", "0"}));
  CHECK_FALSE(Holds(f, {"FCALL_RO", "ro", "0"}));

  // EXEC: as the commands it would run. (Another client pauses: this one is in MULTI.)
  engine::ClientPause& pause = f.engine().pause();
  pause.End();
  REQUIRE(f.Run({"MULTI"}) == "+OK\r\n");
  REQUIRE(f.Run({"GET", "k"}) == "+QUEUED\r\n");
  REQUIRE(f.Run({"EVAL", "#!lua flags=no-writes\nreturn 1", "0"}) == "+QUEUED\r\n");
  pause.Start(engine::PauseMode::kWrite, f.clock().NowMs() + 100000);
  CHECK_FALSE(Holds(f, {"EXEC"}));
  CHECK(Holds(f, {"INCR", "n"}));  // a write is held even while queueing, as in Redis
  pause.End();
  REQUIRE(f.Run({"EVAL", "return 1", "0"}) == "+QUEUED\r\n");
  pause.Start(engine::PauseMode::kWrite, f.clock().NowMs() + 100000);
  CHECK(Holds(f, {"EXEC"}));
  CHECK_FALSE(Holds(f, {"DISCARD"}));
}

TEST_CASE("an ALL pause holds every request that would run", "[pause]") {
  EngineFixture f;
  REQUIRE(f.Run({"CLIENT", "PAUSE", "100000", "ALL"}) == "+OK\r\n");
  CHECK(Holds(f, {"GET", "k"}));
  CHECK(Holds(f, {"PING"}));
  CHECK(Holds(f, {"CLIENT", "UNPAUSE"}));
  CHECK_FALSE(Holds(f, {"GET"}));
}

TEST_CASE("a second CLIENT PAUSE never shortens or relaxes the pause, scripts cannot pause",
          "[pause]") {
  EngineFixture f;
  engine::ClientPause& pause = f.engine().pause();
  REQUIRE(f.Run({"CLIENT", "PAUSE", "100000", "ALL"}) == "+OK\r\n");
  const int64_t end = pause.end_ms();
  REQUIRE(f.Run({"CLIENT", "PAUSE", "10", "WRITE"}) == "+OK\r\n");
  CHECK(pause.mode() == engine::PauseMode::kAll);
  CHECK(pause.end_ms() == end);
  REQUIRE(f.Run({"CLIENT", "PAUSE", "200000", "WRITE"}) == "+OK\r\n");
  CHECK(pause.mode() == engine::PauseMode::kAll);
  CHECK(pause.end_ms() == end + 100000);
  REQUIRE(f.Run({"CLIENT", "UNPAUSE"}) == "+OK\r\n");
  CHECK_FALSE(pause.active());
  REQUIRE(f.Run({"CLIENT", "PAUSE", "100", "WRITE"}) == "+OK\r\n");
  CHECK(pause.mode() == engine::PauseMode::kWrite);
  pause.End();
  const std::string refused = f.Run({"EVAL", "return redis.call('CLIENT', 'PAUSE', '100')", "0"});
  CHECK(refused.find("not allowed from script") != std::string::npos);
  CHECK_FALSE(pause.active());
}

TEST_CASE("while paused, expired keys read as absent and stay until the pause ends", "[pause]") {
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v", "PX", "10"}) == "+OK\r\n");
  REQUIRE(f.Run({"CLIENT", "PAUSE", "100000", "WRITE"}) == "+OK\r\n");
  f.clock().AdvanceMs(20);
  CHECK(f.Run({"GET", "k"}) == "$-1\r\n");
  CHECK(f.Run({"EXISTS", "k"}) == ":0\r\n");
  CHECK(f.engine().keyspace().db(0).size() == 1);  // still there: no DEL while paused
  CHECK(ExpiredKeys(f) == "expired_keys:0");
  REQUIRE(f.Run({"CLIENT", "UNPAUSE"}) == "+OK\r\n");
  CHECK(f.Run({"GET", "k"}) == "$-1\r\n");
  CHECK(f.engine().keyspace().db(0).size() == 0);
  CHECK(ExpiredKeys(f) == "expired_keys:1");
}

TEST_CASE("a pause ends at its deadline with the first command after it", "[pause]") {
  // The server's timer ends it on time; without one (trace replay) the clock does.
  EngineFixture f;
  REQUIRE(f.Run({"SET", "k", "v", "PX", "10"}) == "+OK\r\n");
  REQUIRE(f.Run({"CLIENT", "PAUSE", "50", "WRITE"}) == "+OK\r\n");
  f.clock().AdvanceMs(49);
  CHECK(f.Run({"PING"}) == "+PONG\r\n");
  CHECK(f.engine().pause().active());
  f.clock().AdvanceMs(1);
  CHECK(f.Run({"GET", "k"}) == "$-1\r\n");
  CHECK_FALSE(f.engine().pause().active());
  CHECK(f.engine().keyspace().db(0).size() == 0);
  // A zero timeout ends at once.
  REQUIRE(f.Run({"CLIENT", "PAUSE", "0", "ALL"}) == "+OK\r\n");
  CHECK(f.Run({"PING"}) == "+PONG\r\n");
  CHECK_FALSE(f.engine().pause().active());
}

}  // namespace tidekv::commands
