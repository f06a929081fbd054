// What clients and tools ask the server about itself: CONFIG, INFO, COMMAND, and the RESP3
// reply shapes after HELLO 3.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

std::string Text(const Reply& r) {
  return r != nullptr && r->str != nullptr ? std::string(r->str, r->len) : std::string();
}

TEST_CASE("CONFIG GET and SET", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 0]");
  CHECK(Call(c.get(), {"CONFIG", "SET", "maxmemory", "10mb"}) == "OK");
  CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 10485760]");
  Reply info = Command(c.get(), {"INFO", "memory"});
  CHECK(InfoField(Text(info), "maxmemory") == "10485760");
  // The TOML name reaches the same option.
  CHECK(Call(c.get(), {"CONFIG", "GET", "limits.maxmemory"}) == "[limits.maxmemory, 10485760]");

  // With --port 0 the effective port is the one the kernel picked, as INFO's tcp_port says.
  CHECK(Call(c.get(), {"CONFIG", "GET", "port"}) ==
        "[port, " + std::to_string(server.port()) + "]");
  const std::string immutable = Call(c.get(), {"CONFIG", "SET", "databases", "4"});
  INFO("CONFIG SET databases: " << immutable);
  CHECK(immutable.rfind("(error) ERR CONFIG SET failed", 0) == 0);
  CHECK(immutable.find("immutable") != std::string::npos);
  CHECK(Call(c.get(), {"CONFIG", "GET", "port"}) ==
        "[port, " + std::to_string(server.port()) + "]");

  CHECK(Call(c.get(), {"CONFIG", "SET", "no-such-option", "1"}).rfind("(error) ERR", 0) == 0);
  CHECK(Call(c.get(), {"CONFIG", "SET", "maxmemory", "lots"}).rfind("(error) ERR", 0) == 0);
  CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 10485760]");
  CHECK(Call(c.get(), {"CONFIG", "GET", "no-such-option"}) == "[]");
  // Limits too small to send the CONFIG SET that would undo them are refused, as in Redis.
  CHECK(Call(c.get(), {"CONFIG", "SET", "proto-max-bulk-len", "1"}).rfind("(error) ERR", 0) == 0);
  CHECK(Call(c.get(), {"CONFIG", "SET", "limits.max_multibulk_len", "2"}).rfind("(error) ERR", 0) ==
        0);
  CHECK(Call(c.get(), {"CONFIG", "SET", "client-query-buffer-limit", "1kb"})
            .rfind("(error) ERR", 0) == 0);
  CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 10485760]");
}

TEST_CASE("INFO has the standard sections", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  REQUIRE(Call(c.get(), {"SET", "k", "v"}) == "OK");

  const std::string info = Text(Command(c.get(), {"INFO"}));
  for (const char* section : {"# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"}) {
    INFO("section " << section);
    CHECK(info.find(std::string(section) + "\r\n") != std::string::npos);
  }
  CHECK(InfoField(info, "tcp_port") == std::to_string(server.port()));
  CHECK(InfoField(info, "process_id") == std::to_string(server.pid()));
  CHECK(InfoField(info, "connected_clients") == "1");
  CHECK(InfoField(info, "db0").rfind("keys=1,expires=0", 0) == 0);

  const std::string commandstats = Text(Command(c.get(), {"INFO", "commandstats"}));
  INFO(commandstats);
  CHECK(commandstats.find("# Commandstats\r\n") != std::string::npos);
  CHECK(InfoField(commandstats, "cmdstat_set").rfind("calls=1,", 0) == 0);

  const std::string all = Text(Command(c.get(), {"INFO", "all"}));
  for (const char* section :
       {"# Server", "# Clients", "# Memory", "# Stats", "# Keyspace", "# Commandstats"}) {
    INFO("INFO all, section " << section);
    CHECK(all.find(std::string(section) + "\r\n") != std::string::npos);
  }
}

