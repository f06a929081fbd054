// Connection and server commands against an in-process engine: PING ECHO HELLO AUTH SELECT
// QUIT RESET CLIENT CONFIG INFO DBSIZE FLUSHDB FLUSHALL TIME DEBUG, plus the dispatcher's
// AUTH and OOM gates.
#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

Entry* Put(EngineFixture& f, int db, std::string_view key, std::string_view value) {
  Entry* e = f.engine().keyspace().db(db).Insert(key, f.clock().NowMs());
  e->SetString(value);
  return e;
}

TEST_CASE("PING and ECHO", "[connection]") {
  EngineFixture f;
  CHECK(f.Run({"PING"}) == "+PONG\r\n");
  CHECK(f.Run({"ping", "hi"}) == Bulk("hi"));
  CHECK(f.Run({"PING", "a", "b"}) == "-ERR wrong number of arguments for 'ping' command\r\n");
  CHECK(f.Run({"ECHO", std::string_view("a\0b", 3)}) == Bulk(std::string_view("a\0b", 3)));
}

TEST_CASE("SELECT switches databases", "[connection]") {
  EngineFixture f;
  Put(f, 3, "k", "v");
  CHECK(f.Run({"DBSIZE"}) == Int(0));
  CHECK(f.Run({"SELECT", "3"}) == kOk);
  CHECK(f.Run({"DBSIZE"}) == Int(1));
  CHECK(f.Run({"SELECT", "16"}) == "-ERR DB index is out of range\r\n");
  CHECK(f.Run({"SELECT", "-1"}) == "-ERR DB index is out of range\r\n");
  CHECK(f.Run({"SELECT", "x"}) == "-ERR value is not an integer or out of range\r\n");
  CHECK(f.session().db == 3);
}

