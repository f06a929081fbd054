// Lua scripting on the in-process engine: EVAL / EVALSHA / EVAL_RO / SCRIPT, the redis.*
// API, reply conversions both ways, the sandbox, and the atomic group of a script's effects.
#include <catch2/catch.hpp>
#include <chrono>

#include "engine/script_host.h"
#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using V = std::vector<std::string>;

struct Fixture {
  Fixture() { f.engine().set_effect_sink(&sink); }
  std::string Eval(std::string_view script, std::vector<std::string_view> rest = {"0"}) {
    std::vector<std::string_view> argv = {"EVAL", script};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return f.Run(argv);
  }
  EngineFixture f;
  RecordingSink sink;
};

TEST_CASE("EVAL runs with KEYS and ARGV and converts replies both ways", "[script]") {
  Fixture x;
  CHECK(x.Eval("return redis.call('SET', KEYS[1], ARGV[1])", {"1", "k", "v"}) == kOk);
  CHECK(x.Eval("return redis.call('GET', KEYS[1])", {"1", "k"}) == Bulk("v"));
  CHECK(x.Eval("return {1, 2, 'x', {3, 'y'}, redis.call('GET', 'k')}") ==
        "*5\r\n:1\r\n:2\r\n$1\r\nx\r\n*2\r\n:3\r\n$1\r\ny\r\n$1\r\nv\r\n");
  // Numbers truncate; an array stops at the first nil; true is 1 and false is nil.
  CHECK(x.Eval("return 3.99") == Int(3));
  CHECK(x.Eval("return {1, nil, 3}") == "*1\r\n:1\r\n");
  CHECK(x.Eval("return true") == Int(1));
  CHECK(x.Eval("return false") == kNil);
  CHECK(x.Eval("return nil") == kNil);
  CHECK(x.Eval("return {ok='fine'}") == "+fine\r\n");
  CHECK(x.Eval("return {err='ERR this is an error'}") == Err("ERR this is an error"));
  CHECK(x.Eval("return redis.status_reply('DONE')") == "+DONE\r\n");
  CHECK(x.Eval("return redis.error_reply('MY_CODE custom')") == Err("MY_CODE custom"));
  // Replies into Lua: a missing key is false, a status a table with ok, an integer a number.
  CHECK(x.Eval("return type(redis.call('GET', 'nosuch'))") == Bulk("boolean"));
  CHECK(x.Eval("return redis.call('PING')['ok']") == Bulk("PONG"));
  CHECK(x.Eval("return redis.call('INCR', 'n') + 1") == Int(2));
  CHECK(x.Eval("return redis.call('HSET', 'h', 'a', 1, 'b', 2.5)") == Int(2));
  CHECK(x.f.Run({"HGET", "h", "b"}) == Bulk("2.5"));
  CHECK(x.Eval("return #KEYS + #ARGV", {"2", "a", "b", "c"}) == Int(3));
  // As many arguments as Lua's C stack holds.
  CHECK(x.Eval("local a = {} for i = 1, 7999 do a[i] = 1 end "
               "return redis.call('LPUSH', 'many', unpack(a))") == Int(7999));
  CHECK(x.Eval("return redis.sha1hex('')") == Bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
}

TEST_CASE("RESP3 inside scripts and towards RESP3 callers", "[script]") {
  Fixture x;
  x.f.Run({"HSET", "h", "f", "v"});
  // A script that asks for RESP3 sees maps and nulls.
  CHECK(x.Eval("redis.setresp(3); local m = redis.call('HGETALL', 'h'); return m['map']['f']") ==
        Bulk("v"));
  CHECK(x.Eval("redis.setresp(3); return redis.call('GET', 'nosuch') == nil") == Int(1));
  CHECK(x.Eval("redis.setresp(3); return redis.call('ZSCORE', 'nosuch', 'm') == nil") == Int(1));
  x.f.session().resp = 3;
  CHECK(x.Eval("return {map={a=1}}") == "%1\r\n$1\r\na\r\n:1\r\n");
  CHECK(x.Eval("return {set={a=true}}") == "~1\r\n$1\r\na\r\n");
  CHECK(x.Eval("return {double=1.5}") == ",1.5\r\n");
  CHECK(x.Eval("return true") == "#t\r\n");
  CHECK(x.Eval("return nil") == "_\r\n");
  x.f.session().resp = 2;
  CHECK(x.Eval("return {map={a=1}}") == "*2\r\n$1\r\na\r\n:1\r\n");
  CHECK(x.Eval("return {double=1.5}") == Bulk("1.5"));
}

TEST_CASE("redis.call raises, redis.pcall returns the error", "[script]") {
  Fixture x;
  x.f.Run({"SET", "s", "text"});
  const std::string raised = x.Eval("return redis.call('INCR', 's')");
  CHECK(raised.starts_with("-ERR value is not an integer or out of range script: "));
  CHECK(raised.ends_with(", on @user_script:1.\r\n"));
  CHECK(x.Eval("local r = redis.pcall('INCR', 's'); return r['err']") ==
        Bulk("ERR value is not an integer or out of range"));
  CHECK(x.Eval("return redis.pcall('INCR', 's')") ==
        Err("ERR value is not an integer or out of range"));
  CHECK(x.Eval("redis.call('SET', 'only')")
            .starts_with("-ERR Wrong number of args calling Redis command from script"));
  CHECK(
      x.Eval("redis.call('NOSUCH')").starts_with("-ERR Unknown Redis command called from script"));
  CHECK(x.Eval("redis.call('MULTI')")
            .starts_with("-ERR This Redis command is not allowed from script"));
  CHECK(x.Eval("redis.call('SUBSCRIBE', 'news')")
            .starts_with("-ERR This Redis command is not allowed from script"));
  CHECK(x.Eval("redis.call('EVAL', 'return 1', '0')")
            .starts_with("-ERR This Redis command is not allowed from script"));
  CHECK(x.Eval("redis.call('PING', {})")
            .starts_with("-ERR Lua redis lib command arguments must be strings or integers"));
  CHECK(x.Eval("redis.call()")
            .starts_with("-ERR Please specify at least one argument for this redis lib call"));
  // A plain Lua error reports where it happened.
  CHECK(x.Eval("\nerror('boom')").find("boom script: ") != std::string::npos);
  CHECK(x.Eval("\nerror('boom')").ends_with("on @user_script:2.\r\n"));
  // Blocking commands may not run inside a script.
  CHECK(x.Eval("return redis.call('BLPOP', 'nolist', 0)")
            .starts_with("-ERR This Redis command is not allowed from script"));
  CHECK(x.f.Run({"EVAL", "return 1", "-1"}) == Err("ERR Number of keys can't be negative"));
  CHECK(x.f.Run({"EVAL", "return 1", "2", "a"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(x.f.Run({"EVAL", "return 1", "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(x.Eval("return +").starts_with("-ERR Error compiling script"));
}

TEST_CASE("the sandbox: protected globals, read-only libraries, no files", "[script]") {
  Fixture x;
  CHECK(x.Eval("return a").find("Script attempted to access nonexistent global variable 'a'") !=
        std::string::npos);
  for (std::string_view trick :
       {"a = 10", "setmetatable(_G, {})", "local g = getmetatable(_G); g.__index = {}",
        "redis = function() return 1 end", "_G = {}", "redis.call = function() return 1 end",
        "cjson.encode = nil", "bit.band = nil", "string.x = 1", "rawset(_G, 'x', 1)"}) {
    INFO(trick);
    CHECK(x.Eval(trick).find("Attempt to modify a readonly table") != std::string::npos);
  }
  CHECK(x.Eval("loadfile('x')").find("nonexistent global variable 'loadfile'") !=
        std::string::npos);
  CHECK(x.Eval("dofile('x')").find("nonexistent global variable 'dofile'") != std::string::npos);
  CHECK(x.Eval("return os.time()").find("nonexistent global variable 'os'") != std::string::npos);
  CHECK(x.Eval("return io.open('/etc/passwd')").find("nonexistent global variable 'io'") !=
        std::string::npos);
  CHECK(x.Eval("return loadstring(string.dump(function() return 1 end))()")
            .find("attempt to call a nil value") != std::string::npos);
  CHECK(x.Eval("return loadstring('return 7')()") == Int(7));
  // Locals are fine, and libraries work.
  CHECK(x.Eval("local t = {3, 1, 2}; table.sort(t); return t") == "*3\r\n:1\r\n:2\r\n:3\r\n");
  CHECK(x.Eval("return cjson.decode('[1,2]')[2]") == Int(2));
  CHECK(x.Eval("return bit.bor(1, 2)") == Int(3));
  CHECK(x.Eval("return string.format('%d-%s', 5, 'x')") == Bulk("5-x"));
  // math.random goes on from run to run (as Redis 7); randomseed makes it repeatable.
  const std::string draw =
      x.Eval("math.randomseed(7); return {math.random(1000), math.random(1000)}");
  CHECK(x.Eval("return {math.random(1000), math.random(1000)}") != draw);
  CHECK(x.Eval("math.randomseed(7); return {math.random(1000), math.random(1000)}") == draw);
}

TEST_CASE("EVALSHA, SCRIPT LOAD / EXISTS / FLUSH", "[script]") {
  Fixture x;
  const std::string sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";  // SHA-1 of "return 1"
  CHECK(x.f.Run({"EVALSHA", sha, "0"}) == Err("NOSCRIPT No matching script. Please use EVAL."));
  CHECK(x.f.Run({"SCRIPT", "LOAD", "return 1"}) == Bulk(sha));
  CHECK(x.f.Run({"EVALSHA", sha, "0"}) == Int(1));
  std::string upper = sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(x.f.Run({"EVALSHA", upper, "0"}) == Int(1));
  CHECK(x.f.Run({"SCRIPT", "EXISTS", sha, "ffff"}) == "*2\r\n:1\r\n:0\r\n");
  // EVAL caches too.
  x.Eval("return 2");
  CHECK(x.f.Run({"SCRIPT", "EXISTS", "7f923f79fe76194c868d7e1d0820de36700eb649"}) ==
        "*1\r\n:1\r\n");
  CHECK(x.f.Run({"SCRIPT", "FLUSH"}) == kOk);
  CHECK(x.f.Run({"SCRIPT", "EXISTS", sha}) == "*1\r\n:0\r\n");
  CHECK(x.f.Run({"SCRIPT", "FLUSH", "BOGUS"}) ==
        Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
  CHECK(x.f.Run({"SCRIPT", "KILL"}) == Err("NOTBUSY No scripts in execution right now."));
}

TEST_CASE("the garbage scripts leave is collected as they run", "[script]") {
  // Each run leaves ~2 KiB of strings and tables behind: 20,000 runs would hold ~40 MB
  // without collection. Lua's incremental collector (plus periodic extra steps) keeps the
  // heap within a small multiple of what is live.
  Fixture x;
  const std::string loaded = x.f.Run({"SCRIPT", "LOAD",
                                      "local t = {} for i = 1, 16 do "
                                      "t[i] = string.rep(ARGV[1], 100) .. i end "
                                      "return #table.concat(t)"});
  REQUIRE(loaded.size() == 47);  // $40\r\n<sha>\r\n
  const std::string sha = loaded.substr(5, 40);
  auto lua_bytes = [&] {
    const std::string info = x.f.Run({"INFO", "memory"});
    const size_t at = info.find("used_memory_lua:");
    REQUIRE(at != std::string::npos);
    return std::stoull(info.substr(at + 16));
  };
  size_t peak = 0;
  for (int i = 0; i < 20000; i++) {
    REQUIRE(x.f.Run({"EVALSHA", sha, "0", std::to_string(i % 10)}) == Int(9 * 101 + 7 * 102));
    if (i % 1000 == 999) peak = std::max<size_t>(peak, lua_bytes());
  }
  INFO("peak Lua heap " << peak);
  CHECK(peak < 4u * 1024 * 1024);
}

TEST_CASE("a script's writes are one group, read-only scripts write nothing", "[script][effects]") {
  Fixture x;
  x.Eval(
      "redis.call('SET', 'a', '1'); redis.call('GET', 'a'); redis.call('SELECT', '3'); "
      "redis.call('INCR', 'n')");
  CHECK(x.sink.Take() == V{"0: TIDEKV.GROUP 2 0 3 SET a 1 3 2 INCR n"});
  // SELECT inside the script does not move the caller.
  CHECK(x.f.Run({"GET", "a"}) == Bulk("1"));
  x.Eval("redis.call('SET', 'b', '2')");
  CHECK(x.sink.Take() == V{"0: SET b 2"});
  // Effects of commands that ran before an error stay, as in Redis.
  x.Eval("redis.call('SET', 'c', '3'); redis.call('SET', 'd', '4'); error('stop')");
  CHECK(x.sink.Take() == V{"0: TIDEKV.GROUP 2 0 3 SET c 3 0 3 SET d 4"});
  // REPL_NONE: the effects after it are neither logged nor replicated.
  x.Eval("redis.set_repl(redis.REPL_NONE); redis.call('SET', 'e', '5')");
  CHECK(x.sink.Take().empty());
  x.Eval("redis.call('SET', 'f', '6')");
  CHECK(x.sink.Take() == V{"0: SET f 6"});

  CHECK(x.f.Run({"EVAL_RO", "return redis.call('SET', 'x', '1')", "0"})
            .starts_with("-ERR Write commands are not allowed from read-only scripts."));
  CHECK(x.f.Run({"EVAL_RO", "return redis.call('GET', 'a')", "0"}) == Bulk("1"));
  CHECK(x.Eval("#!lua flags=no-writes\nreturn redis.call('SET', 'x', '1')")
            .starts_with("-ERR Write commands are not allowed from read-only scripts."));
  CHECK(x.Eval("#!lua flags=no-writes\nreturn redis.call('GET', 'a')") == Bulk("1"));
  CHECK(x.Eval("#!lua flags=bogus\nreturn 1") ==
        Err("ERR Unexpected flag in script shebang: bogus"));
  CHECK(x.Eval("#!python\nreturn 1") == Err("ERR Unexpected engine in script shebang: python"));
  CHECK(x.f.Run({"EVAL_RO", "#!lua\nreturn 1", "0"}) ==
        Err("ERR Can not execute a script with write flag using *_ro command."));
  CHECK(x.sink.Take().empty());
}

TEST_CASE("replay kill points end the script at the recorded point, inside EXEC too",
          "[script][multi][trace]") {
  // What tools/replay.cc arms for a script that SCRIPT KILL ended when it was recorded.
  Fixture x;
  uint64_t nested = 0;
  x.f.engine().set_nested_observer([&](const engine::Engine::NestedExecution&) { nested++; });
  engine::ScriptHost& scripts = x.f.engine().scripts();
  const std::string killed = "-ERR Script killed by user with SCRIPT KILL";
  const std::string forever = "while true do redis.call('GET', 'k') end";

  // A script alone: ended after exactly its 5 recorded calls.
  scripts.set_replay_kills({{5, false}});
  CHECK(x.Eval(forever).starts_with(killed));
  CHECK(nested == 5);
  scripts.set_replay_kills({});

  // In EXEC: the first script makes more calls than the killed one did and runs to its end;
  // the second ends after its 7 calls (the records before its own: the first script's 1000
  // calls and its own record, then 7).
  nested = 0;
  CHECK(x.f.Run({"MULTI"}) == kOk);
  x.Eval("for i = 1, 1000 do redis.call('GET', 'k') end return 'done'");
  x.Eval(forever);
  CHECK(x.f.Run({"SET", "after", "1"}) == "+QUEUED\r\n");
  scripts.set_replay_kills({{1000 + 1 + 7, false}});
  const std::string exec = x.f.Run({"EXEC"});
  scripts.set_replay_kills({});
  CHECK(exec.starts_with("*3\r\n$4\r\ndone\r\n" + killed));
  CHECK(exec.ends_with("+OK\r\n"));
  CHECK(nested == 1000 + 1 + 7 + 1 + 1);

  // A script that wrote is not ended without `shutdown`; with it, it is.
  scripts.set_replay_kills({{3, false}});
  CHECK(x.Eval("redis.call('SET', 'w', '1') for i = 1, 10 do redis.call('GET', 'k') end "
               "return 'ran'") == Bulk("ran"));
  scripts.set_replay_kills({{3, true}});
  CHECK(x.Eval("redis.call('INCR', 'w') while true do redis.call('GET', 'k') end")
            .starts_with(killed));
  scripts.set_replay_kills({});

  // A diverged replay whose script never reaches its kill point (no calls at all here) ends
  // it once the grace time has passed, so the replay finishes.
  scripts.set_replay_kills({{1'000'000, false}}, std::chrono::milliseconds(50));
  CHECK(x.Eval("while true do end").starts_with(killed));
  scripts.set_replay_kills({});
  x.f.engine().set_nested_observer(nullptr);
}

TEST_CASE("EVAL inside MULTI joins the transaction's group", "[script][multi]") {
  Fixture x;
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "a", "1"});
  x.Eval("redis.call('SET', 'b', '2'); redis.call('SET', 'c', '3')");
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"OK", "(nil)"});
  CHECK(x.sink.Take() == V{"0: TIDEKV.GROUP 3 0 3 SET a 1 0 3 SET b 2 0 3 SET c 3"});
}

TEST_CASE("the nested observer sees what EXEC and scripts ran for their client, in order",
          "[script][multi][trace]") {
  Fixture x;
  // What trace replay compares with nested records: one call per command a group ran.
  std::vector<std::string> seen;
  x.f.engine().set_nested_observer([&](const engine::Engine::NestedExecution& n) {
    std::string line = std::to_string(n.connection) + " db" + std::to_string(n.db);
    for (std::string_view a : n.argv) line += " " + std::string(a);
    seen.push_back(line + " -> " + std::string(n.reply));
  });
  const std::string me = std::to_string(x.f.session().id);
  CHECK(x.f.Run({"SET", "a", "1"}) == kOk);  // not in a group: not nested
  CHECK(x.f.Run({"MULTI"}) == kOk);
  CHECK(x.f.Run({"INCR", "a"}) == "+QUEUED\r\n");
  CHECK(x.f.Run({"SELECT", "2"}) == "+QUEUED\r\n");
  CHECK(x.f.Run({"EVAL", "return redis.pcall('INCR', KEYS[1])", "1", "a"}) == "+QUEUED\r\n");
  CHECK(x.f.Run({"EXEC"}) == "*3\r\n:2\r\n+OK\r\n:1\r\n");
  CHECK(seen == V{me + " db0 INCR a -> :2\r\n", me + " db0 SELECT 2 -> +OK\r\n",
                  me + " db2 INCR a -> :1\r\n",
                  me + " db2 EVAL return redis.pcall('INCR', KEYS[1]) 1 a -> :1\r\n"});
  seen.clear();
  CHECK(x.Eval("redis.call('SET', 'b', 'x'); return redis.pcall('INCR', 'b')") ==
        Err("ERR value is not an integer or out of range"));
  CHECK(seen == V{me + " db2 SET b x -> +OK\r\n",
                  me + " db2 INCR b -> -ERR value is not an integer or out of range\r\n"});
  // A call refused before it ran (unknown command) ran nothing, so it is not reported.
  seen.clear();
  x.Eval("return redis.pcall('NOSUCH')");
  CHECK(seen.empty());
  x.f.engine().set_nested_observer(nullptr);
  CHECK(x.Eval("return redis.call('GET', 'b')") == Bulk("x"));
  CHECK(seen.empty());
}

}  // namespace
}  // namespace tidekv::commands