// The event loop's busy polling (server/event_loop.h) is on by default, reported in INFO
// stats, and CONFIG SET 0 turns it off at once: then the loop never polls and sleeps
// whenever nothing is ready.
TEST_CASE("server.busy_poll_us: INFO counters and CONFIG SET", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  CHECK(Call(c.get(), {"CONFIG", "GET", "server.busy_poll_us"}) == "[server.busy_poll_us, 50]");
  const std::string before = Text(Command(c.get(), {"INFO", "stats"}));
  CHECK_FALSE(InfoField(before, "eventloop_sleeps").empty());
  CHECK_FALSE(InfoField(before, "eventloop_poll_hits").empty());

  REQUIRE(Call(c.get(), {"CONFIG", "SET", "server.busy_poll_us", "0"}) == "OK");
  CHECK(Call(c.get(), {"CONFIG", "SET", "server.busy_poll_us", "1001"}).rfind("(error) ERR", 0) ==
        0);
  const uint64_t hits =
      std::stoull(InfoField(Text(Command(c.get(), {"INFO", "stats"})), "eventloop_poll_hits"));
  for (int i = 0; i < 200; i++) REQUIRE(Call(c.get(), {"PING"}) == "PONG");
  const std::string after = Text(Command(c.get(), {"INFO", "stats"}));
  CHECK(std::stoull(InfoField(after, "eventloop_poll_hits")) == hits);
  CHECK(InfoField(after, "eventloop_poll_window_us") == "0");
  // How often it slept depends on the timing: a slow server (ASan) finds the next PING
  // already there when it looks, without sleeping. It never sleeps less often than before.
  CHECK(std::stoull(InfoField(after, "eventloop_sleeps")) >=
        std::stoull(InfoField(before, "eventloop_sleeps")));
}

TEST_CASE("COMMAND COUNT, INFO and DOCS", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  Reply count = Command(c.get(), {"COMMAND", "COUNT"});
  REQUIRE(count != nullptr);
  REQUIRE(count->type == REDIS_REPLY_INTEGER);
  CHECK(count->integer > 50);

  // COMMAND INFO get: [[name, arity, flags, first key, last key, step, ...]]
  Reply info = Command(c.get(), {"COMMAND", "INFO", "get"});
  REQUIRE(info != nullptr);
  INFO("COMMAND INFO get: " << Describe(info));
  REQUIRE(info->type == REDIS_REPLY_ARRAY);
  REQUIRE(info->elements == 1);
  const redisReply* get = info->element[0];
  REQUIRE(get->type == REDIS_REPLY_ARRAY);
  REQUIRE(get->elements >= 6);
  CHECK(Describe(get->element[0]) == "get");
  CHECK(Describe(get->element[1]) == "(integer) 2");
  CHECK(Describe(get->element[3]) == "(integer) 1");
  CHECK(Describe(get->element[4]) == "(integer) 1");
  CHECK(Describe(get->element[5]) == "(integer) 1");

  // COMMAND DOCS set: [name, [field, value, ...]] with a non-empty "arguments" list.
  Reply docs = Command(c.get(), {"COMMAND", "DOCS", "set"});
  REQUIRE(docs != nullptr);
  INFO("COMMAND DOCS set: " << Describe(docs).substr(0, 1000));
  REQUIRE(docs->type == REDIS_REPLY_ARRAY);
  REQUIRE(docs->elements == 2);
  CHECK(Describe(docs->element[0]) == "set");
  const redisReply* fields = docs->element[1];
  REQUIRE(fields->type == REDIS_REPLY_ARRAY);
  const redisReply* arguments = nullptr;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    if (Describe(fields->element[i]) == "arguments") arguments = fields->element[i + 1];
  }
  REQUIRE(arguments != nullptr);
  REQUIRE(arguments->type == REDIS_REPLY_ARRAY);
  CHECK(arguments->elements >= 2);  // key and value at least
  CHECK(Describe(arguments).find("key") != std::string::npos);
}

