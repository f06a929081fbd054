// FUNCTION and FCALL on the in-process engine: libraries, their metadata line, the load-time
// sandbox, redis.register_function's arguments, function flags (no-writes, allow-oom),
// FUNCTION LIST / STATS / DUMP / RESTORE, with Redis 7.0's replies and error texts.
#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using V = std::vector<std::string>;

constexpr std::string_view kLib =
    "#!lua name=lib1\n"
    "redis.register_function('f1', function(keys, args) return redis.call('SET', keys[1], "
    "args[1]) end)\n"
    "redis.register_function{function_name='f2', callback=function(keys) return #keys end, "
    "flags={'no-writes'}, description='counts'}\n";

TEST_CASE("FUNCTION LOAD / FCALL / DELETE / FLUSH and their errors", "[script][function]") {
  EngineFixture f;
  RecordingSink sink;
  f.engine().set_effect_sink(&sink);
  CHECK(f.Run({"FUNCTION", "LOAD", kLib}) == Bulk("lib1"));
  CHECK(sink.Take() == std::vector<std::string>{"0: FUNCTION LOAD " + std::string(kLib)});
  CHECK(f.Run({"FCALL", "f1", "1", "k", "v"}) == kOk);
  CHECK(sink.Take() == std::vector<std::string>{"0: SET k v"});
  CHECK(f.Run({"FCALL_RO", "f2", "2", "a", "b"}) == Int(2));
  CHECK(f.Run({"FCALL_RO", "f1", "1", "k", "v"}) ==
        Err("ERR Can not execute a script with write flag using *_ro command."));
  CHECK(f.Run({"FCALL", "nosuch", "0"}) == Err("ERR Function not found"));
  CHECK(f.Run({"FCALL", "f2", "-1"}) == Err("ERR Number of keys can't be negative"));
  CHECK(f.Run({"FUNCTION", "LOAD", kLib}) == Err("ERR Library 'lib1' already exists"));
  CHECK(f.Run({"FUNCTION", "LOAD", "REPLACE", kLib}) == Bulk("lib1"));
  CHECK(f.Run({"FUNCTION", "LOAD", "return 1"}) == Err("ERR Missing library metadata"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua\nreturn 1"}) == Err("ERR Library name was not given"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"})
            .starts_with("-ERR Library names can only contain letters"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=x foo=1\nreturn 1"}) ==
        Err("ERR Invalid metadata value given: foo=1"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=x\nreturn 1"}) ==
        Err("ERR No functions registered"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"})
            .find("Script attempted to access nonexistent global variable 'call'") !=
        std::string::npos);
  CHECK(f.Run({"FUNCTION", "LOAD",
               "#!lua name=x\nredis.register_function('f1', function() return 1 end)"}) ==
        Err("ERR Function f1 already exists"));
  CHECK(f.Run({"FUNCTION", "LOAD",
               "#!lua name=x\nredis.register_function('bad-name', function() end)"})
            .find("Library names can only contain letters") != std::string::npos);
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=x\nfoo = 1\n"})
            .find("Attempt to modify a readonly table") != std::string::npos);
  // Calling redis.register_function outside FUNCTION LOAD fails.
  CHECK(f.Run({"FUNCTION", "LOAD",
               "#!lua name=late\nredis.register_function('late', function() "
               "return redis.register_function('y', function() end) end)"}) == Bulk("late"));
  CHECK(f.Run({"FCALL", "late", "0"}).find("attempt to call field 'register_function'") !=
        std::string::npos);
  CHECK(f.Run({"FUNCTION", "DELETE", "late"}) == kOk);

  CHECK(f.Run({"FUNCTION", "DELETE", "late"}) == Err("ERR Library not found"));
  CHECK(f.Run({"FUNCTION", "LIST"}) ==
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$4\r\nlib1\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
        "$9\r\nfunctions\r\n*2\r\n"
        "*6\r\n$4\r\nname\r\n$2\r\nf1\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n"
        "*6\r\n$4\r\nname\r\n$2\r\nf2\r\n$11\r\ndescription\r\n$6\r\ncounts\r\n$5\r\nflags\r\n"
        "*1\r\n+no-writes\r\n");
  CHECK(f.Run({"FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"}) == "*0\r\n");
  CHECK(Elements(f.Run({"FUNCTION", "LIST", "WITHCODE"})).back() == std::string(kLib));

  // DUMP / RESTORE with each policy.
  const std::vector<std::string> dump = Elements(f.Run({"FUNCTION", "DUMP"}));
  REQUIRE(dump.size() == 1);
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0]}) == Err("ERR Library lib1 already exists"));
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0], "REPLACE"}) == kOk);
  CHECK(f.Run({"FUNCTION", "FLUSH"}) == kOk);
  CHECK(f.Run({"FCALL", "f2", "0"}) == Err("ERR Function not found"));
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0]}) == kOk);
  CHECK(f.Run({"FCALL", "f2", "1", "a"}) == Int(1));
  std::string bad = dump[0];
  bad[bad.size() / 2] ^= 1;
  CHECK(f.Run({"FUNCTION", "RESTORE", bad, "FLUSH"}) ==
        Err("ERR payload version or checksum are wrong"));
  CHECK(f.Run({"FCALL", "f2", "1", "a"}) == Int(1));  // nothing changed
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0], "BOGUS"})
            .starts_with("-ERR Wrong restore policy given"));
  CHECK(Elements(f.Run({"FUNCTION", "STATS"})) == V{"running_script", "(nil)", "engines", "LUA",
                                                    "libraries_count", "1", "functions_count",
                                                    "2"});
  // SCRIPT FLUSH leaves functions alone.
  CHECK(f.Run({"SCRIPT", "FLUSH"}) == kOk);
  CHECK(f.Run({"FCALL", "f2", "0"}) == Int(0));
  CHECK(f.Run({"FUNCTION", "KILL"}) == Err("NOTBUSY No scripts in execution right now."));
}

