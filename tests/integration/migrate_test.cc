// MIGRATE between two real tidekv-server processes ([migrate]): strings, a hash, a sorted
// set with its TTL, a value larger than one write, into another database, COPY, REPLACE, KEYS with
// several keys (some absent), the target's BUSYKEY and NOAUTH/WRONGPASS forwarded, AUTH and AUTH2
// to a target with a password (redacted in MONITOR), the local deletion seen by WATCH and keyspace
// notifications, the cached connection in INFO, and the timeouts: a listener that never answers and
// a closed port end the command within its timeout, with the key left where it was.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

const std::string kHost = "127.0.0.1";

std::vector<std::string> Migrate(uint16_t port, const std::string& key, int db,
                                 std::vector<std::string> options = {},
                                 const std::string& timeout = "5000") {
  std::vector<std::string> argv = {"MIGRATE",          kHost,  std::to_string(port), key,
                                   std::to_string(db), timeout};
  argv.insert(argv.end(), options.begin(), options.end());
  return argv;
}

}  // namespace

TEST_CASE("MIGRATE moves and copies keys to another server", "[integration][migrate]") {
  ServerProcess source;
  ServerProcess target;
  RedisConnection src = source.Connect();
  RedisConnection dst = target.Connect();
  const uint16_t port = target.port();

  // A string, then a hash into database 3.
  CHECK(Call(src.get(), {"SET", "s", "hello"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "s", 0)) == "OK");
  CHECK(Call(src.get(), {"EXISTS", "s"}) == "(integer) 0");
  CHECK(Call(dst.get(), {"GET", "s"}) == "hello");
  CHECK(Call(src.get(), {"HSET", "h", "f1", "v1", "f2", "v2"}) == "(integer) 2");
  CHECK(Call(src.get(), Migrate(port, "h", 3)) == "OK");
  CHECK(Call(dst.get(), {"SELECT", "3"}) == "OK");
  CHECK(Call(dst.get(), {"HGETALL", "h"}) == "[f1, v1, f2, v2]");
  CHECK(Call(dst.get(), {"SELECT", "0"}) == "OK");

  // A sorted set keeps its TTL (what is left of it).
  CHECK(Call(src.get(), {"ZADD", "z", "1.5", "a", "2", "b"}) == "(integer) 2");
  CHECK(Call(src.get(), {"PEXPIRE", "z", "100000"}) == "(integer) 1");
  CHECK(Call(src.get(), Migrate(port, "z", 0)) == "OK");
  CHECK(Call(dst.get(), {"ZRANGE", "z", "0", "-1", "WITHSCORES"}) == "[a, 1.5, b, 2]");
  Reply pttl = Command(dst.get(), {"PTTL", "z"});
  REQUIRE(pttl != nullptr);
  CHECK(pttl->integer > 90000);
  CHECK(pttl->integer <= 100000);
  CHECK(Call(src.get(), {"EXISTS", "z"}) == "(integer) 0");

  // A value larger than one 64 KiB write.
  const std::string big(300'000, 'x');
  CHECK(Call(src.get(), {"SET", "big", big}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "big", 0)) == "OK");
  CHECK(Call(dst.get(), {"STRLEN", "big"}) == "(integer) 300000");
  CHECK(Call(src.get(), {"EXISTS", "big"}) == "(integer) 0");

  // COPY keeps the key; a second COPY meets the target's BUSYKEY; REPLACE overwrites.
  CHECK(Call(src.get(), {"SET", "c", "one"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "c", 0, {"COPY"})) == "OK");
  CHECK(Call(src.get(), {"GET", "c"}) == "one");
  CHECK(Call(dst.get(), {"GET", "c"}) == "one");
  CHECK(Call(src.get(), Migrate(port, "c", 0, {"COPY"})) ==
        "(error) ERR Target instance replied with error: BUSYKEY Target key name already "
        "exists.");
  CHECK(Call(src.get(), {"GET", "c"}) == "one");
  CHECK(Call(src.get(), {"SET", "c", "two"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "c", 0, {"REPLACE"})) == "OK");
  CHECK(Call(dst.get(), {"GET", "c"}) == "two");
  CHECK(Call(src.get(), {"EXISTS", "c"}) == "(integer) 0");

  // KEYS: several keys, absent ones skipped; none present is +NOKEY.
  CHECK(Call(src.get(), {"MSET", "k1", "1", "k2", "2", "k3", "3"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "", 0, {"KEYS", "k1", "nokey", "k2", "k3"})) == "OK");
  CHECK(Call(src.get(), {"EXISTS", "k1", "k2", "k3"}) == "(integer) 0");
  CHECK(Call(dst.get(), {"MGET", "k1", "k2", "k3"}) == "[1, 2, 3]");
  CHECK(Call(src.get(), Migrate(port, "", 0, {"KEYS", "k1", "k2"})) == "NOKEY");
  CHECK(Call(src.get(), Migrate(port, "k1", 0, {"KEYS", "k2"})) ==
        "(error) ERR When using MIGRATE KEYS option, the key argument must be set to the "
        "empty string");

  // The local deletion is a write like DEL: a WATCHing transaction fails, "del" is raised.
  RedisConnection watcher = source.Connect();
  RedisConnection events = source.Connect();
  CHECK(Call(src.get(), {"CONFIG", "SET", "notify-keyspace-events", "Eg"}) == "OK");
  Reply subscribed = Command(events.get(), {"SUBSCRIBE", "__keyevent@0__:del"});
  REQUIRE(subscribed != nullptr);
  CHECK(Call(src.get(), {"SET", "w", "x"}) == "OK");
  CHECK(Call(watcher.get(), {"WATCH", "w"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "w", 0)) == "OK");
  CHECK(Call(watcher.get(), {"MULTI"}) == "OK");
  CHECK(Call(watcher.get(), {"GET", "w"}) == "QUEUED");
  CHECK(Call(watcher.get(), {"EXEC"}) == "(nil)");
  CHECK(Describe(GetReply(events.get())) == "[message, __keyevent@0__:del, w]");

  // One cached connection to the target, reused by every call above.
  Reply info = Command(src.get(), {"INFO", "stats"});
  REQUIRE(info != nullptr);
  CHECK(InfoField(std::string(info->str, info->len), "migrate_cached_sockets") == "1");
  Reply clients = Command(dst.get(), {"INFO", "clients"});
  REQUIRE(clients != nullptr);
  CHECK(InfoField(std::string(clients->str, clients->len), "connected_clients") == "2");
}