TEST_CASE("HELLO 3 switches the connection to RESP3", "[integration]") {
  ServerProcess server;
  RawSocket raw(server.port());

  // Before HELLO: RESP2 shapes.
  CHECK(raw.Roundtrip("GET missing\r\n") == "$-1\r\n");
  CHECK(raw.Roundtrip("CONFIG GET maxmemory\r\n") == "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");

  const std::string hello = raw.Roundtrip("HELLO 3\r\n");
  INFO("HELLO 3: " << hello);
  CHECK(hello.rfind("%", 0) == 0);
  CHECK(hello.find("$6\r\nserver\r\n") != std::string::npos);
  CHECK(hello.find("$5\r\nproto\r\n:3\r\n") != std::string::npos);

  CHECK(raw.Roundtrip("CONFIG GET maxmemory\r\n") == "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  CHECK(raw.Roundtrip("GET missing\r\n") == "_\r\n");
  CHECK(raw.Roundtrip("SET k v\r\n") == "+OK\r\n");
  CHECK(raw.Roundtrip("GET k\r\n") == "$1\r\nv\r\n");
  CHECK(raw.Roundtrip("MGET k missing\r\n") == "*2\r\n$1\r\nv\r\n_\r\n");

  // Back to RESP2 on the same connection.
  CHECK(raw.Roundtrip("HELLO 2\r\n").rfind("*14\r\n", 0) == 0);
  CHECK(raw.Roundtrip("GET missing\r\n") == "$-1\r\n");
  CHECK(raw.Roundtrip("HELLO 4\r\n").rfind("-NOPROTO", 0) == 0);
}

// SLOWLOG and LATENCY on the real server: the dispatcher's measurement through the real
// clock, with the client's address and name as the server sees them.
TEST_CASE("a slow command shows in SLOWLOG GET and LATENCY LATEST", "[integration]") {
  ServerProcess server({"--security.enable_debug_command", "yes"});
  RedisConnection c = server.Connect();
  REQUIRE(Call(c.get(), {"CLIENT", "SETNAME", "sleeper"}) == "OK");
  REQUIRE(Call(c.get(), {"CONFIG", "SET", "latency-monitor-threshold", "5"}) == "OK");
  REQUIRE(Call(c.get(), {"SET", "k", "v"}) == "OK");  // well under the 10 ms default
  REQUIRE(Call(c.get(), {"DEBUG", "SLEEP", "0.02"}) == "OK");

  Reply log = Command(c.get(), {"SLOWLOG", "GET"});
  REQUIRE(log != nullptr);
  INFO(Describe(log));
  REQUIRE(log->type == REDIS_REPLY_ARRAY);
  REQUIRE(log->elements == 1);
  const redisReply* e = log->element[0];
  REQUIRE(e->elements == 6);
  CHECK(e->element[2]->integer >= 20'000);  // microseconds
  CHECK(Describe(e->element[3]) == "[DEBUG, SLEEP, 0.02]");
  const std::string peer = Describe(e->element[4]);
  CHECK(peer.rfind("127.0.0.1:", 0) == 0);
  CHECK(Text(Command(c.get(), {"CLIENT", "INFO"})).find("addr=" + peer + " ") != std::string::npos);
  CHECK(Describe(e->element[5]) == "sleeper");

  const std::string latest = Call(c.get(), {"LATENCY", "LATEST"});
  INFO(latest);
  CHECK(latest.rfind("[[command, ", 0) == 0);
  CHECK(Call(c.get(), {"SLOWLOG", "RESET"}) == "OK");
  CHECK(Call(c.get(), {"SLOWLOG", "LEN"}) == "(integer) 0");
}

// The query buffer's size (qbuf + qbuf-free) of the client named `name`, from CLIENT LIST.
size_t QueryBufferOf(redisContext* admin, const std::string& name) {
  const std::string list = Call(admin, {"CLIENT", "LIST"});
  const size_t at = list.find("name=" + name + " ");
  REQUIRE(at != std::string::npos);
  const std::string line = list.substr(at, list.find('\n', at) - at);
  const auto field = [&](const std::string& key) {
    const size_t pos = line.find(" " + key + "=");
    REQUIRE(pos != std::string::npos);
    return std::strtoull(line.c_str() + pos + key.size() + 2, nullptr, 10);
  };
  return field("qbuf") + field("qbuf-free");
}

TEST_CASE("an idle client's query buffer is released, an oversized one shrinks",
          "[integration][clients]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  RedisConnection idle = server.Connect();
  RedisConnection busy = server.Connect();
  REQUIRE(Call(idle.get(), {"CLIENT", "SETNAME", "idle"}) == "OK");
  REQUIRE(Call(busy.get(), {"CLIENT", "SETNAME", "busy"}) == "OK");
  CHECK(QueryBufferOf(admin.get(), "idle") == 16 * 1024);

  // A 400 KB argument grows the buffer; once requests are small again it shrinks, not to 0.
  REQUIRE(Call(busy.get(), {"SET", "x", std::string(400'000, 'a')}) == "OK");
  const size_t grown = QueryBufferOf(admin.get(), "busy");
  CHECK(grown > 400'000);
  CHECK(WaitFor([&] {
    Call(busy.get(), {"SET", "x", "small"});
    const size_t now = QueryBufferOf(admin.get(), "busy");
    return now > 0 && now < grown;
  }));

  // After 2 s without a request the buffer is gone; the next request still works.
  CHECK(WaitFor([&] { return QueryBufferOf(admin.get(), "idle") == 0; }, 5s));
  CHECK(Call(idle.get(), {"SET", "k", std::string(50'000, 'b')}) == "OK");
  CHECK(Call(idle.get(), {"STRLEN", "k"}) == "(integer) 50000");
  CHECK(Call(idle.get(), {"PING"}) == "PONG");
}

}  // namespace
}  // namespace tidekv::integration