TEST_CASE("AUTH gates commands when a password is set", "[connection]") {
  EngineFixture f;
  CHECK(f.Run({"AUTH", "x"}).rfind("-ERR AUTH <password> called without any password", 0) == 0);
  f.config().password = "s3cret";
  f.engine().ApplyConfig();  // the default user takes it (as CONFIG SET requirepass)
  // A connection that logged in before keeps its login, as in Redis: start a new one.
  CHECK(f.Run({"RESET"}) == "+RESET\r\n");
  CHECK(f.Run({"DBSIZE"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(f.Run({"PING"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(f.Run({"AUTH", "wrong"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(f.Run({"AUTH", "s3cre"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(f.Run({"AUTH", "bob", "s3cret"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(f.Run({"AUTH", "s3cret"}) == kOk);
  CHECK(f.Run({"DBSIZE"}) == Int(0));
  CHECK(f.Run({"RESET"}) == "+RESET\r\n");
  CHECK(f.Run({"DBSIZE"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(f.Run({"AUTH", "default", "s3cret"}) == kOk);
  CHECK(f.Run({"DBSIZE"}) == Int(0));
}

TEST_CASE("HELLO negotiates the protocol", "[connection]") {
  EngineFixture f;
  std::string r2 = f.Run({"HELLO"});
  CHECK(r2.rfind("*14\r\n$6\r\nserver\r\n", 0) == 0);
  CHECK(f.Run({"HELLO", "4"}) == "-NOPROTO unsupported protocol version\r\n");
  CHECK(f.Run({"HELLO", "x"}) == "-ERR Protocol version is not an integer or out of range\r\n");
  std::string r3 = f.Run({"HELLO", "3", "SETNAME", "app"});
  CHECK(r3.rfind("%7\r\n", 0) == 0);
  CHECK(r3.find("$5\r\nproto\r\n:3\r\n") != std::string::npos);
  CHECK(f.session().resp == 3);
  CHECK(f.session().name == "app");
  CHECK(f.Run({"GET", "missing"}) == "_\r\n");
  CHECK(f.Run({"HELLO", "3", "bogus"}) == "-ERR Syntax error in HELLO option 'bogus'\r\n");

  f.config().password = "pw";
  f.engine().ApplyConfig();
  f.Run({"RESET"});
  CHECK(f.Run({"HELLO", "3"}).rfind("-NOAUTH HELLO must be called", 0) == 0);
  CHECK(f.Run({"HELLO", "3", "AUTH", "default", "bad"}).rfind("-WRONGPASS", 0) == 0);
  CHECK(f.Run({"HELLO", "3", "AUTH", "default", "pw"}).rfind("%7\r\n", 0) == 0);
  CHECK(f.session().authenticated);
}

TEST_CASE("QUIT and RESET", "[connection]") {
  EngineFixture f;
  f.Run({"SELECT", "2"});
  f.Run({"HELLO", "3"});
  f.Run({"CLIENT", "SETNAME", "n"});
  CHECK(f.Run({"RESET"}) == "+RESET\r\n");
  CHECK(f.session().db == 0);
  CHECK(f.session().resp == 2);
  CHECK(f.session().name.empty());
  CHECK(f.Run({"QUIT"}) == kOk);
  CHECK(f.session().close_after_reply);
}

TEST_CASE("CLIENT subcommands in process", "[connection]") {
  EngineFixture f;
  CHECK(f.Run({"CLIENT", "ID"}) == Int(static_cast<long long>(f.session().id)));
  CHECK(f.Run({"CLIENT", "GETNAME"}) == kNil);
  CHECK(f.Run({"CLIENT", "SETNAME", "worker-1"}) == kOk);
  CHECK(f.Run({"CLIENT", "GETNAME"}) == Bulk("worker-1"));
  CHECK(f.Run({"CLIENT", "SETNAME", "has space"}) ==
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  CHECK(f.Run({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}) == kOk);
  CHECK(f.Run({"CLIENT", "SETINFO", "LIB-VER", "5.0"}) == kOk);
  CHECK(f.Run({"CLIENT", "SETINFO", "BOGUS", "x"}) == "-ERR Unrecognized option 'BOGUS'\r\n");
  std::string info = f.Run({"CLIENT", "INFO"});
  CHECK(info.find("name=worker-1") != std::string::npos);
  CHECK(info.find("lib-name=redis-py lib-ver=5.0") != std::string::npos);
  std::string list = f.Run({"CLIENT", "LIST"});
  CHECK(list.find("id=" + std::to_string(f.session().id)) != std::string::npos);
  CHECK(f.Run({"CLIENT", "LIST", "TYPE", "bogus"}) == "-ERR Unknown client type 'bogus'\r\n");
  CHECK(f.Run({"CLIENT", "KILL", "ID", "1"}).rfind("-ERR", 0) == 0);  // needs a server
  CHECK(f.Run({"CLIENT", "HELP"}).rfind("*", 0) == 0);
}

TEST_CASE("CONFIG GET and SET", "[server_commands]") {
  EngineFixture f;
  CHECK(f.Run({"CONFIG", "GET", "maxmemory"}) == "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  CHECK(f.Run({"CONFIG", "SET", "maxmemory", "10mb"}) == kOk);
  CHECK(f.config().maxmemory == 10 * 1024 * 1024);
  CHECK(f.Run({"CONFIG", "GET", "limits.maxmemory"}) ==
        "*2\r\n$16\r\nlimits.maxmemory\r\n$8\r\n10485760\r\n");
  CHECK(f.Run({"CONFIG", "GET", "save"}) == "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  CHECK(f.Run({"CONFIG", "GET", "nosuch*"}) == "*0\r\n");
  CHECK(f.Run({"CONFIG", "SET", "daemonize", "yes"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable "
        "config\r\n");
  // Several pairs at once (save is Redis's save rules), and all or nothing on a bad one.
  CHECK(f.Run({"CONFIG", "SET", "maxmemory", "10000001", "repl-backlog-size", "10000002", "save",
               "3000 5"}) == kOk);
  CHECK(f.Run({"CONFIG", "GET", "save"}) == "*2\r\n$4\r\nsave\r\n$6\r\n3000 5\r\n");
  CHECK(f.Run({"CONFIG", "SET", "maxmemory", "7", "maxmemory-clients", "200%",
               "client-query-buffer-limit", "invalid"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage "
        "argument must be less or equal to 100\r\n");
  CHECK(f.config().maxmemory == 10000001);
  CHECK(f.config().maxmemory_clients == "0");
  // Hidden options answer only to their exact name; replicaof and slaveof are one option.
  CHECK(f.Run({"CONFIG", "GET", "key-load-delay"}) == "*2\r\n$14\r\nkey-load-delay\r\n$1\r\n0\r\n");
  CHECK(f.Run({"CONFIG", "GET", "key-load-*"}) == "*0\r\n");
  CHECK(f.Run({"CONFIG", "GET", "*of"}) ==
        "*4\r\n$9\r\nreplicaof\r\n$0\r\n\r\n$7\r\nslaveof\r\n$0\r\n\r\n");
  // No server, so no file to rewrite.
  CHECK(f.Run({"CONFIG", "REWRITE"}) == "-ERR The server is running without a config file\r\n");
  CHECK(f.Run({"CONFIG", "SET", "nosuch", "1"}) ==
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
  // All or nothing: the valid first pair is not applied when the second is bad.
  CHECK(f.Run({"CONFIG", "SET", "hz", "20", "maxmemory", "lots"})
            .rfind("-ERR CONFIG SET failed (possibly related to argument 'maxmemory')", 0) == 0);
  CHECK(f.config().hz == 10);
  CHECK(f.Run({"CONFIG", "SET", "hz", "20", "timeout", "5"}) == kOk);
  CHECK(f.Run({"CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"}) ==
        "-ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate "
        "parameter\r\n");
  CHECK(f.config().hz == 20);
  CHECK(f.config().timeout == 5);
  CHECK(f.Run({"CONFIG", "SET", "hz"}).rfind("-ERR wrong number of arguments", 0) == 0);
  CHECK(f.Run({"CONFIG", "RESETSTAT"}) == kOk);
}

TEST_CASE("maxmemory refuses growing writes with OOM", "[server_commands]") {
  EngineFixture f;
  f.config().maxmemory = 1;  // anything allocated is past it
  CHECK(f.Run({"SET", "k", "v"}) == "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
  CHECK(f.Run({"GET", "k"}) == kNil);    // reads still work
  CHECK(f.Run({"DEL", "k"}) == Int(0));  // deletes free memory, never refused
  f.config().maxmemory = 0;
  CHECK(f.Run({"SET", "k", "v"}) == kOk);
}

TEST_CASE("INFO sections", "[server_commands]") {
  EngineFixture f;
  Put(f, 0, "a", "1");
  Put(f, 2, "b", "2");
  f.Run({"GET", "a"});
  std::string all = f.Run({"INFO", "everything"});
  for (std::string_view section :
       {"# Server", "# Clients", "# Memory", "# Stats", "# Keyspace", "# Commandstats"}) {
    CHECK(all.find(section) != std::string::npos);
  }
  CHECK(all.find("db0:keys=1,expires=0") != std::string::npos);
  CHECK(all.find("db2:keys=1,expires=0") != std::string::npos);
  CHECK(all.find("cmdstat_get:calls=1,") != std::string::npos);
  CHECK(all.find("keyspace_hits:1") != std::string::npos);
  std::string mem = f.Run({"INFO", "memory"});
  CHECK(mem.find("# Memory") != std::string::npos);
  CHECK(mem.find("# Server") == std::string::npos);
  CHECK(f.Run({"INFO"}).find("# Commandstats") == std::string::npos);
}

TEST_CASE("DBSIZE FLUSHDB FLUSHALL", "[server_commands]") {
  EngineFixture f;
  Put(f, 0, "a", "1");
  Put(f, 0, "b", "1");
  Put(f, 1, "c", "1");
  CHECK(f.Run({"DBSIZE"}) == Int(2));
  CHECK(f.Run({"FLUSHDB", "BOGUS"}) == "-ERR syntax error\r\n");
  CHECK(f.Run({"FLUSHDB", "ASYNC"}) == kOk);
  CHECK(f.Run({"DBSIZE"}) == Int(0));
  CHECK(f.engine().keyspace().db(1).size() == 1);
  CHECK(f.Run({"FLUSHALL", "SYNC"}) == kOk);
  CHECK(f.engine().keyspace().TotalKeys() == 0);
}

TEST_CASE("TIME follows the engine clock", "[server_commands]") {
  EngineFixture f;
  f.clock().SetMs(1'700'000'123'456);
  CHECK(f.Run({"TIME"}) == "*2\r\n$10\r\n1700000123\r\n$6\r\n456000\r\n");
}

TEST_CASE("DEBUG DIGEST is order independent and sees values and TTLs", "[server_commands]") {
  EngineFixture a, b;
  const std::string empty = "+" + std::string(40, '0') + "\r\n";
  CHECK(a.Run({"DEBUG", "DIGEST"}) == empty);
  Put(a, 0, "x", "1");
  Put(a, 0, "y", "2");
  Put(b, 0, "y", "2");
  Put(b, 0, "x", "1");
  CHECK(a.Run({"DEBUG", "DIGEST"}) == b.Run({"DEBUG", "DIGEST"}));
  CHECK(a.Run({"DEBUG", "DIGEST"}) != empty);
  b.engine().keyspace().db(0).SetExpire(b.engine().keyspace().db(0).Find("x", 0),
                                        b.clock().NowMs() + 10000);
  CHECK(a.Run({"DEBUG", "DIGEST"}) != b.Run({"DEBUG", "DIGEST"}));
  // Same data in another database is a different dataset.
  EngineFixture c;
  Put(c, 1, "x", "1");
  Put(c, 1, "y", "2");
  CHECK(a.Run({"DEBUG", "DIGEST"}) != c.Run({"DEBUG", "DIGEST"}));
  CHECK(a.Run({"DEBUG", "DIGEST-VALUE", "x", "nope"}).rfind("*2\r\n+", 0) == 0);
  CHECK(a.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == kOk);
  CHECK_FALSE(a.engine().keyspace().active_expire_enabled());
  CHECK(a.Run({"DEBUG", "SLEEP", "0"}) == kOk);
}

TEST_CASE("network-only commands explain themselves in process", "[server_commands]") {
  EngineFixture f;
  CHECK(f.Run({"SHUTDOWN"}) == "-ERR SHUTDOWN needs a running server\r\n");
  CHECK(f.Run({"MONITOR"}) == "-ERR MONITOR needs a running server\r\n");
  CHECK(f.Run({"SHUTDOWN", "ABORT"}) == "-ERR No shutdown in progress.\r\n");
  CHECK(f.Run({"SHUTDOWN", "BOGUS"}) == "-ERR syntax error\r\n");
}

}  // namespace
}  // namespace tidekv::commands