// FUNCTION LOAD of a library whose code is `body`, named `name`.
std::string Load(EngineFixture& f, std::string_view body, std::string_view name = "lib") {
  const std::string code = "#!lua name=" + std::string(name) + "\n" + std::string(body);
  return f.Run({"FUNCTION", "LOAD", "REPLACE", code});
}

bool Has(const std::string& reply, std::string_view text) {
  return reply.find(text) != std::string::npos;
}

TEST_CASE("the library's metadata line, as Redis 7.0 reads it", "[script][function]") {
  EngineFixture f;
  const std::string body = "\nredis.register_function('foo', function() return 1 end)";
  auto load = [&](std::string_view header) {
    return f.Run({"FUNCTION", "LOAD", std::string(header) + body});
  };
  CHECK(load("#! name=test") == Err("ERR Engine '' not found"));
  CHECK(load("#!python name=test") == Err("ERR Engine 'python' not found"));
  CHECK(load("#!lua name=test foo=bar") == Err("ERR Invalid metadata value given: foo=bar"));
  CHECK(load("#!lua") == Err("ERR Library name was not given"));
  CHECK(load("#!lua name=foo name=bar") ==
        Err("ERR Invalid metadata value, name argument was given multiple times"));
  // The name is checked before the engine.
  CHECK(load("#!bad name=a-b") ==
        Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be "
            "at least one character long"));
  CHECK(load("#!lua name=") == load("#!bad name=a-b"));
  CHECK(load("#!lua name=\"unclosed") == Err("ERR Invalid library metadata"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=x"}) == Err("ERR Invalid library metadata"));
  CHECK(f.Run({"FUNCTION", "LOAD", "return 1"}) == Err("ERR Missing library metadata"));
  // Words are split as a command line: quotes go; the engine and "name=" ignore case.
  CHECK(load("#!lua name=\"foo\"") == Bulk("foo"));
  CHECK(f.Run({"FUNCTION", "DELETE", "foo"}) == kOk);
  CHECK(load("#!LUA NAME=Upper") == Bulk("Upper"));
  // Library names keep their case and are case-sensitive; function names are not.
  CHECK(f.Run({"FUNCTION", "DELETE", "upper"}) == Err("ERR Library not found"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=Upper" + body}) ==
        Err("ERR Library 'Upper' already exists"));
  CHECK(f.Run({"FUNCTION", "LOAD", "#!lua name=UPPER" + body}) ==
        Err("ERR Function foo already exists"));
  CHECK(f.Run({"FUNCTION", "DELETE", "Upper"}) == kOk);
  CHECK(Load(f, "redis.register_function('MixedCase', function() return 7 end)") == Bulk("lib"));
  CHECK(f.Run({"FCALL", "mixedcase", "0"}) == Int(7));
  CHECK(Elements(f.Run({"FUNCTION", "LIST"}))[6] == "MixedCase");
  // LIBRARYNAME's pattern ignores case.
  CHECK(Elements(f.Run({"FUNCTION", "LIST", "LIBRARYNAME", "L*"}))[1] == "lib");
}

TEST_CASE("FUNCTION LOAD runs the library with only the load-time API", "[script][function]") {
  EngineFixture f;
  for (auto [code, missing] : {
           std::pair{"return math.random()", "math"},
           std::pair{"return redis.call('ping')", "call"},
           std::pair{"return redis.setresp(3)", "setresp"},
           std::pair{"return redis.set_repl(redis.REPL_NONE)", "set_repl"},
           std::pair{"mt = getmetatable(_G)", "getmetatable"},
           std::pair{"redis.math.random()", "math"},
           std::pair{"redis.redis.call('ping')", "redis"},
       }) {
    INFO(code);
    const std::string reply = Load(f, code);
    CHECK(reply.starts_with("-ERR Error registering functions: "));
    CHECK(Has(reply, "Script attempted to access nonexistent global variable '" +
                         std::string(missing) + "'"));
  }
  CHECK(Has(Load(f, "a = 1"), "Attempt to modify a readonly table"));
  CHECK(Has(Load(f, "redis.x = 1"), "Attempt to modify a readonly table"));
  // What the load may use: register_function, log, the log levels and the version.
  CHECK(Load(f,
             "redis.log(redis.LOG_NOTICE, 'loading')\n"
             "local v = redis.REDIS_VERSION_NUM\n"
             "redis.register_function('version', function() return {v, redis.REDIS_VERSION} end)\n"
             "redis.register_function('math', function() return math.floor(2.5) end)") ==
        Bulk("lib"));
  CHECK(f.Run({"FCALL", "version", "0"}) == "*2\r\n:458752\r\n$5\r\n7.0.0\r\n");
  CHECK(f.Run({"FCALL", "math", "0"}) == Int(2));  // a function runs with every global
  CHECK(f.Run({"EVAL", "return redis.REDIS_VERSION", "0"}) == Bulk("7.0.0"));
}

TEST_CASE("what a library keeps of the load-time API stays read-only", "[script][function]") {
  EngineFixture f;
  CHECK(Load(f,
             "local lib = redis\n"
             "lib.register_function('f1', function() lib.redis = redis return 1 end)\n"
             "lib.register_function('f2', function()\n"
             "  lib.register_function('f3', function() return 1 end) end)\n"
             "redis.register_function('f4', function()\n"
             "  local mt = getmetatable(_G) mt.__index = {} end)\n"
             "redis.register_function('f5', function() rawset(getfenv(1), 'x', 1) end)\n"
             "redis.register_function('f6', function()\n"
             "  return redis.register_function('f7', function() end) end)") == Bulk("lib"));
  CHECK(Has(f.Run({"FCALL", "f1", "0"}), "Attempt to modify a readonly table"));
  CHECK(Has(f.Run({"FCALL", "f2", "0"}),
            "redis.register_function can only be called on FUNCTION LOAD command"));
  CHECK(Has(f.Run({"FCALL", "f4", "0"}), "Attempt to modify a readonly table"));
  CHECK(Has(f.Run({"FCALL", "f5", "0"}), "Attempt to modify a readonly table"));
  CHECK(
      Has(f.Run({"FCALL", "f6", "0"}), "attempt to call field 'register_function' (a nil value)"));
}

TEST_CASE("redis.register_function's arguments and errors", "[script][function]") {
  EngineFixture f;
  auto error_of = [&](std::string_view code) {
    const std::string reply = Load(f, code, "bad");
    REQUIRE(reply.starts_with("-ERR Error registering functions: "));
    return reply;
  };
  const std::string_view kBadName =
      "Library names can only contain letters, numbers, or underscores(_) and must be at least "
      "one character long";
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"redis.register_function()", "wrong number of arguments to redis.register_function"},
      {"redis.register_function('f', function() end, {}, 'd', 'x')",
       "wrong number of arguments to redis.register_function"},
      {"redis.register_function('f')",
       "calling redis.register_function with a single argument is only applicable to Lua table "
       "(representing named arguments)."},
      {"redis.register_function(nil, function() end)",
       "first argument to redis.register_function must be a string"},
      {"redis.register_function('f', 'not a function')",
       "second argument to redis.register_function must be a function"},
      {"redis.register_function('a\\0b', function() end)", kBadName},
      {"redis.register_function('', function() end)", kBadName},
      {"redis.register_function{function_name=function() end, callback=function() end}",
       "function_name argument given to redis.register_function must be a string"},
      {"redis.register_function{function_name='f', callback='bad'}",
       "callback argument given to redis.register_function must be a function"},
      {"redis.register_function{function_name='f', callback=function() end, description={}}",
       "description argument given to redis.register_function must be a string"},
      {"redis.register_function{function_name='f', callback=function() end, other=1}",
       "unknown argument given to redis.register_function"},
      {"redis.register_function{function_name='f', callback=function() end, [{}]=1}",
       "named argument key given to redis.register_function is not a string"},
      {"redis.register_function{callback=function() end}",
       "redis.register_function must get a function name argument"},
      {"redis.register_function{function_name='f'}",
       "redis.register_function must get a callback argument"},
      {"redis.register_function{function_name='f', callback=function() end, flags='no-writes'}",
       "flags argument to redis.register_function must be a table representing function flags"},
      {"redis.register_function{function_name='f', callback=function() end, flags={'bogus'}}",
       "unknown flag given"},
      {"redis.register_function{function_name='f', callback=function() end, "
       "flags={function() end}}",
       "unknown flag given"},
      {"redis.register_function('f', function() end)\n"
       "redis.register_function('F', function() end)",
       "Function already exists in the library"},
  };
  for (const auto& [code, message] : cases) {
    INFO(code);
    CHECK(Has(error_of(code), message));
  }
  CHECK(f.Run({"FUNCTION", "LIST"}) == "*0\r\n");
  // Keys and flags ignore case; a description shows in FUNCTION LIST.
  CHECK(Load(f,
             "redis.register_function{FUNCTION_NAME='f', Callback=function() return 1 end, "
             "flags={'No-Writes', 'allow-stale'}, description='some desc'}") == Bulk("lib"));
  CHECK(f.Run({"FUNCTION", "LIST"}) ==
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
        "$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n"
        "$9\r\nsome desc\r\n$5\r\nflags\r\n*2\r\n+no-writes\r\n+allow-stale\r\n");
  CHECK(f.Run({"FCALL_RO", "f", "0"}) == Int(1));
}