TEST_CASE("MIGRATE authenticates to a target with a password", "[integration][migrate]") {
  ServerProcess source;
  ServerProcess target({"--security.password", "pw"});
  RedisConnection src = source.Connect();
  const uint16_t port = target.port();
  CHECK(Call(src.get(), {"SET", "k", "v"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "k", 0)) ==
        "(error) ERR Target instance replied with error: NOAUTH Authentication required.");
  CHECK(Call(src.get(), Migrate(port, "k", 0, {"AUTH", "wrong"})) ==
        "(error) ERR Target instance replied with error: WRONGPASS invalid username-password "
        "pair or user is disabled.");
  CHECK(Call(src.get(), {"EXISTS", "k"}) == "(integer) 1");
  CHECK(Call(src.get(), Migrate(port, "k", 0, {"AUTH", "pw"})) == "OK");
  CHECK(Call(src.get(), {"SET", "k2", "v2"}) == "OK");
  RedisConnection monitor = source.Connect();
  CHECK(Call(monitor.get(), {"MONITOR"}) == "OK");
  CHECK(Call(src.get(), Migrate(port, "k2", 0, {"AUTH2", "default", "pw"})) == "OK");
  // MONITOR shows the credentials redacted, as Redis does.
  const std::string shown = Describe(GetReply(monitor.get()));
  INFO(shown);
  CHECK(shown.find("\"MIGRATE\"") != std::string::npos);
  CHECK(shown.find("\"AUTH2\" \"(redacted)\" \"(redacted)\"") != std::string::npos);
  RedisConnection dst = target.Connect();
  CHECK(Call(dst.get(), {"AUTH", "pw"}) == "OK");
  CHECK(Call(dst.get(), {"MGET", "k", "k2"}) == "[v, v2]");
}

TEST_CASE("MIGRATE gives up within its timeout", "[integration][migrate]") {
  ServerProcess source;
  RedisConnection src = source.Connect();
  CHECK(Call(src.get(), {"SET", "k", "v"}) == "OK");

  // Connected, but the target never answers: the read times out (no retry after a timeout).
  LoopbackListener silent;
  const auto start = Clock::now();
  CHECK(Call(src.get(), Migrate(silent.port(), "k", 0, {}, "200")) ==
        "(error) IOERR error or timeout reading to target instance");
  CHECK(Clock::now() - start < 5s);  // 200 ms asked; a hang guard, not a speed check
  CHECK(Call(src.get(), {"GET", "k"}) == "v");

  // Nothing listens: connecting fails.
  uint16_t closed = 0;
  {
    LoopbackListener gone;
    closed = gone.port();
  }
  REQUIRE(PortClosed(closed));
  CHECK(Call(src.get(), Migrate(closed, "k", 0, {}, "200")) ==
        "(error) IOERR error or timeout connecting to the client");
  CHECK(Call(src.get(), {"GET", "k"}) == "v");
  CHECK(Call(src.get(), {"PING"}) == "PONG");
}

}  // namespace tidekv::integration