TEST_CASE("FCALL's numkeys and the FUNCTION subcommands' argument errors", "[script][function]") {
  EngineFixture f;
  CHECK(Load(f, "redis.register_function('f', function(keys, args) return #keys end)") ==
        Bulk("lib"));
  CHECK(f.Run({"FCALL", "f", "bad_arg"}) == Err("ERR Bad number of keys provided"));
  CHECK(f.Run({"FCALL", "f", "10", "k"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(f.Run({"FCALL", "f", "-1", "k"}) == Err("ERR Number of keys can't be negative"));
  CHECK(f.Run({"FCALL", "nosuch", "bad_arg"}) == Err("ERR Function not found"));
  CHECK(f.Run({"FCALL", "F", "1", "k"}) == Int(1));
  CHECK(f.Run({"FUNCTION", "FLUSH", "bad_arg"}) ==
        Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
  CHECK(f.Run({"function", "flush", "sync", "extra"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP."));
  CHECK(f.Run({"FUNCTION", "Restore", "a", "b", "c"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'Restore'. Try FUNCTION "
            "HELP."));
  CHECK(f.Run({"FUNCTION", "LIST", "LIBRARYNAME"}) ==
        Err("ERR library name argument was not given"));
  CHECK(f.Run({"FUNCTION", "LIST", "bad_argument"}) == Err("ERR Unknown argument bad_argument"));
  CHECK(f.Run({"FUNCTION", "LIST", "WITHCODE", "WITHCODE"}) ==
        Err("ERR Unknown argument WITHCODE"));
  CHECK(f.Run({"FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"}) ==
        Err("ERR Unknown argument LIBRARYNAME"));
  // An empty pattern is a pattern (it matches no library).
  CHECK(f.Run({"FUNCTION", "LIST", "LIBRARYNAME", ""}) == "*0\r\n");
  CHECK(f.Run({"pubsub", "Channels", "a", "b"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'Channels'. Try PUBSUB "
            "HELP."));
}

TEST_CASE("function flags against maxmemory: allow-oom, no-writes, deny-oom",
          "[script][function]") {
  EngineFixture f;
  CHECK(
      Load(f,
           "redis.register_function{function_name='oom_ok', flags={'allow-oom'},\n"
           "  callback=function() redis.call('set', 'x', '1') return redis.call('get', 'x') end}\n"
           "redis.register_function('plain', function() return redis.call('set', 'x', '2') end)\n"
           "redis.register_function{function_name='reader', flags={'no-writes'},\n"
           "  callback=function() return redis.call('get', 'x') end}") == Bulk("lib"));
  f.config().maxmemory = 1;
  CHECK(f.Run({"SET", "y", "1"}).starts_with("-OOM "));
  // allow-oom: every command runs, the deny-oom ones too.
  CHECK(f.Run({"FCALL", "oom_ok", "1", "x"}) == Bulk("1"));
  CHECK(f.Run({"FCALL", "plain", "1", "x"}) ==
        Err("OOM command not allowed when used memory > 'maxmemory'."));
  CHECK(f.Run({"FCALL", "reader", "1", "x"}) == Bulk("1"));
  CHECK(f.Run({"FCALL_RO", "reader", "1", "x"}) == Bulk("1"));
  // Scripts without a shebang: reads run, a deny-oom command before the first write fails.
  CHECK(f.Run({"EVAL", "return redis.call('get', 'x')", "0"}) == Bulk("1"));
  CHECK(f.Run({"EVAL", "return redis.call('set', 'x', '3')", "0"})
            .starts_with("-OOM command not allowed when used memory > 'maxmemory'."));
  CHECK(f.Run({"EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'x', '3')", "0"}) == kOk);
  CHECK(f.Run({"EVAL", "#!lua\nreturn 1", "0"}) ==
        Err("OOM command not allowed when used memory > 'maxmemory'."));
  f.config().maxmemory = 0;
  CHECK(f.Run({"FCALL", "plain", "1", "x"}) == kOk);
}

TEST_CASE("FUNCTION STATS counts libraries and functions", "[script][function]") {
  EngineFixture f;
  auto stats = [&] { return Elements(f.Run({"FUNCTION", "STATS"})); };
  auto counts = [](std::string libs, std::string functions) {
    return V{"running_script",  "(nil)", "engines",         "LUA",
             "libraries_count", libs,    "functions_count", functions};
  };
  CHECK(stats() == counts("0", "0"));
  CHECK(Load(f,
             "redis.register_function('f1', function() return 1 end)\n"
             "redis.register_function('f2', function() return 1 end)",
             "test1") == Bulk("test1"));
  CHECK(Load(f, "redis.register_function('f3', function() return 1 end)", "test2") ==
        Bulk("test2"));
  CHECK(stats() == counts("2", "3"));
  CHECK(f.Run({"FUNCTION", "DELETE", "test1"}) == kOk);
  CHECK(stats() == counts("1", "1"));
  CHECK(Has(Load(f, "redis.register_function('f4', function() return 1 end) error('x')", "test3"),
            "Error registering functions"));
  CHECK(stats() == counts("1", "1"));
  CHECK(f.Run({"FUNCTION", "FLUSH"}) == kOk);
  CHECK(stats() == counts("0", "0"));
}

TEST_CASE("FUNCTION RESTORE is all or nothing", "[script][function]") {
  EngineFixture f;
  CHECK(Load(f,
             "redis.register_function('f1', function() return 1 end)\n"
             "redis.register_function('f3', function() return 3 end)",
             "lib1") == Bulk("lib1"));
  const std::vector<std::string> dump = Elements(f.Run({"FUNCTION", "DUMP"}));
  REQUIRE(dump.size() == 1);
  CHECK(f.Run({"FUNCTION", "FLUSH"}) == kOk);
  CHECK(Load(f, "redis.register_function('f6', function() return 6 end)", "lib1") == Bulk("lib1"));
  CHECK(Load(f, "redis.register_function('f3', function() return 33 end)", "lib2") == Bulk("lib2"));
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0]}) == Err("ERR Library lib1 already exists"));
  // REPLACE would drop lib1, but f3 is lib2's: nothing changes.
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0], "REPLACE"}) ==
        Err("ERR Function f3 already exists"));
  CHECK(f.Run({"FCALL", "f6", "0"}) == Int(6));
  CHECK(f.Run({"FCALL", "f3", "0"}) == Int(33));
  CHECK(f.Run({"FCALL", "f1", "0"}) == Err("ERR Function not found"));
  CHECK(f.Run({"FUNCTION", "DELETE", "lib2"}) == kOk);
  CHECK(f.Run({"FUNCTION", "RESTORE", dump[0], "replace"}) == kOk);
  CHECK(f.Run({"FCALL", "f3", "0"}) == Int(3));
  CHECK(f.Run({"FCALL", "f6", "0"}) == Err("ERR Function not found"));
}

}  // namespace
}  // namespace tidekv::commands
